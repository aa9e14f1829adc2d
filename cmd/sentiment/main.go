// Command sentiment prepares IMDB data and trains, evaluates and serves sentiment classifiers.
// It parses flags and prints; every decision lives in the sentimentlib packages.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

const usage = `sentiment: IMDB movie-review sentiment with GoMLX

Usage:
  sentiment data [--hf-cache DIR] [--json]    split sizes, label balance, length percentiles, tokenizer coverage

Run "sentiment COMMAND -h" for a command's flags.
The Hugging Face cache is --hf-cache, else $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
`

// errUsage marks errors already explained by the flag package.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "sentiment:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "data":
		return cmdData(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// dataFlags are the flags shared by every command that reads the dataset.
type dataFlags struct {
	cacheDir   string
	validation float64
	splitSeed  uint64
	vocabSize  int
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.cacheDir, "hf-cache", "", "Hugging Face hub cache directory (default $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)")
	fs.Float64Var(&d.validation, "validation", 0.1, "fraction of the training reviews held out for validation")
	fs.Uint64Var(&d.splitSeed, "split-seed", 42, "seed of the stratified train/validation split")
	fs.IntVar(&d.vocabSize, "vocab-size", 30000, "tokenizer vocabulary size")
}

func (d *dataFlags) config() sentimentlib.DataConfig {
	return sentimentlib.DataConfig{CacheDir: d.cacheDir, ValidationFraction: d.validation,
		SplitSeed: d.splitSeed, VocabSize: d.vocabSize}
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func cmdData(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("data", flag.ContinueOnError)
	fs.SetOutput(stderr)
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
	st := sentimentlib.ComputeDataStats(p)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	_, err = fmt.Fprint(stdout, st.String())
	return err
}
