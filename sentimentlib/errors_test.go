package sentimentlib

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
)

// badField is a configuration field set to a value Validate must refuse, with what the error
// must mention.
type badField struct{ field, value, mention string }

// checkRefused sets each field of a preset's configuration in turn and checks that Validate
// refuses it with an error that names it, and that Train refuses it before touching data or disk.
func checkRefused(t *testing.T, preset string, cases []badField) {
	t.Helper()
	for _, tc := range cases {
		cfg, _ := Preset(preset, false)
		if err := cfg.Set(tc.field, tc.value); err != nil {
			t.Fatalf("%s: Set(%s, %s): %v", preset, tc.field, tc.value, err)
		}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: %s=%s: error %v, want one naming %q", preset, tc.field, tc.value, err, tc.mention)
		}
		if _, err := Train(context.Background(), cfg, filepath.Join(t.TempDir(), "out"), nil); err == nil {
			t.Errorf("%s: %s=%s: Train accepted it", preset, tc.field, tc.value)
		}
	}
}

// TestBadConfigsAreClearErrors: each out-of-range value is refused with an error naming the field.
func TestBadConfigsAreClearErrors(t *testing.T) {
	checkRefused(t, "default", []badField{
		{"model_dim", "2", "model_dim"},
		{"num_heads", "3", "num_heads"},
		{"num_layers", "0", "num_layers"},
		{"dropout", "1", "dropout"},
		{"max_len", "4", "max_len"},
		{"max_len", "1e9", "max_len"},
		{"batch_size", "100000000", "batch_size"},
		{"head_tokens", "9999", "head_tokens"},
		{"batch_size", "0", "batch_size"},
		{"learning_rate", "0", "learning_rate"},
		{"select_metric", `"loss"`, "select_metric"},
		{"attention_window", "100", "attention_window"},
		{"length_buckets", "-1", "length_buckets"},
		{"length_buckets", "65", "length_buckets"},
		{"architecture", `"lstm"`, "architecture"},
		{"layer_lr_decay", "1.5", "layer_lr_decay"},
		{"layer_lr_decay", "-0.1", "layer_lr_decay"},
		{"init_scale", "1.5", "init_scale"},
		{"init_scale", "0.25", "--init"}, // no pretrained encoder to scale
		{"pooling", "max", "mean_max"},   // the error lists the poolings
		{"data.validation_block", "-1", "validation_block"},
		{"loss.length_alpha", "-9", "length"},
	})
	nan, _ := Preset("default", false)
	nan.Loss.ConfidenceGamma = math.NaN()
	if err := nan.Validate(); err == nil || !strings.Contains(err.Error(), "loss.confidence_gamma NaN") {
		t.Errorf("a NaN setting: %v", err)
	}
	if err := nan.Set("preset", "nbsvm"); err == nil || !strings.Contains(err.Error(), "--preset") {
		t.Errorf("--set preset: %v", err)
	}
	big := tinyConfig(t)
	big.BatchSize = 20_000
	if _, err := Train(context.Background(), big, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "larger than the") {
		t.Errorf("a batch larger than the training split: %v", err)
	}
	if _, err := Preset("huge", false); err == nil || !strings.Contains(err.Error(), "default") {
		t.Errorf("unknown preset: %v", err)
	}
}

// TestCheckpointOfAnotherModel: loading a checkpoint into a store whose variable has another
// shape (another vocabulary or architecture) names the variable and the likely cause.
func TestCheckpointOfAnotherModel(t *testing.T) {
	a := model.NewStore()
	if _, err := a.CreateVariable("/model/token_embedding/embeddings", tensors.FromShape(shapes.Make(smodel.DType, 100, 8))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.ckpt")
	if err := rundir.SaveCheckpoint(a, path); err != nil {
		t.Fatal(err)
	}
	b := model.NewStore()
	if _, err := b.CreateVariable("/model/token_embedding/embeddings", tensors.FromShape(shapes.Make(smodel.DType, 200, 8))); err != nil {
		t.Fatal(err)
	}
	_, err := rundir.LoadCheckpoint(b, path)
	if err == nil || !strings.Contains(err.Error(), "token_embedding") || !strings.Contains(err.Error(), "vocabulary") {
		t.Errorf("shape mismatch: %v", err)
	}
	// A truncated checkpoint is refused, not half-loaded.
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rundir.LoadCheckpoint(model.NewStore(), path); err == nil || !strings.Contains(err.Error(), "not a readable checkpoint") {
		t.Errorf("truncated checkpoint: %v", err)
	}
}

// TestUnwritableOutputDirectory: training into a directory it cannot write fails at once with an
// error naming the directory.
func TestUnwritableOutputDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere: use a path under a regular file instead, which nobody can create.
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		cfg := tinyConfig(t)
		_, err := Train(context.Background(), cfg, filepath.Join(file, "out"), nil)
		if err == nil || !strings.Contains(err.Error(), "output directory") {
			t.Errorf("output under a file: %v", err)
		}
		return
	}
	dir := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(dir, 0o555)
	_, err := Train(context.Background(), tinyConfig(t), dir, nil)
	if err == nil || !strings.Contains(err.Error(), "not writable") || !strings.Contains(err.Error(), dir) {
		t.Errorf("read-only output: %v", err)
	}
}

// TestLengthBuckets: length_buckets sets the padded lengths (compiled shapes) of training and
// pretraining batches, 0 keeps the defaults, and a bad value is an error naming the field.
func TestLengthBuckets(t *testing.T) {
	cfg, err := Preset("gpu", false)
	if err != nil || cfg.Validate() != nil {
		t.Fatalf("preset gpu: %v, %v", err, cfg.Validate())
	}
	if got := cfg.BatchOptions(true).Buckets; !slices.Equal(got, []int{256, 512}) {
		t.Errorf("gpu preset buckets %v, want [256 512]", got)
	}
	if err := cfg.Set("length_buckets", "0"); err != nil {
		t.Fatal(err)
	}
	if got := cfg.BatchOptions(false).Buckets; !slices.Equal(got, []int{128, 256, 384, 512}) {
		t.Errorf("default buckets %v, want quarters of 512", got)
	}
	pc, _ := PretrainPreset("cpu", false)
	if err := pc.Set("length_buckets", "-2"); err != nil {
		t.Fatal(err)
	}
	if err := pc.Validate(); err == nil || !strings.Contains(err.Error(), "length_buckets") {
		t.Errorf("pretrain length_buckets -2: %v", err)
	}
}

// TestFailedRunLeavesNothing: a first try that fails before its first checkpoint (here: no
// dataset in the cache) leaves no run directory behind; an interrupted run keeps its own.
func TestFailedRunLeavesNothing(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Data.CacheDir = t.TempDir() // empty, and offline
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := Train(context.Background(), cfg, dir, nil); err == nil {
		t.Fatal("training without data succeeded")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("the failed run left %s behind", dir)
	}
	pc, _ := PretrainPreset("cpu", true)
	pc.Data = cfg.Data
	if _, err := Pretrain(context.Background(), pc, dir, nil); err == nil {
		t.Fatal("pretraining without data succeeded")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("the failed pretraining left %s behind", dir)
	}
}
