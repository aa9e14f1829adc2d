package model

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Transformer is a pre-norm transformer encoder classifier (Vaswani et al. 2017; pre-norm as in
// Xiong et al. 2020, "On Layer Normalization in the Transformer Architecture", which trains
// without the fragile warmup post-norm needs):
//
//	x = embed(tokens) + position
//	repeat num_layers: x += Dropout(SelfAttention(LN(x), padding mask)); x += Dropout(FFN(LN(x)))
//	logit = Dense(pool(LN(x)))      pool: see Poolings (masked mean by default)
//
// Padding never changes the output: attention ignores padded keys (sequence lengths), pooling
// ignores padded positions, and everything else is position-wise.
//
// With attention_window = W > 0, attention is block-local (the "local attention" of Beltagy et al.
// 2020, "Longformer", without its global tokens): the sequence is cut into windows of W tokens
// and the layers run on each window as if it were a sequence, while positions stay global and
// the pooling averages over the whole review. Attention costs O(L*W) instead of O(L^2), so the
// model reads more of each review for the same compute; sentiment cues are mostly local,
// and the mean pool aggregates them over the review.
func Transformer(scope *model.Scope, tokens *Node) *Node {
	logits, _ := transformer(scope, tokens, nil)
	return logits
}

// TransformerAttributions runs the model with each row's token embeddings scaled by alphas [B]
// (positions unscaled) and returns the logits [B] and, per token, the gradient of the row's
// logit with respect to its scaled embedding dotted with the unscaled embedding [B, L].
//
// With alpha = 1 that is gradient x input (Simonyan et al. 2014). Averaged over rows of one
// review with alphas spread over (0, 1), it is Integrated Gradients (Sundararajan et al. 2017,
// baseline: zero token embeddings), whose attributions add up to logit(review) - logit(baseline):
// the words' shares of the decision, which plain gradient x input does not give once the
// model saturates. Padding gets 0.
func TransformerAttributions(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node) {
	return transformer(scope, tokens, alphas)
}

func transformer(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node) {
	e := encode(scope, tokens, alphas)
	batchSize, dim := e.x.Shape().Dimensions[0], e.x.Shape().Dimensions[2]
	x := e.x
	if freeze := model.GetParamOr(scope, ParamFreezeEncoderSteps, 0); freeze > 0 && scope.IsTraining(tokens.Graph()) {
		// Frozen-encoder warmup of fine-tuning (Howard & Ruder 2018, "ULMFiT": gradual
		// unfreezing): for the first steps only the head learns, so the randomly initialised
		// head's large early gradients do not wreck the pretrained encoder. The gradient that
		// reaches the encoder is multiplied by 0 until the global step passes freeze, then by 1.
		step := optimizer.GetGlobalStepVar(scope).NodeValue(tokens.Graph())
		open := ConvertDType(GreaterOrEqual(step, Scalar(tokens.Graph(), step.DType(), freeze)), x.DType())
		x = Add(StopGradient(Mul(x, OneMinus(open))), Mul(x, open))
	}

	var pooled *Node
	switch pooling := model.GetParamOr(scope, ParamPooling, "mean"); pooling {
	case "cls":
		pooled = Reshape(Slice(x, AxisRange(), AxisRange(0, 1), AxisRange()), batchSize, dim)
	case "mean":
		pooled = maskedMean(x, e.mask, e.lengths)
	case "attention":
		pooled = attentionPool(scope.In("attention_pool"), x, e.mask)
	case "mean_max":
		pooled = Concatenate([]*Node{maskedMean(x, e.mask, e.lengths), maskedMax(x, e.mask)}, -1)
	default:
		panic(fmt.Sprintf("model: %q=%q: want one of %q", ParamPooling, pooling, Poolings))
	}
	rate := model.GetParamOr(scope, ParamDropout, 0.1)
	logits = Reshape(layers.DenseWithBias(scope.In("head"), dropout(scope.In("head_dropout"), pooled, rate), 1), batchSize)
	if alphas != nil {
		// Rows are independent, so the gradient of the batch's sum is each row's own gradient.
		grad := Gradient(ReduceAllSum(logits), e.scaled)[0]
		attributions = ReduceSum(Mul(grad, e.embedded), -1)
		attributions = Mul(attributions, ConvertDType(e.mask, attributions.DType()))
		attributions = Slice(attributions, AxisRange(), AxisRange(0, e.inputLen))
	}
	return logits, attributions
}

// encoded is the encoder's output: the final-normed hidden states x [B, L, D] (L rounded up to
// whole attention windows), the padding mask and lengths, the token embeddings (scaled by
// alphas, and unscaled) and the input length.
type encoded struct {
	x, mask, lengths, scaled, embedded *Node
	inputLen                           int
}

// encode runs the embeddings and the encoder layers. Its variables live under scope's
// token_embedding, position_embedding, layer_NN and final_norm: the classifier (Transformer) and
// the masked language model (MaskedLM) share them, so pretrained weights load into the
// classifier by name.
func encode(scope *model.Scope, tokens, alphas *Node) encoded {
	g := tokens.Graph()
	batchSize, seqLen := tokens.Shape().Dimensions[0], tokens.Shape().Dimensions[1]
	inputLen := seqLen
	window := model.GetParamOr(scope, ParamWindow, 0)
	vocab := model.GetParamOr(scope, ParamVocabSize, 0)
	if vocab <= 0 {
		panic(fmt.Sprintf("model: parameter %q must be set (the tokenizer's vocabulary size)", ParamVocabSize))
	}
	dim := model.GetParamOr(scope, ParamDim, 64)
	numLayers := model.GetParamOr(scope, ParamLayers, 2)
	numHeads := model.GetParamOr(scope, ParamHeads, 4)
	ffnDim := model.GetParamOr(scope, ParamFFNDim, 4*dim)
	rate := model.GetParamOr(scope, ParamDropout, 0.1)
	maxLen := model.GetParamOr(scope, ParamMaxLen, 256)
	if seqLen > maxLen {
		panic(fmt.Sprintf("model: sequence length %d exceeds %q=%d", seqLen, ParamMaxLen, maxLen))
	}
	if dim%numHeads != 0 {
		panic(fmt.Sprintf("model: %q=%d is not divisible by %q=%d", ParamDim, dim, ParamHeads, numHeads))
	}
	blocks := 1
	if window > 0 && seqLen > window {
		if maxLen%window != 0 {
			panic(fmt.Sprintf("model: %q=%d must divide %q=%d", ParamWindow, window, ParamMaxLen, maxLen))
		}
		// Pad with padding tokens to whole windows (at most maxLen, since window divides it).
		if rem := seqLen % window; rem != 0 {
			tokens = Concatenate([]*Node{tokens, Zeros(g, shapes.Make(tokens.DType(), batchSize, window-rem))}, 1)
			seqLen += window - rem
		}
		blocks = seqLen / window
	}
	blockLen := seqLen / blocks
	mask, lengths := paddingMask(tokens)
	// Real tokens per window ([B*blocks]); padding only ever follows the real tokens.
	_, blockLengths := paddingMask(Reshape(tokens, batchSize*blocks, blockLen))

	embedded := layers.Embedding(scope.In("token_embedding"), tokens, DType, vocab, dim)
	x := scaleRows(embedded, alphas)
	scaled := x
	posTable := scope.In("position_embedding").VariableWithShape("embeddings", shapes.Make(DType, maxLen, dim)).NodeValue(g)
	x = Add(x, InsertAxes(Slice(posTable, AxisRange(0, seqLen)), 0))
	x = dropout(scope.In("embedding_dropout"), x, rate)

	x = Reshape(x, batchSize*blocks, blockLen, dim) // windows become sequences of their own
	for l := range numLayers {
		ls := scope.In("layer_%02d", l)
		h := norm.LayerNorm(ls.In("attention_norm"), x, -1).Done()
		h = attention.SelfAttention(ls.In("attention"), h, numHeads, dim/numHeads).
			WithSeqLens(blockLengths, blockLengths).
			// The go backend's fused attention kernel is slower than the decomposed graph for
			// small head dims (docs/speed.md, Benchmarks).
			WithFusion(false).Done()
		x = Add(x, dropout(ls.In("attention_dropout"), h, rate))

		h = norm.LayerNorm(ls.In("ffn_norm"), x, -1).Done()
		h = activation.Gelu(layers.DenseWithBias(ls.In("ffn_in"), h, ffnDim))
		h = layers.DenseWithBias(ls.In("ffn_out"), h, dim)
		x = Add(x, dropout(ls.In("ffn_dropout"), h, rate))
	}
	x = Reshape(x, batchSize, seqLen, dim)
	x = norm.LayerNorm(scope.In("final_norm"), x, -1).Done()
	return encoded{x: x, mask: mask, lengths: lengths, scaled: scaled, embedded: embedded, inputLen: inputLen}
}

// LayerDepth is how many layers a variable of the transformer (its path under the model's
// scope) lies below the head: 0 for the final norm, L-l for layer l of L, L+1 for the token and
// position embeddings. Layer-wise learning-rate decay scales its updates by decay^depth.
func LayerDepth(path string, layers int) int {
	var l int
	switch {
	case strings.HasPrefix(path, "token_embedding/"), strings.HasPrefix(path, "position_embedding/"):
		return layers + 1
	case strings.HasPrefix(path, "layer_"):
		if _, err := fmt.Sscanf(path, "layer_%d/", &l); err == nil && l < layers {
			return layers - l
		}
	}
	return 0
}
