package sentimentlib

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

// TestSummarizeRuns groups directories by name without -seedN, in order, with the mean and
// sample standard deviation computed by hand; a missing results.json and a repeated seed are
// errors that name the directory.
func TestSummarizeRuns(t *testing.T) {
	root := t.TempDir()
	write := func(name string, seed uint64, val, test, nll float64) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		r := Results{Seed: seed, Validation: metrics.Metrics{Accuracy: val}, Test: metrics.Metrics{Accuracy: test, NLL: nll}}
		if err := writeJSON(filepath.Join(dir, ResultsFile), r); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dirs := []string{write("b-seed1", 1, 0.80, 0.70, 0.5), write("a-seed7", 7, 0.9, 0.85, 0.3),
		write("b-seed2", 2, 0.84, 0.74, 0.7), write("b-seed3", 3, 0.86, 0.72, 0.6)}
	groups, err := SummarizeRuns(dirs)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].Name != "b" || groups[1].Name != "a" || len(groups[0].Seeds) != 3 || groups[0].Seeds[2] != 3 {
		t.Fatalf("groups %+v", groups)
	}
	// b: validation 0.80, 0.84, 0.86: mean 0.8333..., deviations -1/30, 1/150, 2/75.
	wantStd := math.Sqrt((math.Pow(0.80-2.5/3, 2) + math.Pow(0.84-2.5/3, 2) + math.Pow(0.86-2.5/3, 2)) / 2)
	b := groups[0]
	if math.Abs(b.Validation.Mean-2.5/3) > 1e-12 || math.Abs(b.Validation.Std-wantStd) > 1e-12 ||
		math.Abs(b.Test.Mean-0.72) > 1e-12 || math.Abs(b.Test.Std-0.02) > 1e-12 || math.Abs(b.TestNLL.Mean-0.6) > 1e-12 {
		t.Errorf("group b: %+v", b)
	}
	if a := groups[1]; a.Validation.Std != 0 || a.Test.Mean != 0.85 {
		t.Errorf("group a (one run): %+v", a)
	}
	var sb strings.Builder
	if err := WriteRunTable(&sb, groups); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "| b | 1,2,3 | 0.8333 ± 0.0306 | 0.7200 ± 0.0200 | 0.600 ± 0.100 |") {
		t.Errorf("table:\n%s", sb.String())
	}

	if _, err := SummarizeRuns([]string{dirs[0], filepath.Join(root, "none")}); err == nil || !strings.Contains(err.Error(), "none") {
		t.Errorf("missing results.json: %v", err)
	}
	again := write("b-seed9", 1, 0.8, 0.7, 0.5)
	if _, err := SummarizeRuns([]string{dirs[0], again}); err == nil || !strings.Contains(err.Error(), "both seed 1") {
		t.Errorf("repeated seed: %v", err)
	}
}

// TestInspectCheckpoint: shapes and root mean squares of saved variables, computed by hand; a
// file that is not a checkpoint is an error naming it.
func TestInspectCheckpoint(t *testing.T) {
	store := model.NewStore()
	if _, err := store.CreateVariable("/model/a", tensors.FromFlatDataAndDimensions([]float32{3, -4, 0, 0}, 2, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateVariable("/model/b", tensors.FromValue(int64(7))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.ckpt")
	if err := SaveCheckpoint(store, path); err != nil {
		t.Fatal(err)
	}
	vars, err := InspectCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]VariableStats{}
	for _, v := range vars {
		byPath[v.Path] = v
	}
	a, b := byPath["/model/a"], byPath["/model/b"]
	if len(vars) != 2 || math.Abs(a.RMS-2.5) > 1e-12 || len(a.Dims) != 2 || a.Dims[1] != 2 || !math.IsNaN(b.RMS) {
		t.Errorf("inspect: %+v", vars)
	}
	bad := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(bad, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := InspectCheckpoint(bad); err == nil || !strings.Contains(err.Error(), "notes.txt is not a readable checkpoint") {
		t.Errorf("not a checkpoint: %v", err)
	}
}
