package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

// cmdEnsemble runs `sentiment ensemble`: two runs' logits combined, with the weight chosen on
// validation, and test scored once.
func cmdEnsemble(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ensemble", stderr)
	steps := fs.Int("steps", 20, "weights tried: 0, 1/steps, ..., 1")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	weight := fs.Float64("weight", -1, "use this weight of the first run instead of choosing it on validation (for refits: the weight their twins chose)")
	if err := parseOperands(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 || *steps < 1 {
		return fmt.Errorf("ensemble: name two run directories of one split, e.g. sentiment ensemble runs/nbsvm-seed1 runs/regions-seed1")
	}
	var res *experiments.EnsembleResult
	var err error
	if *weight >= 0 {
		res, err = experiments.EnsembleAt(fs.Arg(0), fs.Arg(1), *weight)
	} else {
		res, err = experiments.Ensemble(fs.Arg(0), fs.Arg(1), *steps)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	how := "the weight chosen on validation"
	if *weight >= 0 {
		how = "the weight given (--weight)"
	}
	fmt.Fprintf(stdout, "z = %.2f z(%s) + %.2f z(%s), %s\n", res.Weight, res.Dirs[0], 1-res.Weight, res.Dirs[1], how)
	if *weight < 0 {
		printMetrics(stdout, "validation", res.Validation)
	}
	if res.Test.N == 0 {
		fmt.Fprintln(stdout, "test: not read (a run was trained with no_test)")
		return nil
	}
	printMetrics(stdout, "test", res.Test)
	return nil
}
