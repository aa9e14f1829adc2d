package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHistory: a classifier's and a pretraining's evaluations print a line each, and both
// runs' curves go into one SVG file; a directory without metrics.jsonl is an error naming it.
func TestHistory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, lines string) string {
		run := filepath.Join(dir, name)
		if err := os.MkdirAll(run, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(run, "metrics.jsonl"), []byte(lines), 0o644); err != nil {
			t.Fatal(err)
		}
		return run
	}
	clf := write("clf-seed1", `{"type":"train","step":10,"epoch":1,"loss":0.6,"loss_ema":0.65,"seconds":1}
{"type":"validation","step":20,"epoch":1,"seconds":2,"best":true,"validation":{"accuracy":0.81,"f1":0.8,"roc_auc":0.9,"nll":0.4}}
{"type":"train","step":30,"epoch":2,"loss":0.4,"loss_ema":0.5,"seconds":3}
{"type":"validation","step":40,"epoch":2,"seconds":4,"validation":{"accuracy":0.8,"f1":0.79,"roc_auc":0.9,"nll":0.45}}
`)
	pre := write("pre-seed1", `{"type":"train","step":10,"loss":2.5,"loss_ema":2.6,"seconds":1}
{"type":"validation","step":20,"seconds":2,"held_out":{"mlm_loss":0,"region_loss":2.2}}
`)
	svg := filepath.Join(dir, "h.svg")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"history", "--svg", svg, clf, pre}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "clf-seed1  step 20 (epoch 1)  validation accuracy 0.8100") || !strings.HasSuffix(lines[0], "(best)  2 s") ||
		!strings.Contains(lines[2], "pre-seed1  step 20  region_loss 2.2000") || strings.Contains(lines[2], "mlm_loss") {
		t.Errorf("lines:\n%s", out.String())
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "clf-seed1: accuracy", "pre-seed1: held-out region_loss", "Training loss"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	if err := run(context.Background(), []string{"history", "--svg", "", dir}, &out, &errb); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("a directory without metrics.jsonl: %v", err)
	}
}
