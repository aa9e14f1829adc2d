package main

import (
	"context"
	"io"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

// cmdEval runs `sentiment eval`: a trained model's metrics on validation or test.
func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	asJSON := fs.Bool("json", false, "print the metric object as JSON")
	dir, cache := modelCacheFlags(fs)
	split := fs.String("split", "test", "validation or test")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireModel(fs, *dir); err != nil {
		return err
	}
	m, err := sentimentlib.Evaluate(ctx, *dir, *split, *cache)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, m)
	}
	printMetrics(stdout, *split, m)
	return nil
}
