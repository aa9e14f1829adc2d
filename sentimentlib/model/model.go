// Package model holds the models' graphs, one concern a file: the pre-norm transformer
// encoder and classifier (transformer.go) with its poolings (pooling.go), the fastText-style bag
// of n-grams (bag.go), the naive-Bayes-weighted n-gram model NBSVM (nbsvm.go), and the
// transformer's pretraining heads (pretraining.go: masked language model and document
// prediction; contrastive.go: the contrastive halves). Each classifier takes ids [B, L] (int32,
// 0 = padding: tokens, or n-gram features for NBSVM) and returns one logit per review [B].
// Hyperparameters are model.Scope params named as config.json names the setting
// (sentimentlib sets every field of its Config as the param of its JSON name, so a new setting
// is a config field plus the code here that reads it); the losses are in package loss.
package model

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// Hyperparameter names (model.Scope params).
const (
	ParamVocabSize = "vocab_size" // set from the features (not a config field)
	ParamDim       = "model_dim"  // embedding / residual width
	ParamLayers    = "num_layers"
	ParamHeads     = "num_heads"
	ParamFFNDim    = "ffn_dim"
	ParamDropout   = "dropout"
	ParamMaxLen    = "max_len" // positions (tokens per review, [CLS] included)
	ParamPooling   = "pooling" // "mean", "cls", "attention" or "mean_max" (see Poolings)
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

// scaleRows multiplies each row b of x [B, ...] by alphas[b] (the Integrated Gradients path),
// or returns x when alphas is nil (inference).
func scaleRows(x, alphas *Node) *Node {
	if alphas == nil {
		return x
	}
	dims := make([]int, x.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[0] = x.Shape().Dimensions[0]
	return Mul(x, Reshape(ConvertDType(alphas, DType), dims...))
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
