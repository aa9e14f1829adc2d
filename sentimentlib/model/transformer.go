// Package model holds the classifiers' graphs: a pre-norm transformer encoder, a fastText-style
// bag of n-grams baseline and the naive-Bayes-weighted n-gram model NBSVM. Each takes ids [B, L]
// (int32, 0 = padding: tokens, or n-gram features for NBSVM) and returns one logit per review [B]. Hyperparameters are model.Scope params (read with model.GetParamOr), so the
// command line and notebooks tune them by name.
package model

import (
	"fmt"
	"regexp"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Hyperparameter names (model.Scope params).
const (
	ParamArchitecture = "architecture" // one of Architectures
	ParamVocabSize    = "vocab_size"   // set from the tokenizer
	ParamDim          = "model_dim"    // embedding / residual width
	ParamLayers       = "num_layers"
	ParamHeads        = "num_heads"
	ParamFFNDim       = "ffn_dim"
	ParamDropout      = "dropout"
	ParamMaxLen       = "max_len" // positions (tokens per review, [CLS] included)
	ParamPooling      = "pooling" // "mean", "cls", "attention" or "mean_max" (see Poolings)
	// ParamWindow > 0 makes attention local: the review is cut into windows of that many tokens
	// and each token attends within its window only (0: global attention over the review).
	ParamWindow       = "attention_window"
	ParamNgramBuckets = "ngram_buckets"
	// ParamFreezeEncoderSteps > 0 stops the encoder's gradient for that many training steps:
	// the frozen-encoder warmup of fine-tuning a pretrained encoder.
	ParamFreezeEncoderSteps = "freeze_encoder_steps"
	// ParamDocumentPool is what MaskedLMAndDocument's document vector averages: "states" (the
	// encoder's final states, the classifier's mean pooling; the default) or "embeddings" (the
	// token embeddings, before the transformer).
	ParamDocumentPool = "document_pool"
)

// DType of the models' variables and activations.
var DType = dtypes.Float32

// Architectures are the values of ParamArchitecture: "transformer" (Transformer), "ngrams"
// (BagOfNgrams, over token ids) and "nbsvm" (NBSVM, over the ids of n-gram features).
var Architectures = []string{"transformer", "ngrams", "nbsvm"}

// ModelFn returns the graph function of the architecture named in the scope.
func ModelFn(arch string) (func(scope *model.Scope, tokens *Node) *Node, error) {
	switch arch {
	case "transformer", "":
		return Transformer, nil
	case "ngrams":
		return BagOfNgrams, nil
	case "nbsvm":
		return NBSVM, nil
	}
	return nil, fmt.Errorf("model: unknown architecture %q: want one of %q", arch, Architectures)
}

// AttributionsFn returns the graph function giving logits and per-token attributions of the
// architecture (see TransformerAttributions).
func AttributionsFn(arch string) (func(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node), error) {
	switch arch {
	case "transformer", "":
		return TransformerAttributions, nil
	case "ngrams":
		return BagOfNgramsAttributions, nil
	case "nbsvm":
		return NBSVMAttributions, nil
	}
	return nil, fmt.Errorf("model: unknown architecture %q: want one of %q", arch, Architectures)
}

// paddingMask is tokens != 0 ([B, L] bool) and the number of real tokens per review ([B] int32,
// at least 1 so an all-padding row never makes a softmax over nothing).
func paddingMask(tokens *Node) (mask, lengths *Node) {
	mask = NotEqual(tokens, ZerosLike(tokens))
	lengths = ReduceSum(ConvertDType(mask, dtypes.Int32), -1)
	lengths = Max(lengths, OnesLike(lengths))
	return
}

func dropout(scope *model.Scope, x *Node, rate float64) *Node {
	if rate <= 0 {
		return x
	}
	return layers.DropoutStatic(scope, x, rate)
}

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
// model reads 2-3x more of each review for the same CPU time; sentiment cues are mostly local,
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
	x := embedded
	if alphas != nil {
		x = Mul(embedded, Reshape(ConvertDType(alphas, DType), batchSize, 1, 1))
	}
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
			// The go backend's fused attention kernel is about 8x slower than the decomposed
			// graph for small head dims (BenchmarkTrainStep: 2.17 s vs 0.27 s per step).
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

// MaskedLM is the pretraining graph of the transformer (BERT's masked language model, Devlin et
// al. 2019): the encoder of Transformer, with the same variables, then at each position to
// predict ([B, K] int32; the masking is done on the host, see package mlm) a transform
// Dense(D) + GELU + LayerNorm and logits over the vocabulary through the token embedding table
// (tied input and output embeddings, Press & Wolf 2017) plus a bias. It returns [B, K, vocab].
// Only the K gathered positions reach the vocabulary projection, the costly part.
func MaskedLM(scope *model.Scope, tokens, positions *Node) *Node {
	return Pretraining(scope, tokens, positions, PretrainHeads{MLM: true}).Logits
}

// MaskedLMAndDocument is MaskedLM that also returns document logits [B, vocab]: the masked mean
// of the encoder's final states (the classifier's "mean" pooling), or with document_pool
// "embeddings" of the token embeddings, through a transform of its own and the same tied
// output embeddings. DocumentLoss trains them to predict the piece's masked words, which the
// input does not show, from the whole piece: a bag-of-words objective over the pooled state
// (as in paragraph vectors, Le & Mikolov 2014, and Doc2VecC, Chen 2017). Words that share
// reviews, such as the words of one sentiment, are pulled together in the very vector the
// classifier reads, where the MLM alone, predicting a word from a 64-token window, puts "great"
// and "awful" side by side because they fill the same slots.
func MaskedLMAndDocument(scope *model.Scope, tokens, positions *Node) (logits, document *Node) {
	out := Pretraining(scope, tokens, positions, PretrainHeads{MLM: true, Document: true})
	return out.Logits, out.Document
}

// PretrainHeads says which pretraining outputs Pretraining builds on the one encoder pass.
type PretrainHeads struct {
	MLM, Document, Contrastive bool
}

// PretrainOutputs are the pretraining graph's outputs; those not asked for are nil.
type PretrainOutputs struct {
	Logits   *Node // [B, K, vocab]: MaskedLM
	Document *Node // [B, vocab]: MaskedLMAndDocument
	// Contrastive is the contrastive halves' loss (a scalar), ContrastiveCorrect and
	// ContrastiveCount its retrieval hits and the pieces it scored.
	Contrastive, ContrastiveCorrect, ContrastiveCount *Node
}

// Pretraining runs the encoder once and builds the asked-for pretraining heads on it.
func Pretraining(scope *model.Scope, tokens, positions *Node, heads PretrainHeads) PretrainOutputs {
	g := tokens.Graph()
	e := encode(scope, tokens, nil)
	dim := e.x.Shape().Dimensions[2]
	hs := scope.In(MLMHeadScope)
	vocab := model.GetParamOr(scope, ParamVocabSize, 0)
	var out PretrainOutputs
	if heads.MLM || heads.Document {
		table := scope.Shared("token_embedding").VariableWithShape("embeddings", shapes.Make(DType, vocab, dim)).NodeValue(g)
		if heads.MLM {
			batchSize, k := positions.Shape().Dimensions[0], positions.Shape().Dimensions[1]
			rows := Iota(g, shapes.Make(positions.DType(), batchSize, k), 0)
			h := Gather(e.x, Stack([]*Node{rows, positions}, -1)) // [B, K, D]
			h = activation.Gelu(layers.DenseWithBias(hs.In("transform"), h, dim))
			h = norm.LayerNorm(hs.In("transform_norm"), h, -1).Done()
			bias := hs.VariableWithShape("output_bias", shapes.Make(DType, vocab)).NodeValue(g)
			out.Logits = Add(Einsum("bkd,vd->bkv", h, table), Reshape(bias, 1, 1, vocab))
		}
		if heads.Document {
			var d *Node
			switch pool := model.GetParamOr(scope, ParamDocumentPool, "states"); pool {
			case "states":
				d = maskedMean(e.x, e.mask, e.lengths) // [B, D], as the classifier pools
			case "embeddings":
				// The input pieces' token embeddings ([MASK] and replaced tokens included: the
				// masked words stay hidden), before position embeddings and the transformer.
				d = maskedMean(e.embedded, e.mask, e.lengths)
			default:
				panic(fmt.Sprintf("model: %q=%q: want \"states\" or \"embeddings\"", ParamDocumentPool, pool))
			}
			d = activation.Gelu(layers.DenseWithBias(hs.In("document_transform"), d, dim))
			d = norm.LayerNorm(hs.In("document_norm"), d, -1).Done()
			docBias := hs.VariableWithShape("document_bias", shapes.Make(DType, vocab)).NodeValue(g)
			out.Document = Add(Einsum("bd,vd->bv", d, table), Reshape(docBias, 1, vocab))
		}
	}
	if heads.Contrastive {
		window := model.GetParamOr(scope, ParamWindow, 0)
		if window <= 0 {
			panic(fmt.Sprintf("model: the contrastive halves need local attention (%q > 0), or each half would see the other", ParamWindow))
		}
		c := halvesContrastive(hs.In("contrastive"), e.x, e.mask, e.lengths, window)
		out.Contrastive, out.ContrastiveCorrect, out.ContrastiveCount = c.loss, c.correct, c.count
	}
	return out
}

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
	sim := MulScalar(Einsum("id,jd->ij", z1, z2), 1/ContrastiveTemperature) // [B, B]
	// Pieces that take no part are no candidates either: a large negative logit on their column.
	penalty := InsertAxes(MulScalar(OneMinus(validF), -1e4), 0)
	byFirst := Add(sim, penalty)                            // row i: first half i against every second half
	bySecond := Add(Transpose(sim, 0, 1), penalty)          // row j: second half j against every first half
	own := Iota(g, shapes.Make(dtypes.Int32, batchSize), 0) // each row's own column
	eye := OneHot(own, batchSize, dt)
	nll := func(logits *Node) *Node { return Neg(ReduceSum(Mul(LogSoftmax(logits, -1), eye), -1)) } // [B]
	c := contrastive{z1: z1, z2: z2, count: count}
	c.loss = Div(ReduceAllSum(Mul(Add(nll(byFirst), nll(bySecond)), validF)), MulScalar(n, 2))
	hit := ConvertDType(Equal(ArgMax(byFirst, -1, dtypes.Int32), own), dt)
	c.correct = ReduceAllSum(Mul(hit, validF))
	return c
}

// contrastive is halvesContrastive's result: the loss, the first halves that ranked their own
// second half first, the number of pieces that took part, and the projected halves [B, D].
type contrastive struct {
	loss, correct, count, z1, z2 *Node
}

// IsResidualWriter reports whether the variable at path, relative to the model's scope (as
// "token_embedding/embeddings"), writes to the transformer's residual stream: the token and
// position embeddings and each layer's attention-output and FFN-output projections. Only
// LayerNorms read the stream, so multiplying all of them by one factor scales it everywhere.
func IsResidualWriter(path string) bool { return residualWriter.MatchString(path) }

var residualWriter = regexp.MustCompile(`^(token_embedding/embeddings|position_embedding/embeddings|layer_\d+/attention/MultiHeadAttention/output/dense/(weights|biases)|layer_\d+/ffn_out/dense/(weights|biases))$`)

// MLMHeadScope is the scope of the masked-language-model head; fine-tuning does not load it.
const MLMHeadScope = "mlm_head"

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
	scale := func(e *Node) *Node {
		if alphas == nil {
			return e
		}
		return Mul(e, Reshape(ConvertDType(alphas, DType), batchSize, 1, 1))
	}
	uniScaled := scale(uni)
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
		biScaled = scale(bi)
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
