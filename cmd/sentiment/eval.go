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
	short := fs.Bool("short", false, "the short-text evaluation instead: sentences of the validation reviews by length, and the committed one-liners")
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
	if c := p.Calibration(); c.Temperature != 1 || c.Power != 0 {
		fmt.Fprintf(stderr, "calibrated: probabilities use temperature %.3f × (n / %g ids)^%.2f for a text of n ids (%s, fitted by sentiment calibrate on validation); accuracy does not depend on it (ROC-AUC may: inputs of different lengths are ranked anew)\n",
			c.Temperature, max(1, c.Reference), c.Power, sentimentlib.CalibrationFile)
	}
	if *short {
		rep, err := p.EvaluateShort(ctx, *cache)
		if err != nil {
			return fmt.Errorf("evaluate: %w", err)
		}
		if *asJSON {
			return printJSON(stdout, rep)
		}
		printShort(stdout, rep)
		return nil
	}
	m, err := p.Evaluate(ctx, *split, *cache)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, m)
	}
	printMetrics(stdout, *split, m)
	return nil
}

// printShort writes the short-text evaluation as a table, then the one-liners it got wrong.
func printShort(w io.Writer, rep *sentimentlib.ShortReport) {
	fmt.Fprintf(w, "%-34s %6s %9s %6s %16s %18s\n", "short texts (words)", "n", "accuracy", "ECE", "mean confidence", "ECE if calibrated")
	row := func(name string, b sentimentlib.ShortBucket) {
		fmt.Fprintf(w, "%-34s %6d %9.4f %6.3f %16.3f %18.3f\n", name, b.N, b.Accuracy, b.ECE, b.MeanConfidence, b.ECEIfCalibrated)
	}
	for _, b := range rep.Sentences {
		row("validation sentences, "+b.Words, b)
	}
	row("validation sentences, all", rep.AllSentences)
	row("one-liners", rep.OneLiners)
	fmt.Fprintf(w, "(ECE if calibrated: what a perfectly calibrated model would show on as many texts; a small set's ECE is not expected to go below it)\n")
	fmt.Fprintf(w, "one-liners on the right side with p >= 0.8 (<= 0.2 for negative ones): %d of %d\n", rep.OneLinersSure, rep.OneLiners.N)
	for _, m := range rep.OneLinerMisses {
		fmt.Fprintf(w, "  wrong: %q (labelled %s)\n", m.Text, map[int]string{1: "positive", 0: "negative"}[m.Label])
	}
}
