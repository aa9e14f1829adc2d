package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sentiment-go/sentiment/sentimentlib"
	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

// cmdData runs `sentiment data`: split sizes, label balance, length percentiles and tokenizer
// coverage of the prepared dataset.
func cmdData(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("data", stderr)
	var df dataFlags
	df.register(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of tables")
	skipUnsup := fs.Bool("skip-unsupervised", false, "do not read the 50,000 unlabeled reviews")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg := df.config()
	cfg.WithUnsupervised = !*skipUnsup
	p, err := sentimentlib.PrepareData(ctx, cfg)
	if err != nil {
		return err
	}
	st := experiments.ComputeDataStats(p)
	if *asJSON {
		return printJSON(stdout, st)
	}
	_, err = fmt.Fprint(stdout, st.String())
	return err
}
