package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

// cmdHistory runs `sentiment history`: each run's evaluations, a line each, and the training
// loss and validation curves of all of them as one SVG file (the charts of notebook 02).
func cmdHistory(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("history", stderr)
	svg := fs.String("svg", "history.svg", "the SVG file to write the curves to ('' for none)")
	if err := parseOperands(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("history: name one or more run directories, e.g. sentiment history runs/nbsvm-seed1 runs/regions-tv-seed1")
	}
	var names []string
	var hs []*experiments.History
	for _, dir := range fs.Args() {
		h, err := experiments.ReadHistory(dir)
		if err != nil {
			return err
		}
		name := filepath.Base(filepath.Clean(dir))
		for _, l := range h.Lines(name) {
			fmt.Fprintln(stdout, l)
		}
		if len(h.Validation) == 0 {
			fmt.Fprintf(stdout, "%s  no evaluation yet (%d training steps logged)\n", name, len(h.Train))
		}
		names, hs = append(names, name), append(hs, h)
	}
	if *svg == "" {
		return nil
	}
	if err := os.WriteFile(*svg, []byte(experiments.HistorySVG(names, hs)), 0o644); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	fmt.Fprintf(stderr, "wrote the curves to %s\n", *svg)
	return nil
}
