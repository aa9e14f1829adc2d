package main

import (
	"context"
	"fmt"
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
	p, err := loadModel(*dir, stderr)
	if err != nil {
		return fmt.Errorf("evaluate: %w", err)
	}
	scored, err := p.PredictSplit(ctx, *split, *cache)
	if err != nil {
		return fmt.Errorf("evaluate: %w", err)
	}
	m, err := sentimentlib.MetricsOf(scored)
	if err != nil {
		return err
	}
	if t := p.Temperature(); t != 1 {
		fmt.Fprintf(stderr, "calibrated: probabilities use temperature %.3f (%s, fitted by sentiment calibrate on validation); accuracy and ROC-AUC do not depend on it\n", t, sentimentlib.CalibrationFile)
	}
	if *asJSON {
		return printJSON(stdout, m)
	}
	printMetrics(stdout, *split, m)
	return nil
}
