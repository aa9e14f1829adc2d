package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportONNXCommand: `sentiment export` refuses what it cannot do with a message that
// names the fix (a missing flag, a name without .onnx, a directory that is not there, a model
// without its features, a binary built without ONNX), and with ONNX built writes the model,
// its features and the manifest side by side. make onnx-check runs it with the onnx tag.
func TestExportONNXCommand(t *testing.T) {
	t.Setenv("HF_HUB_OFFLINE", "1")
	ctx := context.Background()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	train := []string{"train", "--preset", "nbsvm", "--quick", "--hf-cache", "../../data/hf-cache", "--out", dir,
		"--set", "nbsvm.max_features=20000", "--set", "max_len=512", "--set", "head_tokens=512"}
	if err := run(ctx, train, &out, &errb); err != nil {
		t.Fatalf("train: %v\n%s", err, errb.String())
	}
	to := t.TempDir()
	notDir := filepath.Join(to, "a-file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	noFeatures := t.TempDir()
	for _, f := range []string{"config.json", "best.ckpt"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(noFeatures, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--model", dir}, "one of --onnx FILE.onnx or --web DIR are required"},
		{[]string{"export", "--model", dir, "--onnx", filepath.Join(to, "m.onnx"), "--web", to}, "one of --onnx"},
		{[]string{"export", "--model", dir, "--web", filepath.Join(to, "web")}, "no JavaScript version yet"},
		{[]string{"export", "--model", dir, "--onnx", filepath.Join(to, "m.txt")}, "must end in .onnx"},
		{[]string{"export", "--model", dir, "--onnx", filepath.Join(to, "m.onnx"), "--batch", "0"}, "batch 0"},
		{[]string{"export", "--model", dir, "--onnx", filepath.Join(to, "missing", "m.onnx")}, "create it first"},
		{[]string{"export", "--model", dir, "--onnx", filepath.Join(notDir, "m.onnx")}, "create it first"},
		{[]string{"export", "--model", noFeatures, "--onnx", filepath.Join(to, "m.onnx")}, "ngrams.json"},
	} {
		if err := run(ctx, c.args, &out, &errb); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error saying %q", c.args[1:], err, c.want)
		}
	}
	file := filepath.Join(to, "nbsvm.onnx")
	out.Reset()
	err := run(ctx, []string{"export", "--model", dir, "--onnx", file, "--batch", "4", "--sample", "7", "--hf-cache", "../../data/hf-cache"}, &out, &errb)
	if !onnxTagged {
		if err == nil || !strings.Contains(err.Error(), "make build-onnx") {
			t.Errorf("export without the onnx build: %v, want an error naming make build-onnx", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Model, Features, Input string
		Batch                  int
		MaxLen                 int `json:"max_len"`
	}
	b, err := os.ReadFile(file + ".json")
	if err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("the manifest: %v", err)
	}
	if m.Model != "nbsvm.onnx" || m.Features != "nbsvm.ngrams.json" || m.Input != "ids" || m.Batch != 4 || m.MaxLen != 512 {
		t.Errorf("manifest %+v", m)
	}
	for _, f := range []string{file, filepath.Join(to, m.Features)} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	var s struct {
		Texts  []string
		IDs    [][]int32
		Logits []float64
	}
	if b, err := os.ReadFile(file + ".sample.json"); err != nil || json.Unmarshal(b, &s) != nil || len(s.Texts) != 7 || len(s.IDs) != 7 || len(s.Logits) != 7 {
		t.Errorf("the sample: %v, %d texts, %d ids, %d logits; want 7 of each", err, len(s.Texts), len(s.IDs), len(s.Logits))
	}
	if !strings.Contains(out.String(), "ids int32 [4, 512]") {
		t.Errorf("export printed %q", out.String())
	}
}
