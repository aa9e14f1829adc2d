package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
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
		{"train --epochs 0", "--epochs 0"},
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

// TestNoCommandIsAnError: `sentiment` alone prints the usage to stderr and fails (scripts that
// forgot the command see it), and --version names the toolchain.
func TestNoCommandIsAnError(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "no command") {
		t.Errorf("no command: %v", err)
	}
	if !strings.Contains(errb.String(), "Usage") || out.Len() != 0 {
		t.Errorf("no command: stdout %q, stderr %q", out.String(), errb.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"--version"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "sentiment ") || !strings.Contains(out.String(), runtime.Version()) {
		t.Errorf("--version printed %q", out.String())
	}
}

// TestHelpShowsOperands: predict -h and ensemble -h say what follows the flags, and every
// --hf-cache help names the shared/hf-cache fallback.
func TestHelpShowsOperands(t *testing.T) {
	for cmd, want := range map[string]string{"predict": "Usage: sentiment predict [flags] TEXT...", "ensemble": "Usage: sentiment ensemble [flags] RUN1 RUN2", "eval": "shared/hf-cache"} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{cmd, "-h"}, &out, &errb); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(errb.String(), want) {
			t.Errorf("%s -h lacks %q:\n%s", cmd, want, errb.String())
		}
	}
}

// TestMemoryLimit: without GOMEMLIMIT the command keeps the Go heap to 3 GiB; with it, the
// runtime's value stands.
func TestMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	if got := setMemoryLimit(""); got != 3<<30 {
		t.Errorf("no GOMEMLIMIT: limit %d, want 3 GiB", got)
	}
	debug.SetMemoryLimit(1 << 40)
	if got := setMemoryLimit("1TiB"); got != 1<<40 {
		t.Errorf("GOMEMLIMIT=1TiB: limit %d, changed", got)
	}
}
