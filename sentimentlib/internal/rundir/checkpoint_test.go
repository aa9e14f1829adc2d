package rundir

import (
	"bytes"
	"encoding/gob"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// writeRaw writes a checkpoint of the given variables as they are, consistent or not.
func writeRaw(t testing.TB, path string, vars ...savedVar) {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&savedCheckpoint{Format: checkpointFormat, Vars: vars}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedCheckpointsAreRefused: a variable whose bytes do not fill its shape (it once
// loaded as zeros and was served), a negative dimension, an unknown dtype, dimensions whose
// product would not fit in memory, and files that are not regular files are each refused with
// an error naming the file, without a panic and without allocating what the header claims.
func TestDamagedCheckpointsAreRefused(t *testing.T) {
	dir := t.TempDir()
	four := make([]byte, 16)
	for _, tc := range []struct {
		name, want string
		v          savedVar
	}{
		{"short", "dimensions [4] of Float32, more than its 8 bytes hold", savedVar{Path: "/model/w", DType: dtypes.Float32, Dims: []int{4}, Data: four[:8]}},
		{"long", "holds 16 bytes, its shape [2] of Float32 takes 8", savedVar{Path: "/model/w", DType: dtypes.Float32, Dims: []int{2}, Data: four}},
		{"negative", "negative dimension", savedVar{Path: "/model/w", DType: dtypes.Float32, Dims: []int{-4, -1}, Data: four}},
		{"dtype", "unknown dtype", savedVar{Path: "/model/w", DType: dtypes.DType(250), Dims: []int{4}, Data: four}},
		{"huge", "more than its 16 bytes hold", savedVar{Path: "/model/w", DType: dtypes.Float32, Dims: []int{1 << 20, 1 << 20}, Data: four}},
		{"overflow", "more than its 16 bytes hold", savedVar{Path: "/model/w", DType: dtypes.Float64, Dims: []int{1 << 40, 1 << 40, 1 << 40}, Data: four}},
	} {
		path := filepath.Join(dir, tc.name+".ckpt")
		writeRaw(t, path, tc.v)
		_, err := LoadCheckpoint(model.NewStore(), path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming %s and saying %q", tc.name, err, path, tc.want)
		}
	}
	fifo := filepath.Join(dir, "fifo.ckpt")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.ckpt")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, zero, dir} {
		if _, err := LoadCheckpoint(model.NewStore(), path); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: %v, want it refused as not a regular file", path, err)
		}
	}
}

// TestLoadLastRefusesAnUnreadableCheckpoint: a last.ckpt that is there but damaged stops the
// resume with an error saying how to restart on purpose (it used to restart from step 0
// silently); a directory without one has nothing to resume.
func TestLoadLastRefusesAnUnreadableCheckpoint(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := LoadLast(model.NewStore(), dir); ok || err != nil {
		t.Fatalf("empty directory: resume %v, %v", ok, err)
	}
	store := model.NewStore()
	if _, err := store.CreateVariable("/model/w", tensors.FromValue([]float32{1, 2, 3})); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, LastCheckpoint)
	if err := SaveCheckpointFiltered(store, path, nil, &State{Step: 7}); err != nil {
		t.Fatal(err)
	}
	if st, ok, err := LoadLast(model.NewStore(), dir); !ok || err != nil || st.Step != 7 {
		t.Fatalf("intact last.ckpt: step %d, %v, %v", st.Step, ok, err)
	}
	// A last.ckpt without the run's position, and no state.json to give it.
	if err := SaveCheckpointFiltered(store, path, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := LoadLast(model.NewStore(), dir); ok || err == nil || !strings.Contains(err.Error(), "no training position") {
		t.Errorf("last.ckpt without its position: resume %v, %v", ok, err)
	}
	if err := SaveCheckpointFiltered(store, path, nil, &State{Step: 7}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := LoadLast(model.NewStore(), dir); ok || err == nil || !strings.Contains(err.Error(), "cannot resume") || !strings.Contains(err.Error(), "delete "+dir) {
		t.Errorf("truncated last.ckpt: resume %v, %v; want an error saying the run cannot resume and how to restart", ok, err)
	}
}

// FuzzDecodeCheckpoint: whatever the bytes, decoding never panics, and what it accepts loads
// into a store.
func FuzzDecodeCheckpoint(f *testing.F) {
	store := model.NewStore()
	if _, err := store.CreateVariable("/model/w", tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6}, 2, 3)); err != nil {
		f.Fatal(err)
	}
	if _, err := store.CreateVariable("/step", tensors.FromValue(int64(3))); err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(f.TempDir(), "seed.ckpt")
	if err := SaveCheckpointFiltered(store, path, nil, &State{Step: 3}); err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		ck, err := decodeCheckpoint(data, "fuzz.ckpt")
		if err != nil {
			return
		}
		if err := load(model.NewStore(), ck, "fuzz.ckpt"); err != nil && !strings.Contains(err.Error(), "fuzz.ckpt") {
			t.Errorf("load of an accepted checkpoint: %v", err)
		}
	})
}
