package optim

import (
	"math"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// step takes one step of plain SGD (learning rate 1, no schedule) on the loss 3 v0 + 4 v1 of a
// variable v starting at zero (gradient (3, 4), norm 5), clipped to maxNorm, with scales, and
// returns v after it.
func step(t *testing.T, maxNorm float64, scales Scales) []float32 {
	t.Helper()
	backend := compute.MustNew()
	store := model.NewStore()
	store.SetParams(map[string]any{optimizer.ParamOptimizer: "sgd", optimizer.ParamLearningRate: 1.0})
	modelFn := func(scope *model.Scope, x *Node) *Node {
		v := scope.In("model").WithInitializer(initializer.Zero).VariableWithShape("v", shapes.Make(x.DType(), 2)).NodeValue(x.Graph())
		return ReduceAllSum(Mul(v, x))
	}
	lossFn := func(_, predictions []*Node) *Node { return predictions[0] }
	trainer := train.NewTrainer(backend, store, modelFn, lossFn, New(store, maxNorm, scales), nil, nil)
	if _, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{tensors.FromValue([]float32{3, 4})}, Labels: []*tensors.Tensor{tensors.FromValue([]float32{0})}}); err != nil {
		t.Fatal(err)
	}
	v, err := store.GetVariable("/model/v").Value()
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](v)
}

// TestClipAndScale: the gradient (3, 4) steps by -(3, 4) unclipped, by -(0.6, 0.8) clipped to
// norm 1, by -(3, 4) when the clip is above its norm, and by half as much when the scales say
// 0.5; a frozen encoder (FineTuning before its open step) does not move.
func TestClipAndScale(t *testing.T) {
	half := func(path string, step *Node, dtype dtypes.DType) *Node { return Scalar(step.Graph(), dtype, 0.5) }
	for _, tc := range []struct {
		name    string
		maxNorm float64
		scales  Scales
		want    [2]float64
	}{
		{"plain", 0, nil, [2]float64{-3, -4}},
		{"clipped to 1", 1, nil, [2]float64{-0.6, -0.8}},
		{"clip above the norm", 10, nil, [2]float64{-3, -4}},
		{"clipped and halved", 1, half, [2]float64{-0.3, -0.4}},
		{"frozen for 5 steps", 0, FineTuning(1, nil, 5), [2]float64{0, 0}},
		{"decay 0.5 at depth 2", 0, FineTuning(0.5, func(string) int { return 2 }, 0), [2]float64{-0.75, -1}},
	} {
		got := step(t, tc.maxNorm, tc.scales)
		for i := range got {
			if math.Abs(float64(got[i])-tc.want[i]) > 1e-6 {
				t.Errorf("%s: v = %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
	if FineTuning(1, nil, 0) != nil || FineTuning(0, nil, 0) != nil {
		t.Error("FineTuning without decay or freeze should be nil (no scaling)")
	}
}
