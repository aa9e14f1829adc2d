package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

// summaryUsage is the -h text of summary after "Usage: sentiment summary ".
const summaryUsage = `DIR...

Reads each training directory's results.json; runs named alike but for -seedN are one row.
With several rows, each after the first is compared with it by Welch's t-test: the difference of
the mean accuracies in points ± its standard error, and the two-sided p-value.`

// cmdSummary runs `sentiment summary`: mean ± std over the seeds of finished runs, as a Markdown
// table.
func cmdSummary(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, err := parseFlagless("summary", summaryUsage, args, stderr)
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("summary: name the run directories, e.g. sentiment summary runs/default-seed*")
	}
	groups, err := experiments.SummarizeRuns(fs.Args())
	if err != nil {
		return err
	}
	return experiments.WriteRunTable(stdout, groups)
}
