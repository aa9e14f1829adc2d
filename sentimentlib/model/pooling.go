package model

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Poolings are the values of ParamPooling: how the classifier turns the encoder's final states
// [B, L, D] into one vector per review.
//   - "mean": the mean over the review's tokens (the default).
//   - "cls": the state of a [CLS] token prepended to the review.
//   - "attention": a weighted mean, with weights softmax_t(w·x_t) over the review's tokens
//     (attention pooling with one learned query w, as in Yang et al. 2016's hierarchical
//     attention networks). w starts at zero, so training starts from the plain mean and learns
//     to weigh the tokens that decide the review above the rest.
//   - "mean_max": the mean and the per-feature max over the tokens, concatenated (2D wide;
//     ULMFiT's concat pooling, Howard & Ruder 2018, without its last state): the max lets one
//     strong cue anywhere in a long review count fully.
var Poolings = []string{"mean", "cls", "attention", "mean_max"}

// attentionPool is the "attention" pooling of x [B, L, D] over the real positions of mask [B, L].
func attentionPool(scope *model.Scope, x, mask *Node) *Node {
	g := x.Graph()
	dim := x.Shape().Dimensions[2]
	w := scope.WithInitializer(initializer.Zero).VariableWithShape("weights", shapes.Make(x.DType(), dim)).NodeValue(g)
	scores := Einsum("bld,d->bl", x, w)
	weights := MaskedSoftmax(scores, mask, -1) // 0 on padding
	return Einsum("bl,bld->bd", weights, x)
}

// maskedMax is the per-feature max of x [B, L, D] over the real positions of mask [B, L].
func maskedMax(x, mask *Node) *Node {
	return MaskedReduceMax(x, BroadcastToDims(InsertAxes(mask, -1), x.Shape().Dimensions...), 1)
}

// maskedMean averages x [B, L, D] over the real (unmasked) positions.
func maskedMean(x, mask, lengths *Node) *Node {
	m := InsertAxes(ConvertDType(mask, x.DType()), -1)
	sum := ReduceSum(Mul(x, m), 1)
	return Div(sum, InsertAxes(ConvertDType(lengths, x.DType()), -1))
}
