package rundir

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// A checkpoint is one file holding every variable of a model.Store (weights, and for resumable
// checkpoints the optimizer state and step counters), gob-encoded. It is written to a temporary
// file, synced and renamed: a crash leaves the previous checkpoint intact, never a partial one.
//
// GoMLX's own ml/model/checkpoint keeps numbered checkpoints in a directory and loads a whole
// store; a run here needs three named files (best, last, and the encoder alone without the
// pretraining heads) and loads an encoder into a classifier, so it keeps this format.

type savedVar struct {
	Path      string
	DType     dtypes.DType
	Dims      []int
	Trainable bool
	Data      []byte
}

type savedCheckpoint struct {
	Format string
	Vars   []savedVar
	// State is the run's position when the checkpoint was taken (last.ckpt); nil in best and
	// encoder checkpoints, and in last checkpoints written before it was kept here.
	State *State
}

const checkpointFormat = "sentiment-checkpoint-v1"

// SaveCheckpoint writes the variables of store to path atomically.
func SaveCheckpoint(store *model.Store, path string) error {
	return SaveCheckpointFiltered(store, path, nil, nil)
}

// SaveCheckpointFiltered writes the variables whose path keep accepts (all if keep is nil),
// and the run's state st if not nil, as one file written atomically: the weights and the
// position they belong to can never disagree.
func SaveCheckpointFiltered(store *model.Store, path string, keep func(path string) bool, st *State) error {
	ck := savedCheckpoint{Format: checkpointFormat, State: st}
	for v := range store.IterVariables() {
		if keep != nil && !keep(v.Path()) {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("checkpoint: variable %s: %w", v.Path(), err)
		}
		var data []byte
		if err := t.ConstBytes(func(b []byte) { data = append([]byte(nil), b...) }); err != nil {
			return fmt.Errorf("checkpoint: variable %s: %w", v.Path(), err)
		}
		ck.Vars = append(ck.Vars, savedVar{Path: v.Path(), DType: t.Shape().DType, Dims: t.Shape().Dimensions,
			Trainable: v.Trainable, Data: data})
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	// Encoded straight into the file: a model's variables are held once more, not twice.
	return writeAtomic(path, func(w io.Writer) error {
		if err := gob.NewEncoder(w).Encode(&ck); err != nil {
			return fmt.Errorf("checkpoint: encoding %s: %w", path, err)
		}
		return nil
	})
}

// readCheckpoint reads and decodes the checkpoint file at path, trusting nothing in it: only a
// regular file is read (a device, a FIFO or a directory is refused before it is opened), no
// more than its size, and every variable's dtype, dimensions and byte length must agree with
// each other before anything is allocated for it.
func readCheckpoint(path string) (savedCheckpoint, error) {
	r, c, err := openRegular(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return savedCheckpoint{}, fmt.Errorf("checkpoint: %w", err)
	case err != nil:
		return savedCheckpoint{}, fmt.Errorf("checkpoint: %w: a checkpoint is a file a run wrote; restore the run directory, or retrain", err)
	}
	defer c.Close()
	// Decoded as it is read: the file's bytes are never held beside the variables'.
	return decodeCheckpointFrom(bufio.NewReaderSize(r, 1<<20), path)
}

// decodeCheckpoint decodes a checkpoint's bytes (read from path) and checks every variable.
func decodeCheckpoint(data []byte, path string) (savedCheckpoint, error) {
	return decodeCheckpointFrom(bytes.NewReader(data), path)
}

// decodeCheckpointFrom decodes a checkpoint from r (reading path) and checks every variable.
func decodeCheckpointFrom(r io.Reader, path string) (savedCheckpoint, error) {
	var ck savedCheckpoint
	if err := gob.NewDecoder(r).Decode(&ck); err != nil || ck.Format != checkpointFormat {
		return savedCheckpoint{}, fmt.Errorf("checkpoint: %s is not a readable checkpoint (format %q, %v)", path, ck.Format, err)
	}
	for _, sv := range ck.Vars {
		if err := sv.check(); err != nil {
			return savedCheckpoint{}, fmt.Errorf("checkpoint: %s is damaged: variable %s %v; restore the run directory, or retrain", path, sv.Path, err)
		}
	}
	return ck, nil
}

// dtypeSizes are the bytes per element of the dtypes a checkpoint may hold.
var dtypeSizes = map[dtypes.DType]int{
	dtypes.Float32: 4, dtypes.Float64: 8, dtypes.Float16: 2, dtypes.BFloat16: 2, dtypes.Bool: 1,
	dtypes.Int8: 1, dtypes.Int16: 2, dtypes.Int32: 4, dtypes.Int64: 8,
	dtypes.Uint8: 1, dtypes.Uint16: 2, dtypes.Uint32: 4, dtypes.Uint64: 8,
}

// check reports a variable whose dtype, dimensions and bytes do not agree: an unknown dtype,
// a negative dimension, or a byte length other than the shape's (computed without overflow:
// the element count never exceeds the bytes there are).
func (sv savedVar) check() error {
	size, ok := dtypeSizes[sv.DType]
	if !ok {
		return fmt.Errorf("has an unknown dtype (%d)", int(sv.DType))
	}
	elements := 1
	for _, d := range sv.Dims {
		switch {
		case d < 0:
			return fmt.Errorf("has a negative dimension (%v)", sv.Dims)
		case d > 0 && elements > len(sv.Data)/size/d:
			return fmt.Errorf("has dimensions %v of %s, more than its %d bytes hold", sv.Dims, sv.DType, len(sv.Data))
		}
		elements *= d
	}
	if elements*size != len(sv.Data) {
		return fmt.Errorf("holds %d bytes, its shape %v of %s takes %d", len(sv.Data), sv.Dims, sv.DType, elements*size)
	}
	return nil
}

// LoadCheckpoint sets the variables of store from the checkpoint at path (creating them if
// needed), and returns the run state saved with them (nil if none). A variable that exists in
// store with another shape is an error naming it: the checkpoint belongs to another
// architecture or vocabulary.
func LoadCheckpoint(store *model.Store, path string) (*State, error) {
	ck, err := readCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return ck.State, load(store, ck, path)
}

// LoadCheckpointAs sets variables of store from the checkpoint at path under other names:
// rename maps each saved variable's path to the store's, or to "" to leave it out. It is how
// one pretrained encoder is loaded into one of several places of a model.
func LoadCheckpointAs(store *model.Store, path string, rename func(path string) string) error {
	ck, err := readCheckpoint(path)
	if err != nil {
		return err
	}
	kept := ck.Vars[:0]
	for _, sv := range ck.Vars {
		if sv.Path = rename(sv.Path); sv.Path != "" {
			kept = append(kept, sv)
		}
	}
	if len(kept) == 0 {
		return fmt.Errorf("checkpoint: %s holds none of the variables wanted (is it the right kind of pretraining?)", path)
	}
	ck.Vars = kept
	return load(store, ck, path)
}

// load sets the variables of store from ck, read from path.
func load(store *model.Store, ck savedCheckpoint, path string) error {
	for i := range ck.Vars {
		sv := &ck.Vars[i]
		t := tensors.FromShape(shapes.Make(sv.DType, sv.Dims...))
		copied := 0
		if err := t.MutableBytes(func(b []byte) { copied = copy(b, sv.Data) }); err != nil {
			return fmt.Errorf("checkpoint: %s: variable %s: %w", path, sv.Path, err)
		}
		if copied != len(sv.Data) || t.Shape().Memory() != uintptr(len(sv.Data)) {
			return fmt.Errorf("checkpoint: %s is damaged: variable %s holds %d bytes, its tensor %d; restore the run directory, or retrain", path, sv.Path, len(sv.Data), t.Shape().Memory())
		}
		sv.Data = nil // let the decoded bytes go as the tensors are made, not all at the end
		if v := store.GetVariable(sv.Path); v != nil {
			if !v.Shape().Equal(t.Shape()) {
				return fmt.Errorf("checkpoint: %s: variable %s has shape %s, the model wants %s (was it trained with another vocabulary or architecture?)",
					path, sv.Path, t.Shape(), v.Shape())
			}
			if err := v.SetValue(t); err != nil {
				return fmt.Errorf("checkpoint: %s: %w", path, err)
			}
			continue
		}
		v, err := store.CreateVariable(sv.Path, t)
		if err != nil {
			return fmt.Errorf("checkpoint: %s: %w", path, err)
		}
		v.Trainable = sv.Trainable
	}
	return nil
}

// VariableStats describes one variable of a checkpoint: its path, shape and, for float32
// variables, the root mean square of its values (NaN for other types).
type VariableStats struct {
	Path  string
	DType dtypes.DType
	Dims  []int
	RMS   float64
}

// InspectCheckpoint lists the variables of the checkpoint at path, in file order. Comparing
// the RMS of a pretrained encoder's variables with a fresh one's shows how far pretraining
// moved them (`sentiment inspect`).
func InspectCheckpoint(path string) ([]VariableStats, error) {
	ck, err := readCheckpoint(path)
	if err != nil {
		return nil, err
	}
	out := make([]VariableStats, 0, len(ck.Vars))
	for _, sv := range ck.Vars {
		vs := VariableStats{Path: sv.Path, DType: sv.DType, Dims: sv.Dims, RMS: math.NaN()}
		if sv.DType == dtypes.Float32 && len(sv.Data)%4 == 0 && len(sv.Data) > 0 {
			var sum float64
			for i := 0; i < len(sv.Data); i += 4 {
				x := float64(math.Float32frombits(binary.LittleEndian.Uint32(sv.Data[i:])))
				sum += x * x
			}
			vs.RMS = math.Sqrt(sum / float64(len(sv.Data)/4))
		}
		out = append(out, vs)
	}
	return out, nil
}

// VariableData returns the raw bytes of each variable of the checkpoint at path, by path.
func VariableData(path string) (map[string][]byte, error) {
	ck, err := readCheckpoint(path)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(ck.Vars))
	for _, v := range ck.Vars {
		out[v.Path] = v.Data
	}
	return out, nil
}
