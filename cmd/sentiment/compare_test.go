package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
