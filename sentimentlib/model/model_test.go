package model

import (
	"math"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func newStore(pooling string, window int) *model.Store {
	s := model.NewStore()
	s.SetParams(map[string]any{ParamVocabSize: 50, ParamDim: 16, ParamLayers: 2, ParamHeads: 2,
		ParamFFNDim: 32, ParamMaxLen: 32, ParamPooling: pooling, ParamNgramBuckets: 97, ParamDropout: 0.1,
		ParamWindow: window})
	return s
}

// padded returns the reviews padded to length L, flattened row-major.
func padded(reviews [][]int32, L int) *tensors.Tensor {
	flat := make([]int32, len(reviews)*L)
	for i, r := range reviews {
		copy(flat[i*L:], r)
	}
	return tensors.FromFlatDataAndDimensions(flat, len(reviews), L)
}

func TestShapesAndPaddingInvariance(t *testing.T) {
	backend := compute.MustNew()
	reviews := [][]int32{{2, 7, 9, 11, 3}, {2, 5}, {2, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 12}}
	for _, tc := range []struct {
		arch, pooling string
		window        int
	}{{"transformer", "mean", 0}, {"transformer", "cls", 0}, {"transformer", "mean", 8}, {"ngrams", "mean", 0}} {
		fn, err := ModelFn(tc.arch)
		if err != nil {
			t.Fatal(err)
		}
		exec := model.MustNewExec(backend, newStore(tc.pooling, tc.window), func(scope *model.Scope, tokens *Node) *Node {
			return fn(scope.In("model"), tokens)
		})
		// 13 is not a whole number of windows: the windowed model pads it inside the graph.
		short := exec.MustExec(padded(reviews, 13))[0]
		long := exec.MustExec(padded(reviews, 32))[0]
		if dims := short.Shape().Dimensions; len(dims) != 1 || dims[0] != 3 {
			t.Fatalf("%s: logits shape %v, want [3]", tc.arch, dims)
		}
		a, b := tensors.MustCopyFlatData[float32](short), tensors.MustCopyFlatData[float32](long)
		for i := range a {
			if math.IsNaN(float64(a[i])) || math.Abs(float64(a[i]-b[i])) > 1e-5 {
				t.Errorf("%s/%s/window %d review %d: logit %v padded to 13, %v padded to 32", tc.arch, tc.pooling, tc.window, i, a[i], b[i])
			}
		}
		// A review alone gives the same logit as inside a batch (rows do not interact).
		alone := tensors.MustCopyFlatData[float32](exec.MustExec(padded(reviews[1:2], 13))[0])
		if math.Abs(float64(alone[0]-a[1])) > 1e-5 {
			t.Errorf("%s: review alone %v vs in batch %v", tc.arch, alone[0], a[1])
		}
	}
	if _, err := ModelFn("lstm"); err == nil {
		t.Error("unknown architecture: want an error")
	}
}

// TestAttentionWindow: a window as long as the sequence is global attention; a shorter one
// changes the output of a review longer than the window only.
func TestAttentionWindow(t *testing.T) {
	backend := compute.MustNew()
	reviews := [][]int32{{2, 5, 6}, {2, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 12}}
	logits := func(window int) []float32 {
		store := newStore("mean", window)
		// The same weights for every window: initialise from the same seed.
		store.SetParam(model.ParamInitialSeed, int64(7))
		exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) *Node {
			return Transformer(scope.In("model"), tokens)
		})
		return tensors.MustCopyFlatData[float32](exec.MustExec(padded(reviews, 16))[0])
	}
	global, whole, local := logits(0), logits(16), logits(4)
	for i := range global {
		if math.Abs(float64(global[i]-whole[i])) > 1e-5 {
			t.Errorf("review %d: window 16 on 16 tokens gives %v, global attention %v", i, whole[i], global[i])
		}
	}
	if math.Abs(float64(global[0]-local[0])) > 1e-5 {
		t.Errorf("a 3-token review fits in one 4-token window: logit %v, global %v", local[0], global[0])
	}
	if math.Abs(float64(global[1]-local[1])) < 1e-6 {
		t.Errorf("a 12-token review in 4-token windows gives the global logit %v: windows have no effect", local[1])
	}
}
