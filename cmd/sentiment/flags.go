package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

// cacheHelp is the help text of --hf-cache: where the cache is looked for without the flag.
const cacheHelp = "Hugging Face hub cache directory (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub when it holds the dataset, else a shared/hf-cache in the working directory or above it, as a checkout's ../shared/hf-cache)"

// operandsHelp are the arguments after the flags of the commands with flags that take any,
// for their -h (the commands without flags have their own usage: parseFlagless).
var operandsHelp = map[string]string{
	"predict":  "TEXT... (or - to read one review per line from stdin)",
	"ensemble": "RUN1 RUN2 (two run directories trained on the same split)",
	"history":  "DIR... (run directories: training or pretraining)",
}

// dataFlags are the flags shared by every command that reads the dataset.
type dataFlags struct {
	cacheDir   string
	validation float64
	splitSeed  uint64
	block      int
	vocabSize  int
}

// register defines the flags on fs.
func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.cacheDir, "hf-cache", "", cacheHelp)
	fs.Float64Var(&d.validation, "validation", 0.1, "fraction of the training reviews held out for validation")
	fs.Uint64Var(&d.splitSeed, "split-seed", 42, "seed of the stratified train/validation split")
	fs.IntVar(&d.block, "validation-block", 0, "hold out runs of this many consecutive reviews, which keep a movie's reviews on one side, instead of single reviews (0), e.g. 250")
	fs.IntVar(&d.vocabSize, "vocab-size", 30000, "tokenizer vocabulary size")
}

// config is the data configuration the flags describe.
func (d *dataFlags) config() sentimentlib.DataConfig {
	return sentimentlib.DataConfig{CacheDir: d.cacheDir, ValidationFraction: d.validation,
		SplitSeed: d.splitSeed, ValidationBlock: d.block, VocabSize: d.vocabSize}
}

// newFlagSet is the flag set of a command: a parse error is returned, not fatal, and the
// messages and -h help go to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sentiment %s [flags] %s\n", name, operandsHelp[name])
		fs.PrintDefaults()
	}
	return fs
}

// modelFlag defines --model: the directory of a model written by sentiment train, which the
// command requires (requireModel says so when it is missing).
func modelFlag(fs *flag.FlagSet) *string {
	return fs.String("model", "", "model directory written by sentiment train (required)")
}

// modelCacheFlags defines --model (see modelFlag) and --hf-cache, for a command that reads a
// model and the dataset again.
func modelCacheFlags(fs *flag.FlagSet) (dir, cache *string) {
	return modelFlag(fs), fs.String("hf-cache", "", cacheHelp)
}

// requireModel is the error of a command run without --model (dir is its value), or nil.
func requireModel(fs *flag.FlagSet, dir string) error {
	if dir == "" {
		return fmt.Errorf("%s: --model DIR is required", fs.Name())
	}
	return nil
}

// parse parses the flags of a command that takes no operands: an operand is an error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseOperands(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// parseOperands parses the flags of a command that also takes operands (fs.Args() after it),
// the flags before, between or after the operands ("--" ends the flags); -h gives errHelp, so
// the command stops after the flags are printed.
func parseOperands(fs *flag.FlagSet, args []string) error {
	var operands, rest []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, rest = args[:i], args[i+1:]
	}
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return errHelp
		} else if err != nil {
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append(append([]string{"--"}, operands...), rest...))
}

// parseFlagless parses the arguments of a command that has no flags of its own, only operands;
// usage follows "Usage: sentiment NAME " in its -h text.
func parseFlagless(name, usage string, args []string, stderr io.Writer) (*flag.FlagSet, error) {
	fs := newFlagSet(name, stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, "Usage: sentiment %s %s\n", name, usage) }
	return fs, parseOperands(fs, args)
}

// settable is a configuration whose fields --set overrides by their config.json names:
// a *sentimentlib.Config or a *sentimentlib.PretrainConfig.
type settable interface {
	Set(name, value string) error
}

// setFlag collects repeated --set name=value overrides of config fields.
type setFlag []string

// listFlag is a repeatable flag whose values are kept in order (train --init A --init B).
type listFlag []string

// String is the values as given, for the flag package.
func (l *listFlag) String() string { return strings.Join(*l, " ") }

// Set adds one value.
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// String is the overrides as given, for the flag package.
func (s *setFlag) String() string { return strings.Join(*s, " ") }

// Set adds one name=value override.
func (s *setFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want name=value, got %q", v)
	}
	*s = append(*s, v)
	return nil
}

// apply sets each override on cfg.
func (s setFlag) apply(cfg settable) error {
	for _, kv := range s {
		name, value, _ := strings.Cut(kv, "=")
		if err := cfg.Set(name, value); err != nil {
			return fmt.Errorf("--set %s: %w", kv, err)
		}
	}
	return nil
}

// loadModel loads the model in dir, with a note on stderr when nothing vouches for its files
// (a run written before manifests).
func loadModel(dir string, stderr io.Writer) (*sentimentlib.Predictor, error) {
	p, err := sentimentlib.Load(dir)
	if err == nil && !p.Verified() {
		fmt.Fprintf(stderr, "note: %s has no manifest.json (it was trained before this version): its files are loaded unverified; retrain it to have them checked\n", dir)
	}
	return p, err
}
