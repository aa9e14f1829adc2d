package model

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// BagOfNgrams is a fastText-style baseline (Joulin et al. 2017, "Bag of Tricks for Efficient Text
// Classification"): the mean of unigram embeddings and hashed bigram embeddings, then a linear
// classifier. On IMDB it is known to reach about 90% accuracy in seconds.
func BagOfNgrams(scope *model.Scope, tokens *Node) *Node {
	logits, _ := bagOfNgrams(scope, tokens, nil)
	return logits
}

// BagOfNgramsAttributions is TransformerAttributions for the n-gram bag: unigram and bigram
// embeddings are scaled by alphas, and a token gets its unigram's attribution plus half of each
// bigram it belongs to. The model is linear in its embeddings, so every alpha gives the same
// attributions, and they add up to the logit minus the bias.
func BagOfNgramsAttributions(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node) {
	return bagOfNgrams(scope, tokens, alphas)
}

func bagOfNgrams(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node) {
	batchSize, seqLen := tokens.Shape().Dimensions[0], tokens.Shape().Dimensions[1]
	vocab := model.GetParamOr(scope, ParamVocabSize, 0)
	if vocab <= 0 {
		panic(fmt.Sprintf("model: parameter %q must be set (the tokenizer's vocabulary size)", ParamVocabSize))
	}
	dim := model.GetParamOr(scope, ParamDim, 64)
	buckets := model.GetParamOr(scope, ParamNgramBuckets, 1<<18)
	rate := model.GetParamOr(scope, ParamDropout, 0.0)
	mask, _ := paddingMask(tokens)

	uni := layers.Embedding(scope.In("unigrams"), tokens, DType, vocab, dim)
	uniScaled := scaleRows(uni, alphas)
	uniMask := ConvertDType(mask, DType)
	sum := ReduceSum(Mul(uniScaled, InsertAxes(uniMask, -1)), 1)
	count := ReduceSum(uniMask, 1)
	var bi, biScaled, biMask *Node
	if seqLen > 1 {
		// Bigram (a, b) hashes to (a * 1000003 + b) mod buckets, in int64 to avoid overflow.
		a := ConvertDType(Slice(tokens, AxisRange(), AxisRange(0, seqLen-1)), dtypes.Int64)
		b := ConvertDType(Slice(tokens, AxisRange(), AxisRange(1, seqLen)), dtypes.Int64)
		ids := Rem(Add(MulScalar(a, 1000003), b), Scalar(tokens.Graph(), dtypes.Int64, buckets))
		bi = layers.Embedding(scope.In("bigrams"), ConvertDType(ids, dtypes.Int32), DType, buckets, dim)
		biMask = ConvertDType(LogicalAnd(Slice(mask, AxisRange(), AxisRange(1, seqLen)), Slice(mask, AxisRange(), AxisRange(0, seqLen-1))), DType)
		biScaled = scaleRows(bi, alphas)
		sum = Add(sum, ReduceSum(Mul(biScaled, InsertAxes(biMask, -1)), 1))
		count = Add(count, ReduceSum(biMask, 1))
	}
	mean := Div(sum, InsertAxes(Max(count, OnesLike(count)), -1))
	mean = dropout(scope.In("dropout"), mean, rate)
	logits = Reshape(layers.DenseWithBias(scope.In("head"), mean, 1), batchSize)
	if alphas == nil {
		return logits, nil
	}
	if bi == nil {
		grad := Gradient(ReduceAllSum(logits), uniScaled)[0]
		return logits, Mul(ReduceSum(Mul(grad, uni), -1), uniMask)
	}
	grads := Gradient(ReduceAllSum(logits), uniScaled, biScaled)
	attributions = Mul(ReduceSum(Mul(grads[0], uni), -1), uniMask)
	half := MulScalar(Mul(ReduceSum(Mul(grads[1], bi), -1), biMask), 0.5) // [B, L-1]: bigram (i, i+1)
	zero := Zeros(tokens.Graph(), shapes.Make(DType, batchSize, 1))
	attributions = Add(attributions, Concatenate([]*Node{half, zero}, 1)) // to token i
	attributions = Add(attributions, Concatenate([]*Node{zero, half}, 1)) // to token i+1
	return logits, attributions
}
