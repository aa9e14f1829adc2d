package model

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
)

// ContrastiveTemperature divides the cosine similarities of the contrastive halves.
const ContrastiveTemperature = 0.1

// ContrastiveMinTokens is how many tokens each half of a piece needs for it to take part in
// the contrastive loss.
const ContrastiveMinTokens = 16

// HalvesSplit returns where the contrastive halves of a piece of n tokens split: the window
// boundary nearest to n/2 (the first half is tokens [0, s), the second [s, n)), and whether
// the piece takes part (both halves at least ContrastiveMinTokens long).
func HalvesSplit(n, window int) (s int, ok bool) {
	s = window * ((n + window) / (2 * window))
	return s, s >= ContrastiveMinTokens && n-s >= ContrastiveMinTokens
}

// halvesContrastive is a document-level contrastive loss (InfoNCE, van den Oord et al. 2018;
// spans of one document as positives, as DeCLUTR, Giorgi et al. 2021). Each piece is cut at a
// window boundary near its middle (HalvesSplit): with block-local attention the two halves
// never attend to each other, so their mean-pooled final states are two views of one review
// from one encoder pass. Through a projection (Dense + GELU + Dense, L2-normalised; dropped
// when fine-tuning, as SimCLR's), each first half must pick its own second half among the
// batch's, and each second half its first half: a symmetric cross-entropy over cosine
// similarities / ContrastiveTemperature. What two halves of a review share and other reviews
// do not is its film, its writer's voice and its verdict; the loss trains the pooled vector
// the classifier reads, which the MLM never does. Pieces too short to halve take no part.
// x [B, L, D] are the final states, mask [B, L] and lengths [B] the real tokens.
func halvesContrastive(scope *model.Scope, x, mask, lengths *Node, window int) contrastive {
	g := x.Graph()
	batchSize, seqLen, dim := x.Shape().Dimensions[0], x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	dt := x.DType()
	lengths = ConvertDType(lengths, dtypes.Int32)
	w := Scalar(g, dtypes.Int32, window)
	split := Mul(w, Div(Add(lengths, w), MulScalar(w, 2))) // HalvesSplit, [B]
	minTokens := Scalar(g, dtypes.Int32, ContrastiveMinTokens)
	valid := And(GreaterOrEqual(split, minTokens), GreaterOrEqual(Sub(lengths, split), minTokens)) // [B]
	pos := Iota(g, shapes.Make(dtypes.Int32, batchSize, seqLen), 1)
	first := And(mask, LessThan(pos, InsertAxes(split, -1)))
	second := And(mask, GreaterOrEqual(pos, InsertAxes(split, -1)))
	pool := func(m *Node) *Node { // the classifier's masked mean, over one half
		count := ReduceSum(ConvertDType(m, dt), 1)
		return maskedMean(x, m, Max(count, OnesLike(count)))
	}
	validF := ConvertDType(valid, dt)
	count := ReduceAllSum(validF)
	n := Max(count, OnesLike(count))
	taking := InsertAxes(validF, -1) // [B, 1]
	// Standardise each feature over the batch's pieces that take part, the first halves and
	// the second halves apart (the projection's batch normalisation in SimCLR, Chen et al.
	// 2020). A fresh encoder's pooled states are mostly what all reviews share (the position
	// embeddings, above all, which differ between first and second halves): without this,
	// every half looks alike, the softmax starts uniform and the loss does not move.
	standardise := func(v *Node) *Node {
		mean := Div(ReduceSum(Mul(v, taking), 0), n)
		c := Sub(v, InsertAxes(mean, 0))
		variance := Div(ReduceSum(Mul(Square(c), taking), 0), n)
		return Div(c, InsertAxes(Sqrt(AddScalar(variance, 1e-5)), 0))
	}
	// Both halves through one projection: [2B, D], first halves then second halves.
	h := Concatenate([]*Node{standardise(pool(first)), standardise(pool(second))}, 0)
	h = activation.Gelu(layers.DenseWithBias(scope.In("projection_in"), h, dim))
	h = layers.DenseWithBias(scope.In("projection_out"), h, dim)
	h = Div(h, InsertAxes(Sqrt(Add(ReduceSum(Square(h), -1), Scalar(g, dt, 1e-12))), -1)) // unit length
	z1, z2 := Slice(h, AxisRange(0, batchSize)), Slice(h, AxisRange(batchSize, 2*batchSize))
	c := contrastive{z1: z1, z2: z2, count: count}
	c.loss, c.correct = loss.PairedInfoNCE(z1, z2, validF, ContrastiveTemperature)
	return c
}

// contrastive is halvesContrastive's result: the loss, the first halves that ranked their own
// second half first, the number of pieces that took part, and the projected halves [B, D].
type contrastive struct {
	loss, correct, count, z1, z2 *Node
}
