package sentimentlib

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
	"github.com/sentiment-go/sentiment/sentimentlib/webdemo"
)

// ExportManifest is what travels beside an exported ONNX model (as FILE.json): how a client in
// another language turns a review into the model's input, and its output into a probability.
type ExportManifest struct {
	Model        string `json:"model"`        // the .onnx file, beside this manifest
	Architecture string `json:"architecture"` // config.json's architecture
	// Features is the features file, copied beside the model: a Hugging Face tokenizer.json
	// (transformer, ngrams), ngrams.json (nbsvm) or words.json (region_cnn).
	Features string `json:"features"`
	// FeaturesRecipe says how the features file turns a review into ids.
	FeaturesRecipe string `json:"features_recipe"`
	// Input is the graph's input: "ids", int32 [Batch, MaxLen]; Output its output: "logits",
	// float32 [Batch].
	Input  string `json:"input"`
	Output string `json:"output"`
	Batch  int    `json:"batch"`
	MaxLen int    `json:"max_len"`
	// HeadTokens: a review of more than MaxLen ids keeps its first HeadTokens and its last
	// MaxLen-HeadTokens (after [CLS], when PrependCLS).
	HeadTokens int  `json:"head_tokens"`
	PrependCLS bool `json:"prepend_cls"`
	CLSID      int  `json:"cls_id"`
	PadID      int  `json:"pad_id"` // fills each row to MaxLen, and the rows of a short batch
	// UnkID is the id of a word the features do not know (-1: none; nbsvm leaves such n-grams out).
	UnkID int `json:"unk_id"`
	// Temperature, LengthPower and ReferenceLength: p(positive) = sigmoid(logit / T(n)), T(n) =
	// Temperature × (n / ReferenceLength)^LengthPower for a review of n ids (at least 1) before
	// truncation; temperature 1 and power 0 when uncalibrated.
	Temperature     float64 `json:"temperature"`
	LengthPower     float64 `json:"length_power"`
	ReferenceLength float64 `json:"reference_length"`
	Recipe          string  `json:"recipe"`
}

// ExportONNX writes the model as an ONNX graph to file (ids in, logits out, the weights
// embedded), its features file beside it as FILE-without-.onnx.<features file>, and the
// manifest as FILE.json. batch is the fixed batch size of the graph (its shapes are static).
// It needs a binary built with the onnx tag (make build-onnx) and the ONNX Runtime library.
func (p *Predictor) ExportONNX(file string, batch int) (*ExportManifest, error) {
	if !strings.HasSuffix(file, ".onnx") {
		return nil, fmt.Errorf("export: %q: the ONNX file's name must end in .onnx", file)
	}
	if batch < 1 || batch > 4096 {
		return nil, fmt.Errorf("export: batch %d must be in [1, 4096]", batch)
	}
	dir := filepath.Dir(file)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("export: %s is not a directory one can write the model into: create it first", dir)
	}
	if !onnxBuilt {
		return nil, errONNXNotBuilt
	}
	base := strings.TrimSuffix(filepath.Base(file), ".onnx")
	kind := p.cfg.arch().features
	featName := base + "." + kind.file
	opts := p.cfg.BatchOptions(false)
	m := &ExportManifest{
		Model: filepath.Base(file), Architecture: p.cfg.Architecture, Features: featName, FeaturesRecipe: kind.recipe,
		Input: onnxInput, Output: onnxOutput, Batch: batch, MaxLen: p.cfg.MaxLen, HeadTokens: p.cfg.HeadTokens,
		PrependCLS: opts.PrependCLS, CLSID: int(tokenize.ClsID), PadID: int(tokenize.PadID), UnkID: kind.unkID,
		Temperature: p.calibration.Temperature, LengthPower: p.calibration.Power, ReferenceLength: max(1, p.calibration.Reference),
		Recipe: "ids = the features' encoding of the review; if longer than max_len (max_len-1 with [CLS]), keep " +
			"the first head_tokens and the last (max_len - head_tokens); put cls_id first when prepend_cls; pad " +
			"with pad_id to max_len; run batch rows at a time (pad short batches with rows of pad_id); " +
			"p(positive) = 1 / (1 + exp(-logit / T)), T = temperature × (n / reference_length)^length_power, n = the " +
			"number of ids before truncation (at least 1)",
	}
	if err := saveONNX(p, file, batch); err != nil {
		return nil, err
	}
	if err := p.feat.Save(filepath.Join(dir, featName)); err != nil {
		return nil, fmt.Errorf("export: the features: %w", err)
	}
	if err := rundir.WriteJSON(file+".json", m); err != nil {
		return nil, fmt.Errorf("export: the manifest: %w", err)
	}
	for _, f := range []string{file, filepath.Join(dir, featName), file + ".json"} {
		if err := os.Chmod(f, 0o644); err != nil { // files to share: readable by all
			return nil, fmt.Errorf("export: %w", err)
		}
	}
	return m, nil
}

// ExportSample is a golden file for clients of an exported model: reviews, the ids the
// features give them (before truncation) and this model's logits.
type ExportSample struct {
	Split  string    `json:"split"`
	Texts  []string  `json:"texts"`
	IDs    [][]int32 `json:"ids"`
	Logits []float64 `json:"logits"`
}

// ExportSample writes FILE.sample.json beside an exported model file: the first n reviews of a
// split (validation unless told otherwise; cacheDir as PredictSplit takes it), for a client in
// another stack to check itself against (bench/onnx/run.mjs does). It returns the file's path.
func (p *Predictor) ExportSample(ctx context.Context, file, split, cacheDir string, n int) (string, error) {
	if n < 1 {
		return "", fmt.Errorf("export: a sample of %d reviews: want at least 1", n)
	}
	reviews, err := p.splitReviews(ctx, cmp.Or(split, "validation"), cacheDir)
	if err != nil {
		return "", err
	}
	s := ExportSample{Split: cmp.Or(split, "validation")}
	for _, r := range reviews[:min(n, len(reviews))] {
		s.Texts = append(s.Texts, r.Text)
	}
	s.IDs = p.feat.EncodeAll(s.Texts)
	if s.Logits, err = p.Logits(ctx, s.IDs); err != nil {
		return "", err
	}
	path := file + ".sample.json"
	if err := rundir.WriteJSON(path, s); err != nil {
		return "", fmt.Errorf("export: the sample: %w", err)
	}
	return path, os.Chmod(path, 0o644)
}

// ExportWeb writes the browser demo into dir (package webdemo): the page and its runtime,
// copied from nodeModules, and the model exported as dir/model.onnx (batch 1) with its manifest
// and tokenizer. Only models whose features are a tokenizer.json qualify: the page tokenizes
// with @huggingface/tokenizers, and the n-gram and word features have no JavaScript version.
func (p *Predictor) ExportWeb(dir, nodeModules string) (*ExportManifest, error) {
	if kind := p.cfg.arch().features; !kind.web {
		return nil, fmt.Errorf("export --web: the page tokenizes with @huggingface/tokenizers, which reads a tokenizer.json; a %s model's features (%s) have no JavaScript version yet: export a transformer run, or use --onnx and give a client the ids", p.cfg.Architecture, kind.file)
	}
	if err := webdemo.Write(dir, nodeModules); err != nil {
		return nil, err
	}
	return p.ExportONNX(filepath.Join(dir, "model.onnx"), 1)
}

// The names of the exported graph's input and output.
const onnxInput, onnxOutput = "ids", "logits"

// errONNXNotBuilt: this binary was built without the onnx tag.
var errONNXNotBuilt = errors.New("export: this binary was built without ONNX support: build it with `make build-onnx` (bin/sentiment-onnx; cgo and the onnx build tag)")
