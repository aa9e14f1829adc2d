package rundir

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

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

// TestJSONFilesAreRegularFiles: a results.json that is a FIFO (the reader would block until
// killed) or a device is refused at once, naming it.
func TestJSONFilesAreRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, ResultsFile)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	for _, path := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() { done <- ReadJSON(path, &v) }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: %v, want it refused", path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ReadJSON still blocked after 5 s", path)
		}
	}
}
