package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

// cmdCalibrate runs `sentiment calibrate`: it fits temperature scaling on validation and writes
// it beside the model, where predict and eval find it.
func cmdCalibrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("calibrate", stderr)
	dir, cache := modelCacheFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireModel(fs, *dir); err != nil {
		return err
	}
	c, err := sentimentlib.Calibrate(ctx, *dir, *cache)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "temperature %.4f × (n / %g ids)^%.2f fitted on validation; written to %s\n", c.Temperature, c.ReferenceLength, c.LengthPower, filepath.Join(*dir, sentimentlib.CalibrationFile))
	fmt.Fprintf(stdout, "validation   before    after\n  nll      %8.4f %8.4f\n  ece      %8.4f %8.4f\n  brier    %8.4f %8.4f\n  accuracy %8.4f %8.4f\n",
		c.Before.NLL, c.After.NLL, c.Before.ECE, c.After.ECE, c.Before.Brier, c.After.Brier, c.Before.Accuracy, c.After.Accuracy)
	if s := c.SentencesBefore; s.N > 0 {
		fmt.Fprintf(stdout, "their middle sentences (%d)\n  nll      %8.4f %8.4f\n  ece      %8.4f %8.4f\n",
			s.N, s.NLL, c.SentencesAfter.NLL, s.ECE, c.SentencesAfter.ECE)
	}
	return nil
}
