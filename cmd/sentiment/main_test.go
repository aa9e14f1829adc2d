package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

func TestDataJSONOnFixture(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"data", "--hf-cache", "../../data/hf-cache", "--vocab-size", "3000", "--json"}, &out, &errb)
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	var st struct {
		Splits []struct {
			Name string
			N    int
		}
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	got := map[string]int{}
	for _, s := range st.Splits {
		got[s.Name] = s.N
	}
	want := map[string]int{"train": 270, "validation": 30, "test": 100, "unsupervised": 60}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d reviews, want %d", k, got[k], v)
		}
	}
}

func TestErrorsAreMessagesNotPanics(t *testing.T) {
	var out, errb bytes.Buffer
	t.Setenv("HF_HUB_OFFLINE", "1") // no download attempt in tests
	err := run(context.Background(), []string{"data", "--hf-cache", t.TempDir()}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "--hf-cache") {
		t.Errorf("missing cache: want an error naming --hf-cache, got %v", err)
	}
	if err := run(context.Background(), []string{"nosuchcommand"}, &out, &errb); err == nil {
		t.Error("unknown command: want an error")
	}
	if err := run(context.Background(), []string{"data", "--bogus"}, &out, &errb); err == nil {
		t.Error("unknown flag: want an error")
	}
	// Refused before any reading: the cache here is empty.
	if err := run(context.Background(), []string{"data", "--hf-cache", t.TempDir(), "--validation-block", "-3"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "validation block -3") {
		t.Errorf("negative --validation-block: %v, want an error naming it", err)
	}
	// Every flag checked before any work (these once were ignored, or failed an hour later).
	for _, c := range []struct{ args, mention string }{
		{"train --epochs -3", "--epochs -3"},
		{"pretrain --steps -1", "--steps -1"},
		{"train --set max_len=1e9", "max_len"},
		{"train --set batch_size=100000000", "batch_size"},
		{"train --loss-confidence-gamma NaN", "loss.confidence_gamma NaN"},
		{"train --set preset=nbsvm", "--preset"},
		{"pretrain --set quick=true", "--quick"},
	} {
		args := append(strings.Fields(c.args), "--hf-cache", t.TempDir(), "--out", filepath.Join(t.TempDir(), "out"))
		if err := run(context.Background(), args, &out, &errb); err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: %v, want an error naming %q", c.args, err, c.mention)
		}
	}
}

// TestDataValidationBlock: `data --validation-block` reports the block split, and its
// validation reviews differ from the default split's.
func TestDataValidationBlock(t *testing.T) {
	report := func(args ...string) string {
		var out, errb bytes.Buffer
		args = append([]string{"data", "--hf-cache", "../../data/hf-cache", "--vocab-size", "3000"}, args...)
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Fatalf("%v: %s", err, errb.String())
		}
		return out.String()
	}
	single, blocks := report(), report("--validation-block", "5")
	if !strings.Contains(single, "stratified, single reviews") || !strings.Contains(blocks, "runs of 5 consecutive reviews") {
		t.Errorf("headers:\n%s\n%s", single, blocks)
	}
	if single == blocks {
		t.Error("--validation-block 5 gave the same report as single reviews")
	}
}

// TestTrainEvalPredictCalibrate runs the commands end to end on the fixture with a tiny model:
// eval reproduces train's test metrics, predict prints JSON lines, calibrate writes its file,
// and bad --set values are errors naming the field.
func TestTrainEvalPredictCalibrate(t *testing.T) {
	t.Setenv("HF_HUB_OFFLINE", "1")
	ctx := context.Background()
	dir := t.TempDir()
	fixture := "../../data/hf-cache"
	var out, errb bytes.Buffer
	train := []string{"train", "--quick", "--hf-cache", fixture, "--out", dir, "--set", "data.vocab_size=2000",
		"--set", "model_dim=16", "--set", "ffn_dim=32", "--set", "max_len=64", "--set", "head_tokens=16", "--set", "epochs=1"}
	if err := run(ctx, train, &out, &errb); err != nil {
		t.Fatalf("train: %v\n%s", err, errb.String())
	}
	var res struct {
		Config struct {
			MaxLen int `json:"max_len"`
		} `json:"config"`
		Test metrics.Metrics `json:"test"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil || res.Config.MaxLen != 64 {
		t.Fatalf("results.json: %v, max_len %d (the --set did not apply)", err, res.Config.MaxLen)
	}
	out.Reset()
	if err := run(ctx, []string{"eval", "--model", dir, "--hf-cache", fixture, "--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var m metrics.Metrics
	if err := json.Unmarshal(out.Bytes(), &m); err != nil || m != res.Test {
		t.Errorf("eval %+v (err %v), train's test %+v", m, err, res.Test)
	}
	out.Reset()
	if err := run(ctx, []string{"predict", "--model", dir, "--json", "Great film", "Awful film"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"probability"`) || !strings.Contains(lines[1], `"text":"Awful film"`) {
		t.Errorf("predict output:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"calibrate", "--model", dir, "--hf-cache", fixture}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "calibration.json")); err != nil || !strings.Contains(out.String(), "temperature") {
		t.Errorf("calibrate: %v\n%s", err, out.String())
	}
	checkServe(t, dir)
	for _, bad := range [][]string{{"--set", "max_length=3"}, {"--set", "dropout=lots"}, {"--set", "novalue"}} {
		err := run(ctx, append([]string{"train", "--quick", "--hf-cache", fixture, "--out", t.TempDir()}, bad...), &out, &errb)
		if err == nil {
			t.Errorf("train %v: want an error", bad)
		}
	}
	if err := run(ctx, []string{"eval"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("eval without --model: %v", err)
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in two goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// checkServe starts `sentiment serve` on a free loopback port, queries it, and stops it the way
// SIGINT does (context cancellation): it shuts down cleanly.
func checkServe(t *testing.T, dir string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--model", dir, "--addr", "127.0.0.1:0"}, &out, io.Discard) }()
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := regexp.MustCompile(`http://[0-9.:]+/`).FindString(out.String()); m != "" {
			url = m
		}
	}
	if url == "" {
		t.Fatalf("serve did not start: %q", out.String())
	}
	resp, err := http.Post(url+"api/predict", "application/json", strings.NewReader(`{"text": "a great film"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"probability"`) {
		t.Errorf("POST /api/predict: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(out.String(), "stopped") {
			t.Errorf("shutdown: %v, output %q", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
	// A taken address is a clear error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"serve", "--model", dir, "--addr", ln.Addr().String()}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("address in use: %v", err)
	}
}

// TestPrintBench: the table prints with and without a peer, with the ratio oriented so that
// > 1 means ours is faster.
func TestPrintBench(t *testing.T) {
	ours := []experiments.BenchResult{{Peer: "gomlx", TrainReviewsPerSec: 100, InferMsBatch1: 2, InferReviewsPerSec64: 150}}
	peer := []experiments.BenchResult{{Peer: "pytorch", TrainReviewsPerSec: 50, InferMsBatch1: 4, InferReviewsPerSec64: 300}}
	var b bytes.Buffer
	printBench(&b, ours, peer)
	for _, want := range []string{"2.00x", "0.50x", "pytorch"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	printBench(&b, ours, nil)
	if !strings.Contains(b.String(), "(no peer)") || strings.Contains(b.String(), "x\n") {
		t.Errorf("table without a peer:\n%s", b.String())
	}
}

// TestCompareQuick runs the tiny grid on the fixture: the report files appear, the table has a
// row per setting, and bad flags are errors that name the problem.
func TestCompareQuick(t *testing.T) {
	t.Setenv("HF_HUB_OFFLINE", "1")
	ctx := context.Background()
	dir, report := t.TempDir(), t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"compare", "--quick", "--hf-cache", "../../data/hf-cache", "--out", dir, "--report", report, "--resamples", "100",
		"--seeds", "1,2", "--set", "data.vocab_size=2000", "--set", "model_dim=16", "--set", "ffn_dim=32", "--set", "max_len=64",
		"--set", "head_tokens=16", "--set", "epochs=1"}
	if err := run(ctx, args, &out, &errb); err != nil {
		t.Fatalf("compare: %v\n%s", err, errb.String())
	}
	for _, want := range []string{"| bce |", "| swl | bce |", "| imb-class | imb-bce |", "report: " + report} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, f := range []string{"compare.md", "compare.json", "plots/reliability-imb-class.svg", "plots/ece-by-length-imbalanced.svg"} {
		if _, err := os.Stat(filepath.Join(report, f)); err != nil {
			t.Errorf("report: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "imb-swl-seed1")); err == nil {
		t.Error("--quick ran a setting outside its tiny grid")
	}
	for _, bad := range [][]string{{"--seeds", "1,x"}, {"--only", "focal"}, {"--preset", "huge"}} {
		err := run(ctx, append([]string{"compare", "--quick", "--out", t.TempDir()}, bad...), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(bad[1], "1,")) {
			t.Errorf("compare %v: error %v, want one naming %q", bad, err, bad[1])
		}
	}
}

// TestPretrainThenInit pretrains a tiny encoder on the fixture, fine-tunes it with train --init,
// and checks the errors of a wrong --init and of --freeze-encoder-steps or --layer-lr-decay alone.
func TestPretrainThenInit(t *testing.T) {
	t.Setenv("HF_HUB_OFFLINE", "1")
	ctx := context.Background()
	fixture := "../../data/hf-cache"
	pre, dir := t.TempDir(), t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"pretrain", "--quick", "--hf-cache", fixture, "--out", pre, "--steps", "20", "--set", "held_out=20",
		"--set", "batch_size=8", "--set", "model_dim=16", "--set", "ffn_dim=32", "--set", "max_len=64", "--set", "data.vocab_size=2000",
		"--set", "eval_every_steps=10"}
	if err := run(ctx, args, &out, &errb); err != nil {
		t.Fatalf("pretrain: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "fine-tune with: sentiment train --preset default --init "+pre) {
		t.Errorf("pretrain output: %s", out.String())
	}
	for _, f := range []string{"encoder.ckpt", "tokenizer.json", "results.json", "metrics.jsonl"} {
		if _, err := os.Stat(filepath.Join(pre, f)); err != nil {
			t.Errorf("pretrain: %v", err)
		}
	}
	out.Reset()
	train := []string{"train", "--quick", "--hf-cache", fixture, "--out", dir, "--init", pre, "--freeze-encoder-steps", "3", "--layer-lr-decay", "0.7", "--init-scale", "0.5", "--set", "epochs=1"}
	if err := run(ctx, train, &out, &errb); err != nil {
		t.Fatalf("train --init: %v\n%s", err, errb.String())
	}
	var cfg struct {
		Init   string  `json:"init"`
		Freeze int     `json:"freeze_encoder_steps"`
		Decay  float64 `json:"layer_lr_decay"`
		Scale  float64 `json:"init_scale"`
		Dim    int     `json:"model_dim"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if err := json.Unmarshal(b, &cfg); err != nil || cfg.Init != pre || cfg.Freeze != 3 || cfg.Decay != 0.7 || cfg.Scale != 0.5 || cfg.Dim != 16 {
		t.Errorf("config.json after --init: %+v (%v): want init %s, freeze 3, decay 0.7, scale 0.5, the pretrained width 16", cfg, err, pre)
	}
	if !strings.Contains(errb.String(), "scaled the encoder's residual stream by 0.5 (6 variables)") {
		t.Errorf("train --init-scale 0.5: the log does not report the scaling:\n%s", errb.String())
	}
	for _, bad := range [][]string{{"--init", t.TempDir()}, {"--freeze-encoder-steps", "5"}, {"--layer-lr-decay", "0.8"}, {"--init-scale", "0.5"}, {"--init", pre, "--set", "max_len=128"}} {
		err := run(ctx, append([]string{"train", "--quick", "--hf-cache", fixture, "--out", t.TempDir()}, bad...), &out, &errb)
		want := map[string]string{"--init": "sentiment pretrain", "--freeze-encoder-steps": "need --init", "--layer-lr-decay": "need --init", "--init-scale": "need --init"}[bad[0]]
		if len(bad) == 4 {
			want = "max_len 128 (pretrained: 64)"
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("train %v: error %v, want one containing %q", bad, err, want)
		}
	}
}

// TestSummaryCommand prints a table of seeds from results.json files and refuses no arguments.
func TestSummaryCommand(t *testing.T) {
	root := t.TempDir()
	var dirs []string
	for i, acc := range []float64{0.8, 0.9} {
		dir := filepath.Join(root, fmt.Sprintf("x-seed%d", i+1))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b := fmt.Sprintf(`{"seed": %d, "validation": {"accuracy": %g}, "test": {"accuracy": %g, "nll": 0.5}}`, i+1, acc, acc-0.1)
		if err := os.WriteFile(filepath.Join(dir, "results.json"), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"summary"}, dirs...), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| x | 1,2 | 0.8500 ± 0.0707 | 0.7500 ± 0.0707 | 0.500 ± 0.000 |") {
		t.Errorf("summary output:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"summary"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "name the run directories") {
		t.Errorf("summary without directories: %v", err)
	}
}

// TestHelpRunsNothing: -h prints a command's flags and stops; before, train -h went on to
// train with the defaults.
func TestHelpRunsNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{{"train", "--out", dir, "-h"}, {"pretrain", "--out", dir, "-h"}, {"summary", "-h"}, {"predict", "-h"}} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if !strings.Contains(errb.String(), "Usage") {
			t.Errorf("%v printed no usage: %q", args, errb.String())
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("%v created %s", args, dir)
		}
	}
}

// TestNBSVMCommands: the nbsvm preset through train, eval, predict and calibrate.
func TestNBSVMCommands(t *testing.T) {
	t.Setenv("HF_HUB_OFFLINE", "1")
	ctx := context.Background()
	dir := t.TempDir()
	fixture := "../../data/hf-cache"
	var out, errb bytes.Buffer
	train := []string{"train", "--preset", "nbsvm", "--quick", "--hf-cache", fixture, "--out", dir,
		"--set", "nbsvm.max_features=20000", "--set", "max_len=512", "--set", "head_tokens=512"}
	if err := run(ctx, train, &out, &errb); err != nil {
		t.Fatalf("train: %v\n%s", err, errb.String())
	}
	var res struct {
		Config struct {
			NBSVM struct {
				MaxFeatures int `json:"max_features"`
			} `json:"nbsvm"`
		} `json:"config"`
		Test metrics.Metrics `json:"test"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil || res.Config.NBSVM.MaxFeatures != 20000 {
		t.Fatalf("results.json: %v, max_features %d (the --set did not apply)", err, res.Config.NBSVM.MaxFeatures)
	}
	out.Reset()
	if err := run(ctx, []string{"eval", "--model", dir, "--hf-cache", fixture, "--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var m metrics.Metrics
	if err := json.Unmarshal(out.Bytes(), &m); err != nil || m != res.Test {
		t.Errorf("eval %+v (err %v), train's test %+v", m, err, res.Test)
	}
	out.Reset()
	if err := run(ctx, []string{"predict", "--model", dir, "A wonderful film", "zzqx vvbn"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || strings.Contains(lines[0], "knows") || !strings.Contains(lines[1], "no word the model knows") {
		t.Errorf("predict output:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"predict", "--model", dir, "--json", "zzqx"}, &out, &errb); err != nil || !strings.Contains(out.String(), `"unknown":true`) {
		t.Errorf("predict --json of unknown text: %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"calibrate", "--model", dir, "--hf-cache", fixture}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, unreadable := range []string{"<br /><br />", "😀😀", "!!!"} {
		out.Reset()
		if err := run(ctx, []string{"predict", "--model", dir, "fine", unreadable}, &out, &errb); err == nil || !strings.Contains(err.Error(), "review 2") || !strings.Contains(err.Error(), "no readable words") {
			t.Errorf("predict %q: %v, want an error naming review 2", unreadable, err)
		}
		if !strings.Contains(out.String(), "fine") {
			t.Errorf("predict %q: the readable review was lost:\n%s", unreadable, out.String())
		}
	}
	checkPredictStdin(t, dir)
	if err := run(ctx, []string{"bench", "--peer", "sklearn"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "torch or nbsvm") {
		t.Errorf("bench --peer sklearn: %v", err)
	}
}

// checkPredictStdin: predict - skips blank lines, reports a line with nothing to judge (an
// error line with --json, a message naming the line on stderr, a non-zero exit at the end)
// without losing the others, and stops on cancellation while stdin has nothing to give.
func checkPredictStdin(t *testing.T, dir string) {
	var out, errb bytes.Buffer
	in := strings.NewReader("A wonderful film\n\n   \n!!!\nA dull, awful film\n")
	err := cmdPredict(context.Background(), []string{"--model", dir, "--json", "-"}, in, &out, &errb)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err == nil || !strings.Contains(err.Error(), "1 of 3 reviews") || !strings.Contains(errb.String(), "line 4") ||
		len(lines) != 3 || !strings.Contains(lines[1], `"error"`) || !strings.Contains(lines[2], "awful") {
		t.Errorf("predict - with a blank and an unreadable line: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	pr, pw := io.Pipe() // stdin that never ends, as a FIFO with a silent writer
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := cmdPredict(ctx, []string{"--model", dir, "-"}, pr, &out, &errb); err == nil || !strings.Contains(err.Error(), "interrupted") || time.Since(start) > 5*time.Second {
		t.Errorf("predict - cancelled while waiting for stdin: %v after %v", err, time.Since(start))
	}
}

// TestFlagsAfterOperands: flags may follow the review texts ("--" ends them), and help texts
// name their arguments plainly.
func TestFlagsAfterOperands(t *testing.T) {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	model := fs.String("model", "", "model directory written by sentiment train")
	asJSON := fs.Bool("json", false, "")
	if err := parseOperands(fs, []string{"A fine film", "--model", "runs/x", "Dull", "--json", "--", "--model is not a flag here"}); err != nil {
		t.Fatal(err)
	}
	if *model != "runs/x" || !*asJSON || !slices.Equal(fs.Args(), []string{"A fine film", "Dull", "--model is not a flag here"}) {
		t.Errorf("model %q json %v operands %q", *model, *asJSON, fs.Args())
	}
	var help bytes.Buffer
	run(context.Background(), []string{"eval", "-h"}, &help, &help)
	if strings.Contains(help.String(), "-model sentiment") || !strings.Contains(help.String(), "-model string") {
		t.Errorf("eval -h:\n%s", help.String())
	}
}
