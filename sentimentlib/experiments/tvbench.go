package experiments

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/sentiment-go/sentiment/sentimentlib/sparse"
	"github.com/sentiment-go/sentiment/sentimentlib/tvsample"
)

// TVBatches are n batches of the tv-embedding's pretraining at the regions preset's size
// (tvsample.Synthetic, seeds 1..n): the same batches for us and the peer.
func TVBatches(n, vocab int) []*tvsample.Batch {
	var out []*tvsample.Batch
	for seed := range n {
		out = append(out, tvsample.Synthetic(uint64(seed+1), vocab))
	}
	return out
}

// TVFlops is the floating-point work of one region of a batch in a training step: the scores
// of its weighted slots (a dot product each), their gradient with respect to the region's
// embedding and to the output rows (an axpy each): 6 D flops a slot.
func TVFlops(b *tvsample.Batch, dim int) float64 {
	slots := 0
	for _, w := range b.Weights {
		if w != 0 {
			slots++
		}
	}
	return 6 * float64(dim) * float64(slots) / float64(b.Rows)
}

// TVResult is one measurement of the tv-embedding's training step.
type TVResult struct {
	Peer          string  `json:"peer"`
	Optimizer     string  `json:"optimizer"`
	RegionsPerSec float64 `json:"regions_per_s"`
}

// TVOptimizers are the sparse optimizers the benchmark times, as the peer names them.
var TVOptimizers = []string{"sgd", "sgd, momentum 0.9", "adam (lazy)"}

// BenchTVGo times steps sparse steps (package sparse, with one of TVOptimizers) over the
// batches in turn, on every core, after two untimed steps.
func BenchTVGo(batches []*tvsample.Batch, vocab, dim int, optimizer string, steps int) (TVResult, error) {
	m := sparse.NewTV(vocab, dim, rand.New(rand.NewPCG(1, 1)))
	switch optimizer {
	case TVOptimizers[1]:
		m.Momentum = 0.9
	case TVOptimizers[2]:
		m.Adam = true
	}
	res := TVResult{Peer: "ours (package sparse)", Optimizer: optimizer}
	var start time.Time
	for i := range steps + 2 {
		if i == 2 {
			start = time.Now()
		}
		if _, err := m.Step(batches[i%len(batches)], 0.01, 0); err != nil {
			return res, err
		}
	}
	m.Flush(runtime.GOMAXPROCS(0))
	res.RegionsPerSec = float64(steps*batches[0].Rows) / time.Since(start).Seconds()
	return res, nil
}

// MatmulGFlops is what the machine does at its best through GoMLX's go backend, for scale: the
// GFLOP/s of a 1024 x 1024 x 1024 float32 matrix product (the best of reps, after one untimed).
func MatmulGFlops(reps int) (float64, error) {
	backend, err := compute.New()
	if err != nil {
		return 0, err
	}
	defer backend.Finalize()
	const n = 1024
	exec, err := NewExec(backend, func(a, b *Node) *Node { return MatMul(a, b) })
	if err != nil {
		return 0, err
	}
	a, b := tensors.FromShape(shapes.Make(dtypes.Float32, n, n)), tensors.FromShape(shapes.Make(dtypes.Float32, n, n))
	best := 0.0
	for i := range reps + 1 {
		start := time.Now()
		out, err := exec.Exec(a, b)
		if err != nil {
			return 0, err
		}
		out[0].FinalizeAll()
		if s := time.Since(start).Seconds(); i > 0 {
			best = max(best, 2*n*n*n/s/1e9)
		}
	}
	return best, nil
}

// ExportTVBatches writes batches for the peer (bench/regions_peer.py): meta.json (rows, q,
// slots, batches, vocab, dim) and regions.i32, targets.i32, labels.f32, weights.f32 (the
// batches one after another, little-endian).
func ExportTVBatches(dir string, batches []*tvsample.Batch, vocab, dim int) error {
	b0 := batches[0]
	meta, err := json.Marshal(map[string]int{"rows": b0.Rows, "q": b0.Q, "slots": b0.Slots, "batches": len(batches), "vocab": vocab, "dim": dim})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644); err != nil {
		return err
	}
	for name, get := range map[string]func(b *tvsample.Batch) any{
		"regions.i32": func(b *tvsample.Batch) any { return b.Regions }, "targets.i32": func(b *tvsample.Batch) any { return b.Targets },
		"labels.f32": func(b *tvsample.Batch) any { return b.Labels }, "weights.f32": func(b *tvsample.Batch) any { return b.Weights },
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		for _, b := range batches {
			if err := binary.Write(f, binary.LittleEndian, get(b)); err != nil {
				f.Close()
				return err
			}
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// TVPeer is the peer's answer: its measurements and its machine's matrix product speed.
type TVPeer struct {
	Results      []TVResult `json:"results"`
	MatmulGFlops float64    `json:"matmul_gflops"`
}

// RunTVPeer runs the PyTorch peer script on the exported batches (dir) with the given Python,
// threads and timed steps.
func RunTVPeer(ctx context.Context, python, script, dir string, threads, steps int, stderr io.Writer) (*TVPeer, error) {
	cmd := exec.CommandContext(ctx, python, script, "--data", dir, "--steps", fmt.Sprint(steps), "--threads", fmt.Sprint(threads))
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("bench: the PyTorch peer (%s %s) failed: %w; it needs PyTorch: Debian apt-get install -y python3-torch libopenblas0-pthread, and --python /usr/bin/python3 when the python3 on PATH is another (--python '' skips the peer)",
			python, script, err)
	}
	var p TVPeer
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("bench: the peer's output %q: %w", strings.TrimSpace(string(out)), err)
	}
	return &p, nil
}
