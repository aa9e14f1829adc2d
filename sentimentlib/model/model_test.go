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

func newStore(arch, pooling string) *model.Store {
	s := model.NewStore()
	s.SetParams(map[string]any{ParamVocabSize: 50, ParamDim: 16, ParamLayers: 2, ParamHeads: 2,
		ParamFFNDim: 32, ParamMaxLen: 32, ParamPooling: pooling, ParamNgramBuckets: 97, ParamDropout: 0.1})
	_ = arch
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
	for _, tc := range []struct{ arch, pooling string }{{"transformer", "mean"}, {"transformer", "cls"}, {"ngrams", "mean"}} {
		fn, err := ModelFn(tc.arch)
		if err != nil {
			t.Fatal(err)
		}
		exec := model.MustNewExec(backend, newStore(tc.arch, tc.pooling), func(scope *model.Scope, tokens *Node) *Node {
			return fn(scope.In("model"), tokens)
		})
		short := exec.MustExec(padded(reviews, 16))[0]
		long := exec.MustExec(padded(reviews, 32))[0]
		if dims := short.Shape().Dimensions; len(dims) != 1 || dims[0] != 3 {
			t.Fatalf("%s: logits shape %v, want [3]", tc.arch, dims)
		}
		a, b := tensors.MustCopyFlatData[float32](short), tensors.MustCopyFlatData[float32](long)
		for i := range a {
			if math.IsNaN(float64(a[i])) || math.Abs(float64(a[i]-b[i])) > 1e-5 {
				t.Errorf("%s/%s review %d: logit %v padded to 16, %v padded to 32", tc.arch, tc.pooling, i, a[i], b[i])
			}
		}
		// A review alone gives the same logit as inside a batch (rows do not interact).
		alone := tensors.MustCopyFlatData[float32](exec.MustExec(padded(reviews[1:2], 16))[0])
		if math.Abs(float64(alone[0]-a[1])) > 1e-5 {
			t.Errorf("%s: review alone %v vs in batch %v", tc.arch, alone[0], a[1])
		}
	}
	if _, err := ModelFn("lstm"); err == nil {
		t.Error("unknown architecture: want an error")
	}
}
