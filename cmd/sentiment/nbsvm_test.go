package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

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
		Test           metrics.Metrics `json:"test"`
		TestCalibrated metrics.Metrics `json:"test_calibrated"`
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
	// The preset calibrates at the end of training: eval's metrics are the calibrated ones.
	if err := json.Unmarshal(out.Bytes(), &m); err != nil || m != res.TestCalibrated || m.Accuracy != res.Test.Accuracy {
		t.Errorf("eval %+v (err %v), train's calibrated test %+v", m, err, res.TestCalibrated)
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
	errb.Reset()
	if err := run(ctx, []string{"eval", "--model", dir, "--hf-cache", fixture}, &out, &errb); err != nil || !strings.Contains(errb.String(), "calibrated: probabilities use temperature") {
		t.Errorf("eval after calibrate does not say its probabilities are calibrated: %v\n%s", err, errb.String())
	}
	out.Reset()
	if err := run(ctx, []string{"eval", "--short", "--model", dir, "--hf-cache", fixture}, &out, &errb); err != nil || !strings.Contains(out.String(), "validation sentences, 3-5") || !strings.Contains(out.String(), "one-liners on the right side") {
		t.Errorf("eval --short: %v\n%s", err, out.String())
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
	if err := run(ctx, []string{"bench", "--peer", "sklearn"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "torch, nbsvm or regions") {
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
