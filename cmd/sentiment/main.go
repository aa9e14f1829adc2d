// Command sentiment prepares IMDB data and trains, evaluates and serves sentiment classifiers.
// It parses flags and prints; every decision lives in the sentimentlib packages.
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"

	"github.com/sentiment-go/sentiment/sentimentlib"
	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
	"github.com/sentiment-go/sentiment/sentimentlib/server"
)

// usage is the top-level help; the preset lists come from the library, so they never go stale.
var usage = strings.NewReplacer(
	"{presets}", strings.Join(sentimentlib.Presets(), ", "),
	"{pretrain-presets}", strings.Join(sentimentlib.PretrainPresets(), "|"),
).Replace(`sentiment: IMDB movie-review sentiment with GoMLX

Usage:
  sentiment data [--hf-cache DIR] [--json]    split sizes, label balance, length percentiles, tokenizer coverage
  sentiment train [--preset NAME] [--out DIR] [--seed N] [--quick] [--hf-cache DIR] [--init PRETRAINED]
                                              train a classifier (presets: {presets}); rerun to resume
  sentiment eval --model DIR [--split validation|test] [--json]
  sentiment predict --model DIR [--json] TEXT... (or - to read one review per line from stdin)
  sentiment serve --model DIR [--addr 127.0.0.1:8080]
                                              web demo and JSON API (POST /api/predict, GET /healthz)
  sentiment bench [--peer torch|nbsvm] [--steps N] [--repeats N] [--python python3]
                                              speed against a peer (bench/): the transformer against PyTorch, or
                                              the nbsvm preset end to end against scikit-learn's NBSVM
  sentiment calibrate --model DIR [--hf-cache DIR]
                                              fit temperature scaling on validation; predict/eval then use it
  sentiment pretrain [--preset {pretrain-presets}] [--out DIR] [--seed N] [--quick] [--hf-cache DIR]
                                              pretraining on the training and unlabeled text (masked LM, contrastive halves, or
                                              the region CNN's tv-embedding); rerun to resume
  sentiment compare [--out DIR] [--report DIR] [--seeds 1,2,3] [--only NAMES] [--quick] [--hf-cache DIR]
                                              the loss comparison: every loss x seed (resumes), statistics, plots
  sentiment summary DIR...                    mean ± std over seeds of finished runs (DIR-seedN grouped), as a Markdown table with ROC-AUC ranges; rows after the first compared with it (Welch)
  sentiment inspect CHECKPOINT                each variable's shape and root mean square (e.g. an encoder.ckpt)
  sentiment ensemble [--json] DIR1 DIR2       two runs' logits combined, the weight chosen on validation, test scored once
  sentiment export --model DIR --onnx FILE.onnx [--batch N] [--sample N]  (or --web DIR)
                                              the model as an ONNX graph (ids in, logits out), its features and a
                                              manifest beside it; --web: a page that runs it in the browser
                                              (needs bin/sentiment-onnx: make build-onnx)
  sentiment results [DIR]                     writes the index of the results directory (default results) to DIR/README.md

Run "sentiment COMMAND -h" for a command's flags.
The Hugging Face cache is --hf-cache, else $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
`)

// errUsage marks errors already explained by the flag package.
var errUsage = errors.New("usage")

// errHelp ends a command whose -h printed its flags: run returns nil, nothing else runs.
var errHelp = errors.New("help printed")

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
	if err := dispatch(ctx, args, stdout, stderr); !errors.Is(err, errHelp) {
		return err
	}
	return nil
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "data":
		return cmdData(ctx, args[1:], stdout, stderr)
	case "train":
		return cmdTrain(ctx, args[1:], stdout, stderr)
	case "eval":
		return cmdEval(ctx, args[1:], stdout, stderr)
	case "predict":
		return cmdPredict(args[1:], os.Stdin, stdout, stderr)
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "bench":
		return cmdBench(ctx, args[1:], stdout, stderr)
	case "calibrate":
		return cmdCalibrate(ctx, args[1:], stdout, stderr)
	case "compare":
		return cmdCompare(ctx, args[1:], stdout, stderr)
	case "pretrain":
		return cmdPretrain(ctx, args[1:], stdout, stderr)
	case "summary":
		return cmdSummary(args[1:], stdout, stderr)
	case "inspect":
		return cmdInspect(args[1:], stdout, stderr)
	case "ensemble":
		return cmdEnsemble(args[1:], stdout, stderr)
	case "results":
		return cmdResults(args[1:], stdout, stderr)
	case "export":
		return cmdExport(args[1:], stdout, stderr)
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
	block      int
	vocabSize  int
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.cacheDir, "hf-cache", "", "Hugging Face hub cache directory (default $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)")
	fs.Float64Var(&d.validation, "validation", 0.1, "fraction of the training reviews held out for validation")
	fs.Uint64Var(&d.splitSeed, "split-seed", 42, "seed of the stratified train/validation split")
	fs.IntVar(&d.block, "validation-block", 0, "hold out runs of this many consecutive reviews, which keep a movie's reviews on one side, instead of single reviews (0), e.g. 250")
	fs.IntVar(&d.vocabSize, "vocab-size", 30000, "tokenizer vocabulary size")
}

func (d *dataFlags) config() sentimentlib.DataConfig {
	return sentimentlib.DataConfig{CacheDir: d.cacheDir, ValidationFraction: d.validation,
		SplitSeed: d.splitSeed, ValidationBlock: d.block, VocabSize: d.vocabSize}
}

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
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, "Usage: sentiment %s %s\n", name, usage) }
	return fs, parseOperands(fs, args)
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
	st := experiments.ComputeDataStats(p)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	_, err = fmt.Fprint(stdout, st.String())
	return err
}

func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	preset := fs.String("preset", "default", "preset: "+strings.Join(sentimentlib.Presets(), ", "))
	out := fs.String("out", "", "output directory (default runs/PRESET-seedN[-quick])")
	seed := fs.Uint64("seed", 1, "seed of initialisation, dropout and data order")
	quick := fs.Bool("quick", false, "small subset and model: about a minute on 2 cores (tests, CI)")
	cache := fs.String("hf-cache", "", "Hugging Face hub cache directory (default $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)")
	epochs := fs.Int("epochs", 0, "override the preset's number of epochs")
	gamma := fs.Float64("loss-confidence-gamma", 0, "SentimentWeightedLoss confidence exponent (0: off)")
	alpha := fs.Float64("loss-length-alpha", 0, "SentimentWeightedLoss length exponent (0: off)")
	beta := fs.Float64("loss-class-beta", 0, "SentimentWeightedLoss class-weight exponent (0: off)")
	smoothing := fs.Float64("loss-label-smoothing", 0, "label smoothing epsilon: targets eps/2 and 1-eps/2 (0: off)")
	initDir := fs.String("init", "", "fine-tune the encoder pretrained in this directory (sentiment pretrain); its shape and tokenizer replace the preset's")
	freeze := fs.Int("freeze-encoder-steps", 0, "with --init: train only the classifier head for the first N steps")
	layerDecay := fs.Float64("layer-lr-decay", 0, "with --init: layer-wise learning-rate decay in (0, 1), e.g. 0.8: each layer down learns at that factor of the one above, the head at the full rate (0: off)")
	initScale := fs.Float64("init-scale", 0, "with --init: multiply the pretrained encoder's residual stream (embeddings, attention and FFN outputs) by this factor in (0, 1), e.g. 0.25, so its weights are as small as a fresh model's (0: off)")
	var sets setFlag
	fs.Var(&sets, "set", "override a config field by its config.json name, e.g. --set max_len=256 --set dropout=0.2 (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := sentimentlib.Preset(*preset, *quick)
	if err != nil {
		return err
	}
	cfg.Seed, cfg.Data.CacheDir = *seed, *cache
	if *epochs > 0 {
		cfg.Epochs = *epochs
	}
	cfg.Loss.ConfidenceGamma, cfg.Loss.LengthAlpha, cfg.Loss.ClassBeta = *gamma, *alpha, *beta
	cfg.Loss.LabelSmoothing = *smoothing
	if *initDir != "" {
		if err := cfg.InitFrom(*initDir); err != nil {
			return err
		}
		cfg.FreezeEncoderSteps, cfg.LayerLRDecay, cfg.InitScale = *freeze, *layerDecay, *initScale
	} else if *freeze > 0 || *layerDecay != 0 || *initScale != 0 {
		return fmt.Errorf("--freeze-encoder-steps, --layer-lr-decay and --init-scale need --init: they adapt a pretrained encoder, and a new one has none")
	}
	if err := sets.apply(&cfg); err != nil {
		return err
	}
	if *out == "" {
		*out = fmt.Sprintf("runs/%s-seed%d", *preset, *seed)
		if *quick {
			*out += "-quick"
		}
	}
	if !sentimentlib.SIMDEnabled {
		fmt.Fprintln(stderr, "warning: built without GOEXPERIMENT=simd: CPU training is several times slower (use make, or export GOEXPERIMENT=simd)")
	}
	fmt.Fprintf(stderr, "training preset %q (seed %d) into %s\n", *preset, *seed, *out)
	res, err := sentimentlib.Train(ctx, cfg, *out, stderr)
	if err != nil {
		return err
	}
	if cfg.NoTest {
		fmt.Fprintf(stdout, "validation accuracy %.4f, F1 %.4f, ROC-AUC %.4f (test not read); trained in %.0f s; model in %s\n",
			res.Validation.Accuracy, res.Validation.F1, res.Validation.ROCAUC, res.TrainSeconds, *out)
		return nil
	}
	fmt.Fprintf(stdout, "test accuracy %.4f, F1 %.4f, ROC-AUC %.4f; trained in %.0f s; model in %s\n",
		res.Test.Accuracy, res.Test.F1, res.Test.ROCAUC, res.TrainSeconds, *out)
	return nil
}

func cmdPretrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pretrain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	preset := fs.String("preset", "cpu", "preset: "+strings.Join(sentimentlib.PretrainPresets(), ", "))
	out := fs.String("out", "", "output directory (default runs/pretrain-PRESET-seedN[-quick])")
	seed := fs.Uint64("seed", 1, "seed of initialisation, masking, dropout and data order")
	quick := fs.Bool("quick", false, "small text subset and model: about a minute on 2 cores (tests, CI)")
	cache := fs.String("hf-cache", "", "Hugging Face hub cache directory (default $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)")
	steps := fs.Int("steps", 0, "override the preset's number of steps")
	var sets setFlag
	fs.Var(&sets, "set", "override a config field by its config.json name, e.g. --set mask_rate=0.2 (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := sentimentlib.PretrainPreset(*preset, *quick)
	if err != nil {
		return err
	}
	cfg.Seed, cfg.Data.CacheDir = *seed, *cache
	if *steps > 0 {
		cfg.Steps = *steps
	}
	if err := sets.apply(&cfg); err != nil {
		return err
	}
	if *out == "" {
		*out = fmt.Sprintf("runs/pretrain-%s-seed%d", *preset, *seed)
		if *quick {
			*out += "-quick"
		}
	}
	fmt.Fprintf(stderr, "pretraining preset %q (seed %d) into %s\n", *preset, *seed, *out)
	res, err := sentimentlib.Pretrain(ctx, cfg, *out, stderr)
	if err != nil {
		return err
	}
	held := fmt.Sprintf("held-out MLM loss %.4f, masked-token accuracy %.4f", res.HeldOut.Loss, res.HeldOut.Accuracy)
	classifier := "default"
	if cfg.Architecture == "regions" {
		held, classifier = fmt.Sprintf("held-out region loss %.4f", res.HeldOut.RegionLoss), "regions"
	}
	fmt.Fprintf(stdout, "%s; %d steps in %.0f s; fine-tune with: sentiment train --preset %s --init %s\n", held, res.Steps, res.TrainSeconds, classifier, *out)
	return nil
}

// setFlag collects repeated --set name=value overrides of config fields.
type setFlag []string

func (s *setFlag) String() string { return strings.Join(*s, " ") }

func (s *setFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want name=value, got %q", v)
	}
	*s = append(*s, v)
	return nil
}

// apply sets each override on cfg (a *sentimentlib.Config or *sentimentlib.PretrainConfig).
func (s setFlag) apply(cfg interface {
	Set(name, value string) error
}) error {
	for _, kv := range s {
		name, value, _ := strings.Cut(kv, "=")
		if err := cfg.Set(name, value); err != nil {
			return fmt.Errorf("--set %s: %w", kv, err)
		}
	}
	return nil
}

func cmdCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	preset := fs.String("preset", "compare", "preset of every run: "+strings.Join(sentimentlib.Presets(), ", "))
	out := fs.String("out", "", "directory of the grid's runs (default runs/compare[-quick])")
	report := fs.String("report", "", "directory of compare.md, compare.json and plots/ (default: --out)")
	seedList := fs.String("seeds", "", "comma-separated seeds, the same for every setting (default 1,2,3; --quick 1,2)")
	only := fs.String("only", "", "comma-separated setting names to run (default: the whole grid; baselines are added)")
	quick := fs.Bool("quick", false, "tiny grid on the quick preset (BCE and the full loss, balanced and imbalanced), for tests")
	cache := fs.String("hf-cache", "", "Hugging Face hub cache directory (default $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)")
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

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("model", "", "model directory written by sentiment train (required)")
	split := fs.String("split", "test", "validation or test")
	cache := fs.String("hf-cache", "", "Hugging Face hub cache directory")
	asJSON := fs.Bool("json", false, "print the metric object as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("eval: --model DIR is required")
	}
	m, err := sentimentlib.Evaluate(ctx, *dir, *split, *cache)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	printMetrics(stdout, *split, m)
	return nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("model", "", "model directory written by sentiment train (required)")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (loopback by default; 0.0.0.0:8080 to serve the network)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("serve: --model DIR is required")
	}
	p, err := sentimentlib.Load(*dir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w (is another server using %s? pick another with --addr)", err, *addr)
	}
	srv := server.New(p, *dir).HTTPServer(*addr)
	fmt.Fprintf(stdout, "serving %s on http://%s/ (API: POST /api/predict); Ctrl-C stops\n", *dir, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done(): // SIGINT/SIGTERM: finish the requests in flight, then stop
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("serve: shutdown: %w", err)
		}
		fmt.Fprintln(stdout, "stopped")
		return nil
	}
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cache := fs.String("hf-cache", "", "Hugging Face hub cache directory")
	steps := fs.Int("steps", 60, "timed training steps per measurement")
	infer := fs.Int("infer", 256, "reviews for the inference timings")
	repeats := fs.Int("repeats", 3, "measurements of each implementation, interleaved")
	python := fs.String("python", "python3", "Python with PyTorch (or scikit-learn, for --peer nbsvm) for the peer ('' to skip it)")
	peerName := fs.String("peer", "torch", "the peer: torch (the default preset's transformer against PyTorch: training and inference speed) or nbsvm (the nbsvm preset end to end against scikit-learn's NBSVM)")
	script := fs.String("script", "", "the peer script (default bench/torch_peer.py or bench/nbsvm_peer.py)")
	threads := fs.Int("threads", runtime.NumCPU(), "threads of the PyTorch peer (GoMLX uses every core)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch *peerName {
	case "nbsvm":
		return benchNBSVM(ctx, *cache, *python, cmp.Or(*script, "bench/nbsvm_peer.py"), *repeats, stdout, stderr)
	case "torch":
	default:
		return fmt.Errorf("--peer %q: want torch or nbsvm", *peerName)
	}
	peer := cmp.Or(*script, "bench/torch_peer.py")
	cfg, err := sentimentlib.Preset("default", false)
	if err != nil {
		return err
	}
	cfg.Data.CacheDir = *cache
	prep, err := sentimentlib.PrepareData(ctx, cfg.Data)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sentiment-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := experiments.ExportTokens(prep, cfg, tmp); err != nil {
		return err
	}
	var goRes, ptRes []experiments.BenchResult
	for r := range *repeats {
		g, err := experiments.BenchGo(ctx, prep, cfg, *steps, *infer)
		if err != nil {
			return err
		}
		goRes = append(goRes, g)
		fmt.Fprintf(stderr, "repeat %d: %s %.1f reviews/s training\n", r+1, g.Peer, g.TrainReviewsPerSec)
		if *python == "" {
			continue
		}
		cmd := exec.CommandContext(ctx, *python, peer, "--data", tmp, "--steps", fmt.Sprint(*steps),
			"--infer", fmt.Sprint(*infer), "--threads", fmt.Sprint(*threads))
		cmd.Stderr = stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("bench: the PyTorch peer failed: %w (needs PyTorch: Debian apt-get install -y python3-torch libopenblas0-pthread; --python '' skips it)", err)
		}
		var pr experiments.BenchResult
		if err := json.Unmarshal(out, &pr); err != nil {
			return fmt.Errorf("bench: the peer's output %q: %w", out, err)
		}
		ptRes = append(ptRes, pr)
		fmt.Fprintf(stderr, "repeat %d: %s %.1f reviews/s training\n", r+1, pr.Peer, pr.TrainReviewsPerSec)
	}
	printBench(stdout, goRes, ptRes)
	return nil
}

// benchNBSVM runs `--peer nbsvm`: the nbsvm preset end to end, then the scikit-learn peer on
// the same split, repeats times each, and prints them side by side.
func benchNBSVM(ctx context.Context, cache, python, script string, repeats int, stdout, stderr io.Writer) error {
	cfg, err := sentimentlib.Preset("nbsvm", false)
	if err != nil {
		return err
	}
	cfg.Data.CacheDir = cache
	var ours, peers []*experiments.EndToEnd
	for r := range max(repeats, 1) {
		o, p, err := experiments.BenchNBSVM(ctx, cfg, experiments.NBSVMPeerOptions{Python: python, Script: script}, io.Discard)
		if err != nil {
			return err
		}
		ours = append(ours, o)
		fmt.Fprintf(stderr, "repeat %d: ours %.1f s, test accuracy %.4f", r+1, o.Seconds, o.TestAccuracy)
		if p != nil {
			peers = append(peers, p)
			fmt.Fprintf(stderr, "; peer %.1f s, test accuracy %.4f", p.Seconds, p.TestAccuracy)
		}
		fmt.Fprintln(stderr)
	}
	fmt.Fprint(stdout, experiments.EndToEndTable(ours, peers))
	return nil
}

// printBench prints the mean (min-max) of each measure and the ratio ours/peer.
func printBench(w io.Writer, ours, peer []experiments.BenchResult) {
	stat := func(rs []experiments.BenchResult, f func(experiments.BenchResult) float64) (mean, lo, hi float64) {
		for i, r := range rs {
			v := f(r)
			mean += v / float64(len(rs))
			if i == 0 || v < lo {
				lo = v
			}
			if i == 0 || v > hi {
				hi = v
			}
		}
		return
	}
	measures := []struct {
		name         string
		f            func(experiments.BenchResult) float64
		higherBetter bool
	}{
		{"training, reviews/s", func(r experiments.BenchResult) float64 { return r.TrainReviewsPerSec }, true},
		{"inference batch 1, ms/review", func(r experiments.BenchResult) float64 { return r.InferMsBatch1 }, false},
		{"inference batch 64, reviews/s", func(r experiments.BenchResult) float64 { return r.InferReviewsPerSec64 }, true},
	}
	peerName := "(no peer)"
	if len(peer) > 0 {
		peerName = peer[0].Peer
	}
	fmt.Fprintf(w, "%-31s %-26s %-26s %s\n", "measure (mean, min-max)", ours[0].Peer, peerName, "ours vs peer")
	for _, m := range measures {
		om, olo, ohi := stat(ours, m.f)
		line := fmt.Sprintf("%-31s %-26s", m.name, fmt.Sprintf("%.1f (%.1f-%.1f)", om, olo, ohi))
		if len(peer) > 0 {
			pm, plo, phi := stat(peer, m.f)
			ratio := om / pm
			if !m.higherBetter {
				ratio = pm / om
			}
			line += fmt.Sprintf(" %-26s %.2fx", fmt.Sprintf("%.1f (%.1f-%.1f)", pm, plo, phi), ratio)
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%d interleaved repeats; ratio > 1: ours is faster\n", len(ours))
}

func cmdCalibrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("model", "", "model directory written by sentiment train (required)")
	cache := fs.String("hf-cache", "", "Hugging Face hub cache directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("calibrate: --model DIR is required")
	}
	c, err := sentimentlib.Calibrate(ctx, *dir, *cache)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "temperature %.4f fitted on validation; written to %s\n", c.Temperature, filepath.Join(*dir, sentimentlib.CalibrationFile))
	fmt.Fprintf(stdout, "validation   before    after\n  nll      %8.4f %8.4f\n  ece      %8.4f %8.4f\n  brier    %8.4f %8.4f\n  accuracy %8.4f %8.4f\n",
		c.Before.NLL, c.After.NLL, c.Before.ECE, c.After.ECE, c.Before.Brier, c.After.Brier, c.Before.Accuracy, c.After.Accuracy)
	return nil
}

func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("model", "", "model directory written by sentiment train (required)")
	file := fs.String("onnx", "", "the ONNX file to write, ending in .onnx; its features and FILE.json go beside it")
	web := fs.String("web", "", "write the browser demo into this directory instead: the page, ONNX Runtime Web, the tokenizer and the model (transformer runs); serve it with any static file server")
	nodeModules := fs.String("node-modules", "bench/onnx/node_modules", "with --web: the node_modules holding onnxruntime-web and @huggingface/tokenizers (make build-onnx installs them)")
	batch := fs.Int("batch", 1, "the graph's batch size (its shapes are fixed)")
	sample := fs.Int("sample", 0, "also write FILE.sample.json: this many reviews of --split with their ids and our logits, for a client to check itself against (bench/onnx/run.mjs)")
	split := fs.String("split", "validation", "the split the sample comes from")
	cache := fs.String("hf-cache", "", "Hugging Face hub cache directory, for the sample (default: the one the model was trained on)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" || (*file == "") == (*web == "") {
		return fmt.Errorf("export: --model DIR and one of --onnx FILE.onnx or --web DIR are required")
	}
	p, err := sentimentlib.Load(*dir)
	if err != nil {
		return err
	}
	if *web != "" {
		if _, err := p.ExportWeb(*web, *nodeModules); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote the browser demo into %s: serve it with any static file server, e.g. python3 -m http.server -d %s, and open http://localhost:8000/\n", *web, *web)
		return nil
	}
	m, err := p.ExportONNX(*file, *batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (input %s int32 [%d, %d], output %s float32 [%d]), %s and %s.json beside it\n",
		*file, m.Input, m.Batch, m.MaxLen, m.Output, m.Batch, m.Features, *file)
	if *sample > 0 {
		path, err := p.ExportSample(context.Background(), *file, *split, *cache, *sample)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %d %s reviews, their ids and our logits (check a client with: node bench/onnx/run.mjs %s.json %s)\n", path, *sample, *split, *file, path)
	}
	return nil
}

func cmdSummary(args []string, stdout, stderr io.Writer) error {
	fs, err := parseFlagless("summary", "DIR...\n\nReads each training directory's results.json; runs named alike but for -seedN are one row.\nWith several rows, each after the first is compared with it by Welch's t-test: the difference of\nthe mean accuracies in points ± its standard error, and the two-sided p-value.", args, stderr)
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

func cmdInspect(args []string, stdout, stderr io.Writer) error {
	fs, err := parseFlagless("inspect", "CHECKPOINT\n\nLists a checkpoint's variables (encoder.ckpt, best.ckpt, last.ckpt) with shape and root mean square.", args, stderr)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("inspect: name one checkpoint file, e.g. sentiment inspect runs/pretrain-cpu-seed1/encoder.ckpt")
	}
	vars, err := experiments.InspectCheckpoint(fs.Arg(0))
	if err != nil {
		return err
	}
	for _, v := range vars {
		fmt.Fprintf(stdout, "%-72s %-8s %-14s rms %.4f\n", v.Path, v.DType, fmt.Sprint(v.Dims), v.RMS)
	}
	return nil
}

func cmdResults(args []string, stdout, stderr io.Writer) error {
	fs, err := parseFlagless("results", "[DIR]\n\nWrites DIR/README.md (default results/README.md): one line per study folder, from its README.", args, stderr)
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

func cmdEnsemble(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ensemble", flag.ContinueOnError)
	fs.SetOutput(stderr)
	steps := fs.Int("steps", 20, "weights tried: 0, 1/steps, ..., 1")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseOperands(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 || *steps < 1 {
		return fmt.Errorf("ensemble: name two run directories of one split, e.g. sentiment ensemble runs/nbsvm-seed1 runs/regions-seed1")
	}
	res, err := experiments.Ensemble(fs.Arg(0), fs.Arg(1), *steps)
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "z = %.2f z(%s) + %.2f z(%s), the weight chosen on validation\n", res.Weight, res.Dirs[0], 1-res.Weight, res.Dirs[1])
	printMetrics(stdout, "validation", res.Validation)
	printMetrics(stdout, "test", res.Test)
	return nil
}

func printMetrics(w io.Writer, split string, m metrics.Metrics) {
	fmt.Fprintf(w, "%s (%d reviews)\n", split, m.N)
	fmt.Fprintf(w, "  accuracy  %.4f\n  precision %.4f\n  recall    %.4f\n  f1        %.4f\n  roc_auc   %.4f\n  nll       %.4f\n  brier     %.4f\n  ece       %.4f\n",
		m.Accuracy, m.Precision, m.Recall, m.F1, m.ROCAUC, m.NLL, m.Brier, m.ECE)
	fmt.Fprintf(w, "  confusion [[tn %d, fp %d], [fn %d, tp %d]]\n", m.Confusion[0][0], m.Confusion[0][1], m.Confusion[1][0], m.Confusion[1][1])
}

func cmdPredict(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("model", "", "model directory written by sentiment train (required)")
	asJSON := fs.Bool("json", false, "print JSON lines")
	if err := parseOperands(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("predict: --model DIR is required")
	}
	texts := fs.Args()
	if len(texts) == 1 && texts[0] == "-" {
		texts = nil
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			texts = append(texts, sc.Text())
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("predict: reading stdin: %w", err)
		}
	}
	if len(texts) == 0 {
		return fmt.Errorf("predict: give review texts as arguments, or - to read one per line from stdin")
	}
	for i, t := range texts {
		if !tokenize.Readable(t) {
			return fmt.Errorf("predict: review %d (%q) has no readable words (no letter or digit): there is nothing to judge", i+1, truncate(t, 40))
		}
	}
	p, err := sentimentlib.Load(*dir)
	if err != nil {
		return err
	}
	preds, err := p.Predict(texts)
	if err != nil {
		return err
	}
	for i, pr := range preds {
		if math.IsNaN(pr.Probability) {
			return fmt.Errorf("predict: review %d: the model's probability is not a number: the model is broken; retrain it", i+1)
		}
		if *asJSON {
			line := map[string]any{"text": texts[i], "label": pr.Label, "probability": pr.Probability, "truncated": pr.Truncated}
			if pr.Unknown {
				line["unknown"] = true
			}
			b, _ := json.Marshal(line)
			fmt.Fprintln(stdout, string(b))
			continue
		}
		note := ""
		if pr.Unknown {
			note = "  (no word the model knows: its prior alone)"
		} else if pr.Truncated {
			note = "  (long: the model read its beginning and end)"
		}
		fmt.Fprintf(stdout, "%-8s p(positive)=%.3f  %s%s\n", pr.Label, pr.Probability, truncate(texts[i], 70), note)
	}
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
