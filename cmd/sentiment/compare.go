package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib"
	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

// cmdCompare runs `sentiment compare`: the loss comparison, every setting x seed (each run
// resumes), then its statistics, report and plots.
func cmdCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", stderr)
	preset := fs.String("preset", "compare", "preset of every run: "+strings.Join(sentimentlib.Presets(), ", "))
	out := fs.String("out", "", "directory of the grid's runs (default runs/compare[-quick])")
	report := fs.String("report", "", "directory of compare.md, compare.json and plots/ (default: --out)")
	seedList := fs.String("seeds", "", "comma-separated seeds, the same for every setting (default 1,2,3; --quick 1,2)")
	only := fs.String("only", "", "comma-separated setting names to run (default: the whole grid; baselines are added)")
	quick := fs.Bool("quick", false, "tiny grid on the quick preset (BCE and the full loss, balanced and imbalanced), for tests")
	cache := fs.String("hf-cache", "", cacheHelp)
	resamples := fs.Int("resamples", 2000, "paired bootstrap resamples")
	var sets setFlag
	fs.Var(&sets, "set", "override a config field of every run, e.g. --set epochs=1 (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := sentimentlib.Preset(*preset, *quick)
	if err != nil {
		return err
	}
	cfg.Data.CacheDir = *cache
	if err := sets.apply(&cfg); err != nil {
		return err
	}
	// Settings and seeds left nil take Compare's defaults (the tiny grid with --quick).
	opts := experiments.CompareOptions{Base: cfg, Resamples: *resamples, Progress: stderr}
	if *quick {
		opts.Seeds = []uint64{1, 2}
	}
	if *seedList != "" {
		opts.Seeds = nil
		for _, f := range strings.Split(*seedList, ",") {
			var s uint64
			if _, err := fmt.Sscan(strings.TrimSpace(f), &s); err != nil {
				return fmt.Errorf("--seeds %q: %q is not a seed (want e.g. 1,2,3)", *seedList, f)
			}
			opts.Seeds = append(opts.Seeds, s)
		}
	}
	if *only != "" {
		if opts.Settings, err = experiments.SelectSettings(experiments.CompareSettings(*quick), strings.Split(*only, ",")); err != nil {
			return fmt.Errorf("--only: %w", err)
		}
	}
	if *out == "" {
		*out = "runs/compare"
		if *quick {
			*out += "-quick"
		}
	}
	if *report == "" {
		*report = *out
	}
	opts.RunsDir = *out
	c, err := experiments.Compare(ctx, opts)
	if err != nil {
		return err
	}
	if err := c.WriteReport(*report); err != nil {
		return err
	}
	fmt.Fprint(stdout, c.Markdown())
	fmt.Fprintf(stdout, "\nreport: %s (compare.md, compare.json, plots/)\n", *report)
	return nil
}
