package loss

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// The pretraining losses of the transformer encoder (package model builds their inputs: the
// masked-token logits, the document logits; see sentimentlib.Pretrain).

// MLM is the masked-language-model loss: the mean cross-entropy of logits [B, K, V] against targets [B, K] (int32) over
// the slots with weight 1 (weights [B, K]: 0 for empty slots), and the number of those slots
// whose argmax is the target. Masked positions only: the unmasked tokens never enter the loss.
func MLM(logits, targets, weights *Node) (loss, correct *Node) {
	vocab := logits.Shape().Dimensions[2]
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(targets, vocab, logits.DType())
	nll := Neg(ReduceSum(Mul(logp, onehot), -1)) // [B, K]
	w := ConvertDType(weights, logits.DType())
	count := Max(ReduceAllSum(w), ScalarOne(logits.Graph(), logits.DType()))
	loss = Div(ReduceAllSum(Mul(nll, w)), count)
	hit := ConvertDType(Equal(ArgMax(logits, -1, targets.DType()), targets), logits.DType())
	correct = ReduceAllSum(Mul(hit, w))
	return loss, correct
}

// Document is the document loss of pretraining: the mean cross-entropy of one softmax per review, document [B, V], against
// each of its targets [B, K] (int32) with weight 1 (weights [B, K]): the mean over the masked
// words of -log p(word | pooled piece).
func Document(document, targets, weights *Node) *Node {
	g := document.Graph()
	batchSize, k := targets.Shape().Dimensions[0], targets.Shape().Dimensions[1]
	logp := LogSoftmax(document, -1)
	rows := Iota(g, shapes.Make(targets.DType(), batchSize, k), 0)
	nll := Neg(Gather(logp, Stack([]*Node{rows, targets}, -1))) // [B, K]
	w := ConvertDType(weights, document.DType())
	count := Max(ReduceAllSum(w), ScalarOne(g, document.DType()))
	return Div(ReduceAllSum(Mul(nll, w)), count)
}

// RegionTargets is the loss of the tv-embedding's pretraining (Johnson & Zhang 2015b): the
// weighted square loss of the scores [R, T] of target words against labels [R, T] (1: the word
// is in the neighbouring region, 0: a sampled word that is not), with weights [R, T] (1 for the
// words there, a smaller weight for the sampled ones, 0 for empty slots), summed over each
// region's targets and averaged over the regions.
func RegionTargets(scores, labels, weights *Node) *Node {
	d := Sub(scores, ConvertDType(labels, scores.DType()))
	rows := float64(scores.Shape().Dimensions[0])
	return MulScalar(ReduceAllSum(Mul(ConvertDType(weights, scores.DType()), Square(d))), 1/rows)
}
