package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

// resultsUsage is the -h text of results after "Usage: sentiment results ".
const resultsUsage = `[DIR]

Writes DIR/README.md (default results/README.md): one line per study folder, from its README.`

// cmdResults runs `sentiment results`: it writes the index of a results directory to its
// README.md, and prints it.
func cmdResults(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, err := parseFlagless("results", resultsUsage, args, stderr)
	if err != nil {
		return err
	}
	dir := "results"
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
	}
	index, err := experiments.ResultsIndex(dir)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(index), 0o644); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	fmt.Fprint(stdout, index)
	return nil
}
