package model

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Hyperparameters of NBSVM (model.Scope params).
const (
	// ParamNBOffset is a in NBSVM's (w + a) r / s: the weight every n-gram starts from.
	ParamNBOffset = "nbsvm.offset"
	// ParamNBScale is s in NBSVM's (w + a) r / s.
	ParamNBScale = "nbsvm.scale"
)

// NBSVMScope is the scope of NBSVM's variables (under the model's scope): "ratios" (the
// naive-Bayes log-count ratios [vocab], fixed: the caller creates it, non-trainable, from the
// fitted features, see package ngrams), "weights" [vocab] and "bias" (a scalar), trained.
const NBSVMScope = "nbsvm"

// NBRatiosVariable is the path of the ratios under the model's scope.
const NBRatiosVariable = NBSVMScope + "/ratios"

// NBSVM is the naive-Bayes-weighted linear model of Wang & Manning 2012 ("Baselines and
// Bigrams", NBSVM) in the trainable form of fast.ai's NBSVM++ (Howard 2018): tokens [B, L] are
// the ids of the binarized n-grams of each review (0 = padding), r their naive-Bayes log-count
// ratios, and
//
//	logit = b + sum over the review's n-grams g of (w_g + a) * r_g / s
//
// With w = 0 this is the naive-Bayes classifier itself (times a/s), so training starts from it;
// weight decay pulls w towards 0, that is, towards naive Bayes rather than towards nothing, the
// prior NBSVM's interpolation expresses. w starts uniform in [-0.1, 0.1], as NBSVM++'s. Padding
// has ratio 0 and adds nothing. a and s are ParamNBOffset (default 0.4) and ParamNBScale
// (default 10).
func NBSVM(scope *model.Scope, tokens *Node) *Node {
	logits, _ := nbsvm(scope, tokens, nil)
	return logits
}

// NBSVMAttributions is TransformerAttributions for NBSVM: each token's attribution is its
// n-gram's exact share of the logit, (w_g + a) r_g / s, and the logit of a row is
// b + alpha * (the sum of its shares). Being linear, the attributions are the same for every
// alpha and add up to the logit minus the bias.
func NBSVMAttributions(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node) {
	return nbsvm(scope, tokens, alphas)
}

// nbsvm panics with errors (exceptions.Panicf), which GoMLX's Exec returns as errors.
func nbsvm(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node) {
	g := tokens.Graph()
	vocab := model.GetParamOr(scope, ParamVocabSize, 0)
	if vocab <= 0 {
		exceptions.Panicf("model: parameter %q must be set (the n-gram vocabulary's size, padding included)", ParamVocabSize)
	}
	offset := model.GetParamOr(scope, ParamNBOffset, 0.4)
	scale := model.GetParamOr(scope, ParamNBScale, 10.0)
	s := scope.In(NBSVMScope)
	rv := s.GetVariable("ratios")
	if rv == nil {
		exceptions.Panicf("model: nbsvm needs its naive-Bayes ratios in variable %q, created from the fitted n-gram features", NBRatiosVariable)
	}
	if !rv.Shape().Equal(shapes.Make(DType, vocab)) {
		exceptions.Panicf("model: nbsvm ratios have shape %s, want [%d] (the n-gram vocabulary)", rv.Shape(), vocab)
	}
	weights := s.WithInitializer(initializer.RandomUniformFn(s, -0.1, 0.1)).VariableWithShape("weights", shapes.Make(DType, vocab)).NodeValue(g)
	bias := s.WithInitializer(initializer.Zero).VariableWithShape("bias", shapes.Make(DType)).NodeValue(g)
	idx := InsertAxes(tokens, -1) // [B, L, 1]
	r := Gather(rv.NodeValue(g), idx)
	w := Gather(weights, idx)
	shares := MulScalar(Mul(AddScalar(w, offset), r), 1/scale) // [B, L]; 0 on padding
	sum := ReduceSum(shares, -1)
	if alphas != nil {
		sum = Mul(sum, ConvertDType(alphas, DType))
	}
	return Add(sum, bias), shares
}
