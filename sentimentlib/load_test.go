package sentimentlib

import (
	"bytes"
	"context"
	"encoding/gob"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
)

// trainedDir trains the tiny transformer once per test into a directory of its own.
func trainedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := Train(context.Background(), tinyConfig(t), dir, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// TestLoadRefusesWhatDoesNotFit: a model directory whose files do not fit each other, or whose
// weights are not finite, is refused at Load with an error naming the file, rather than
// serving answers that are wrong or errors on every prediction.
//
// The manifest catches every one of these edits first (TestLoadVerifiesTheManifest); the checks
// here are what stands for a run written before manifests, so each case removes it.
func TestLoadRefusesWhatDoesNotFit(t *testing.T) {
	dir := trainedDir(t)
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		spoil   func(dir string)
		mention []string
	}{
		{"empty config", func(d string) { os.WriteFile(filepath.Join(d, ConfigFile), []byte("{}"), 0o644) }, []string{ConfigFile, "architecture"}},
		{"another max_len", func(d string) { setConfig(t, d, "max_len", "128") }, []string{ConfigFile, BestCheckpoint, "position_embedding/embeddings has shape [64, 16] in the checkpoint, the configuration makes it [128, 16]"}},
		{"another width", func(d string) { setConfig(t, d, "model_dim", "8") }, []string{"do not fit", "different runs"}},
		{"NaN weights", func(d string) { poison(t, filepath.Join(d, BestCheckpoint), math.NaN()) }, []string{BestCheckpoint, "not finite"}},
		{"infinite weights", func(d string) { poison(t, filepath.Join(d, BestCheckpoint), math.Inf(1)) }, []string{"not finite"}},
		{"a checkpoint without the head", func(d string) { dropVariable(t, filepath.Join(d, BestCheckpoint), "/model/head/") }, []string{BestCheckpoint, "lacks the variable", "head"}},
		// It once loaded as zeros, and the model answered negative for a glowing review.
		{"a variable cut short", func(d string) { shortenVariable(t, filepath.Join(d, BestCheckpoint)) }, []string{BestCheckpoint, "damaged", "more than its"}},
		{"a field no configuration has", func(d string) { editJSON(t, filepath.Join(d, ConfigFile), "max_lne", 5) }, []string{ConfigFile, `"max_lne"`, "max_len"}},
	}
	for _, c := range cases {
		d := copyDir(t, dir)
		if err := os.Remove(filepath.Join(d, rundir.ManifestFile)); err != nil {
			t.Fatal(err)
		}
		c.spoil(d)
		_, err := Load(d)
		for _, m := range c.mention {
			if err == nil || !strings.Contains(err.Error(), m) {
				t.Errorf("%s: Load error %v, want one mentioning %q", c.name, err, m)
				break
			}
		}
	}
}

// TestLoadVerifiesTheManifest: a trained run records its files in manifest.json and loads
// verified; a file edited, damaged, removed or copied from another run afterwards is refused,
// naming it, where it used to change the verdicts silently (pooling "cls" in config.json, the
// tokenizer of another run); a calibration.json the run's calibrate did not write is refused;
// calibrate itself records what it writes; without a manifest the run loads unverified.
func TestLoadVerifiesTheManifest(t *testing.T) {
	dir := trainedDir(t)
	p, err := Load(dir)
	if err != nil || !p.Verified() {
		t.Fatalf("a new run: verified %v, %v", p != nil && p.Verified(), err)
	}
	for _, c := range []struct {
		name, file string
		spoil      func(dir string)
	}{
		{"pooling cls", ConfigFile, func(d string) { setConfig(t, d, "pooling", `"cls"`) }},
		{"one byte of the weights", BestCheckpoint, func(d string) { flipByte(t, filepath.Join(d, BestCheckpoint)) }},
		{"the features removed", TokenizerFile, func(d string) { os.Remove(filepath.Join(d, TokenizerFile)) }},
		{"a tokenizer.json with one more space", TokenizerFile, func(d string) { appendTo(t, filepath.Join(d, TokenizerFile), " ") }},
		{"logits.json edited", LogitsFile, func(d string) { appendTo(t, filepath.Join(d, LogitsFile), " ") }},
		{"a calibration nobody recorded", CalibrationFile, func(d string) {
			rundir.WriteJSON(filepath.Join(d, CalibrationFile), Calibration{Temperature: 0.01, FittedOn: "validation"})
		}},
	} {
		d := copyDir(t, dir)
		c.spoil(d)
		_, err := Load(d)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(d, c.file)) {
			t.Errorf("%s: Load error %v, want one naming %s", c.name, err, c.file)
		}
	}
	d := copyDir(t, dir)
	if _, err := Calibrate(context.Background(), d, ""); err != nil {
		t.Fatal(err)
	}
	if p, err := Load(d); err != nil || !p.Verified() || p.Temperature() == 1 {
		t.Errorf("after calibrate: %v (verified %v)", err, err == nil && p.Verified())
	}
	// A calibrate killed between its two writes: Load says to rerun it, and the rerun works.
	rundir.WriteJSON(filepath.Join(d, CalibrationFile), Calibration{Temperature: 3, FittedOn: "validation"})
	if _, err := Load(d); err == nil || !strings.Contains(err.Error(), "rerun `sentiment calibrate") {
		t.Errorf("a calibration written after the manifest: %v", err)
	}
	if _, err := Calibrate(context.Background(), d, ""); err != nil {
		t.Errorf("calibrate again after an interrupted one: %v", err)
	}
	if p, err := Load(d); err != nil || !p.Verified() || p.Temperature() == 3 {
		t.Errorf("after calibrating again: %v", err)
	}
	// The recorded calibration removed: the model loads uncalibrated.
	os.Remove(filepath.Join(d, CalibrationFile))
	if p, err := Load(d); err != nil || p.Temperature() != 1 {
		t.Errorf("the calibration removed: %v", err)
	}
	d = copyDir(t, dir)
	os.Remove(filepath.Join(d, rundir.ManifestFile))
	if p, err := Load(d); err != nil || p.Verified() {
		t.Errorf("without a manifest: %v, want it loaded unverified", err)
	}
}

// editJSON sets one top-level key of a JSON file to value, whatever the file's type says.
func editJSON(t *testing.T, path, key string, value any) {
	var m map[string]any
	if err := rundir.ReadJSON(path, &m); err != nil {
		t.Fatal(err)
	}
	m[key] = value
	if err := rundir.WriteJSON(path, m); err != nil {
		t.Fatal(err)
	}
}

// flipByte inverts the last byte of a file.
func flipByte(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendTo appends s to a file.
func appendTo(t *testing.T, path, s string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func setConfig(t *testing.T, dir, field, value string) {
	var cfg Config
	if err := rundir.ReadJSON(filepath.Join(dir, ConfigFile), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set(field, value); err != nil {
		t.Fatal(err)
	}
	if err := rundir.WriteJSON(filepath.Join(dir, ConfigFile), cfg); err != nil {
		t.Fatal(err)
	}
}

// poison sets one weight of the first float32 variable of the checkpoint to x.
func poison(t *testing.T, path string, x float64) {
	store := model.NewStore()
	if _, err := rundir.LoadCheckpoint(store, path); err != nil {
		t.Fatal(err)
	}
	for v := range store.IterVariables() {
		val := must(v.Value())
		if val.DType() != dtypes.Float32 || !strings.HasPrefix(v.Path(), "/model/") {
			continue
		}
		data := tensors.MustCopyFlatData[float32](val)
		data[len(data)/2] = float32(x)
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, val.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
		break
	}
	if err := rundir.SaveCheckpoint(store, path); err != nil {
		t.Fatal(err)
	}
}

// shortenVariable rewrites the checkpoint with the bytes of its largest variable cut in half,
// its shape left as it was (gob matches the checkpoint's fields by name).
func shortenVariable(t *testing.T, path string) {
	type variable struct {
		Path      string
		DType     dtypes.DType
		Dims      []int
		Trainable bool
		Data      []byte
	}
	var ck struct {
		Format string
		Vars   []variable
		State  *rundir.State
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&ck); err != nil {
		t.Fatal(err)
	}
	largest := 0
	for i, v := range ck.Vars {
		if len(v.Data) > len(ck.Vars[largest].Data) {
			largest = i
		}
	}
	ck.Vars[largest].Data = ck.Vars[largest].Data[:len(ck.Vars[largest].Data)/2]
	var out bytes.Buffer
	if err := gob.NewEncoder(&out).Encode(&ck); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dropVariable rewrites the checkpoint without the variables under prefix.
func dropVariable(t *testing.T, path, prefix string) {
	store := model.NewStore()
	if _, err := rundir.LoadCheckpoint(store, path); err != nil {
		t.Fatal(err)
	}
	if err := rundir.SaveCheckpointFiltered(store, path, func(p string) bool { return !strings.HasPrefix(p, prefix) }, nil); err != nil {
		t.Fatal(err)
	}
}

// TestPredictionsSayTruncated: every prediction says whether the review was cut, and
// Predict and Explain agree.
func TestPredictionsSayTruncated(t *testing.T) {
	p, err := Load(trainedDir(t)) // max_len 64
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a fine film with a dull ending ", 20)
	preds, err := p.Predict([]string{"a fine film", long})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.Explain(long)
	if err != nil {
		t.Fatal(err)
	}
	if preds[0].Truncated || !preds[1].Truncated || !e.Truncated {
		t.Errorf("truncated: short %v, long %v, explained long %v", preds[0].Truncated, preds[1].Truncated, e.Truncated)
	}
}

// TestPredictContextStops: a cancelled context stops predictions and explanations.
func TestPredictContextStops(t *testing.T) {
	p, err := Load(trainedDir(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.PredictContext(ctx, []string{"a fine film"}); err == nil {
		t.Error("PredictContext ran on a cancelled context")
	}
	if _, err := p.ExplainContext(ctx, "a fine film"); err == nil {
		t.Error("ExplainContext ran on a cancelled context")
	}
}

// TestEvaluateReadsTheRecordedCache: with no --hf-cache and no HF_HUB_CACHE or HF_HOME, eval
// reads the cache the run was trained on (results.json's cache_dir), not the default one.
func TestEvaluateReadsTheRecordedCache(t *testing.T) {
	dir := t.TempDir()
	res, err := Train(context.Background(), tinyConfig(t), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(res.CacheDir) {
		t.Fatalf("results.json's cache_dir %q is not absolute", res.CacheDir)
	}
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_HOME", "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Chdir(t.TempDir())
	m, err := Evaluate(context.Background(), dir, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	if m != res.Test {
		t.Errorf("eval %+v, training's test %+v", m, res.Test)
	}
}

// TestLoadRefusesAPretraining: a pretraining's directory is not taken for a classifier's; the
// error says how to fine-tune one from it, with the preset its pretraining names.
func TestLoadRefusesAPretraining(t *testing.T) {
	dir := t.TempDir()
	pc, err := PretrainPreset("regions", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := rundir.WriteJSON(filepath.Join(dir, ConfigFile), pc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, EncoderCheckpoint), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir)
	if err == nil || !strings.Contains(err.Error(), "holds a pretraining") || !strings.Contains(err.Error(), "sentiment train --preset regions --init "+dir) {
		t.Errorf("Load of a pretraining: %v", err)
	}
}

// TestReadLogitsNamesWhatIsMissing: the logits of a run that does not exist, of one that has
// not finished and of a pretraining each get their own error, not "rerun the training".
func TestReadLogitsNamesWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ dir, want string }{
		{filepath.Join(dir, "nope"), "no run directory"},
		{dir, "holds no finished training"},
	} {
		if _, err := ReadLogits(c.dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.dir, err, c.want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, BestCheckpoint), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadLogits(dir); err == nil || !strings.Contains(err.Error(), "which sentiment train writes when it ends") {
		t.Errorf("no logits.json: %v", err)
	}
}
