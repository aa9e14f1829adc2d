//go:build onnx

package sentimentlib

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
)

// onnxClient is the Node script that runs an exported model in ONNX Runtime with the
// manifest alone (bench/onnx; `make onnx-check` installs its packages).
const onnxClient = "../bench/onnx/run.mjs"

// checkReviews are the reviews the exported models are checked on: the fixture's validation
// and test reviews, and 1,000 reviews of the real test split (every 25th: both labels).
func checkReviews(t *testing.T) []string {
	ctx := context.Background()
	fx, err := imdb.Load(ctx, imdb.Options{CacheDir: fixture, Offline: true, SkipUnsupervised: true})
	if err != nil {
		t.Fatal(err)
	}
	texts := append(imdb.Texts(fx.Validation), imdb.Texts(fx.Test)...)
	real, err := imdb.Load(ctx, imdb.Options{SkipUnsupervised: true})
	if err != nil {
		t.Fatalf("the real test split: %v\n(point HF_HUB_CACHE at a cache holding stanfordnlp/imdb)", err)
	}
	for i := 0; i < len(real.Test) && i < 25*1000; i += 25 {
		texts = append(texts, real.Test[i].Text)
	}
	return texts
}

// TestONNXExportInONNXRuntime: each kind of model, exported, gives in ONNX Runtime for Node
// (a client we did not write, reading only the manifest) the logits ours gives within 1e-4 and
// the same labels; where the features are a tokenizer.json, the Hugging Face tokenizers for
// JavaScript give our tokenizer's ids.
func TestONNXExportInONNXRuntime(t *testing.T) {
	if _, err := os.Stat("../bench/onnx/node_modules/onnxruntime-node"); err != nil {
		t.Fatal("bench/onnx/node_modules is missing: run `make onnx-check` (it installs onnxruntime-node and @huggingface/tokenizers with npm)")
	}
	texts := checkReviews(t)
	ctx := context.Background()
	tv := t.TempDir()
	if _, err := Pretrain(ctx, tinyRegionPretraining(t), tv, nil); err != nil {
		t.Fatal(err)
	}
	withTV := tinyRegions(t)
	if err := withTV.InitFrom(tv); err != nil {
		t.Fatal(err)
	}
	cls := tinyConfig(t)
	cls.Pooling = "cls"
	for name, cfg := range map[string]Config{
		"transformer": tinyConfig(t), "transformer-cls": cls, "nbsvm": tinyNBSVM(t),
		"regions": tinyRegions(t), "regions-tv": withTV,
	} {
		t.Run(name, func(t *testing.T) { checkONNXExport(t, name, cfg, texts) })
	}
}

// checkONNXExport trains cfg, exports it and runs the export in ONNX Runtime for Node from its
// manifest alone: the same tokenizer ids (for tokenizer models), the same labels, and logits
// within 1e-4 of ours on texts.
func checkONNXExport(t *testing.T, name string, cfg Config, texts []string) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Train(ctx, cfg, dir, nil); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	file := filepath.Join(out, name+".onnx")
	m, err := p.ExportONNX(file, 16)
	if err != nil {
		t.Fatal(err)
	}
	ids := p.feat.EncodeAll(texts)
	want, err := p.Logits(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	req := map[string]any{"ids": ids}
	tokenizer := strings.HasSuffix(m.Features, TokenizerFile)
	if tokenizer {
		req = map[string]any{"texts": texts}
	}
	reqFile := filepath.Join(out, "request.json")
	b, _ := json.Marshal(req)
	if err := os.WriteFile(reqFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", onnxClient, file+".json", reqFile)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v", onnxClient, err)
	}
	var got struct {
		IDs    [][]int32 `json:"ids"`
		Logits []float64 `json:"logits"`
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("the client's answer: %v", err)
	}
	if len(got.Logits) != len(texts) {
		t.Fatalf("%d logits for %d reviews", len(got.Logits), len(texts))
	}
	if tokenizer {
		for i := range ids {
			if !slices.Equal(got.IDs[i], ids[i]) {
				t.Fatalf("review %d: @huggingface/tokenizers gives %d ids, %v...; ours %d, %v...", i, len(got.IDs[i]), got.IDs[i][:min(8, len(got.IDs[i]))], len(ids[i]), ids[i][:min(8, len(ids[i]))])
			}
		}
	}
	worst := 0.0
	for i := range want {
		worst = max(worst, math.Abs(got.Logits[i]-want[i]))
		if (got.Logits[i] > 0) != (want[i] > 0) {
			t.Errorf("review %d: ONNX Runtime's label differs (logit %.6f, ours %.6f)", i, got.Logits[i], want[i])
		}
	}
	if worst > 1e-4 {
		t.Errorf("logits differ by up to %.2g from ours (want <= 1e-4)", worst)
	}
	t.Logf("%d reviews, largest logit difference %.2g", len(texts), worst)
}
