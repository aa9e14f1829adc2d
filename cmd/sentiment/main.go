// Command sentiment prepares IMDB data and trains, evaluates and serves sentiment classifiers.
// It parses flags and prints; every decision lives in the sentimentlib packages.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/sentiment-go/sentiment/sentimentlib"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
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
  sentiment history [--svg FILE] DIR...      each evaluation of runs a line, and their loss and validation curves as one SVG (history.svg)
  sentiment inspect CHECKPOINT                each variable's shape and root mean square (e.g. an encoder.ckpt)
  sentiment ensemble [--json] DIR1 DIR2       two runs' logits combined, the weight chosen on validation, test scored once
  sentiment export --model DIR --onnx FILE.onnx [--batch N] [--sample N]  (or --web DIR)
                                              the model as an ONNX graph (ids in, logits out), its features and a
                                              manifest beside it; --web: a page that runs it in the browser
                                              (needs bin/sentiment-onnx: make build-onnx)
  sentiment results [DIR]                     writes the index of the results directory (default results) to DIR/README.md

  sentiment version                           the version, commit and Go toolchain of this binary (also --version)

Run "sentiment COMMAND -h" for a command's flags.
The Hugging Face cache is --hf-cache, else $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
`)

// version is the binary's module version, the commit it was built from (with "+changes" when
// the working tree had uncommitted changes), its Go toolchain and GOEXPERIMENT, as the Go
// toolchain recorded them.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "sentiment (no build information)"
	}
	set := map[string]string{}
	for _, s := range bi.Settings {
		set[s.Key] = s.Value
	}
	commit := "commit unknown"
	if r := set["vcs.revision"]; r != "" {
		commit = "commit " + r[:min(12, len(r))]
		if set["vcs.modified"] == "true" {
			commit += "+changes"
		}
	}
	experiment := ""
	if e := set["GOEXPERIMENT"]; e != "" {
		experiment = ", GOEXPERIMENT=" + e
	}
	return fmt.Sprintf("sentiment %s (%s, %s%s)", bi.Main.Version, commit, bi.GoVersion, experiment)
}

// defaultMemoryLimit is the soft limit on the Go heap the command keeps to when GOMEMLIMIT is
// not set. Go's default collector lets the heap grow to twice what is live before collecting:
// the region CNN, with 2-3 GB live, peaked at 9-11 GB of RSS; under this limit it peaks near
// 3.6 GB for about the same time (docs/speed.md). Every other preset stays below it. A run whose
// live heap is larger still works, with more collections: raise it with GOMEMLIMIT (GOMEMLIMIT=off
// removes it).
const defaultMemoryLimit = 3 << 30

// setMemoryLimit sets defaultMemoryLimit unless env (GOMEMLIMIT's value) sets one; it returns
// the limit in force.
func setMemoryLimit(env string) int64 {
	if env == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	return debug.SetMemoryLimit(-1)
}

// errUsage marks errors already explained by the flag package.
var errUsage = errors.New("usage")

// errHelp ends a command whose -h printed its flags: run returns nil, nothing else runs.
var errHelp = errors.New("help printed")

// main runs the command that the arguments name; SIGINT or SIGTERM cancels its context, and an
// error exits with status 2.
func main() {
	setMemoryLimit(os.Getenv("GOMEMLIMIT"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, progressOut(os.Stderr))
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "sentiment:", err)
		}
		os.Exit(2)
	}
}

// run runs the command that args name, writing to stdout and stderr; a -h that printed a
// command's flags is no error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := dispatch(ctx, args, stdout, stderr); !errors.Is(err, errHelp) {
		return err
	}
	return nil
}

// dispatch runs the command that args name, or prints the usage.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, usage)
		return errors.New("no command given: name one of the commands above")
	case args[0] == "-h" || args[0] == "--help" || args[0] == "help":
		fmt.Fprint(stdout, usage)
		return nil
	case args[0] == "--version" || args[0] == "version":
		fmt.Fprintln(stdout, version())
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(ctx, args[1:], stdout, stderr)
}

// commands are the commands by name, each run on the arguments after its name; SIGINT or
// SIGTERM cancels ctx, which the commands that do not run long ignore.
var commands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"data":  cmdData,
	"train": cmdTrain,
	"eval":  cmdEval,
	"predict": func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return cmdPredict(ctx, args, os.Stdin, stdout, stderr)
	},
	"serve":     cmdServe,
	"bench":     cmdBench,
	"calibrate": cmdCalibrate,
	"compare":   cmdCompare,
	"pretrain":  cmdPretrain,
	"summary":   cmdSummary,
	"inspect":   cmdInspect,
	"ensemble":  cmdEnsemble,
	"results":   cmdResults,
	"export":    cmdExport,
	"history":   cmdHistory,
}

// printJSON writes v to w as indented JSON, for --json.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printMetrics writes a split's metrics as the table eval and ensemble print.
func printMetrics(w io.Writer, split string, m metrics.Metrics) {
	fmt.Fprintf(w, "%s (%d reviews)\n", split, m.N)
	fmt.Fprintf(w, "  accuracy  %.4f\n  precision %.4f\n  recall    %.4f\n  f1        %.4f\n  roc_auc   %.4f\n  nll       %.4f\n  brier     %.4f\n  ece       %.4f\n",
		m.Accuracy, m.Precision, m.Recall, m.F1, m.ROCAUC, m.NLL, m.Brier, m.ECE)
	fmt.Fprintf(w, "  confusion [[tn %d, fp %d], [fn %d, tp %d]]\n", m.Confusion[0][0], m.Confusion[0][1], m.Confusion[1][0], m.Confusion[1][1])
}

// truncate shortens s to n runes, the last of them an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
