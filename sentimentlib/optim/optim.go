// Package optim is the optimizer plumbing every training run shares: AdamW with linear warmup
// and cosine decay, whose settings live in the model store as scope params (Params), gradient
// clipping by global norm, and per-variable update scales (the layer-wise learning-rate decay
// and frozen-encoder warmup of fine-tuning: FineTuning). The models' graphs know nothing of it.
package optim

import (
	"math"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/ml/train/optimizer/cosineschedule"

	"github.com/sentiment-go/sentiment/sentimentlib/sparse/rows"
)

// Settings are what a run's optimizer reads: the AdamW learning rate and weight decay, the
// warmup steps of the schedule and the steps in all (the cosine decay runs over the rest).
type Settings struct {
	LearningRate, WeightDecay float64
	WarmupSteps, TotalSteps   int
}

// Params are the scope params of s (GoMLX's names): AdamW, its learning rate and weight decay,
// and the cosine schedule decaying to a hundredth of the learning rate.
func (s Settings) Params() map[string]any {
	return map[string]any{
		optimizer.ParamOptimizer: "adamw", optimizer.ParamLearningRate: s.LearningRate,
		optimizer.ParamAdamWeightDecay:  s.WeightDecay,
		cosineschedule.ParamPeriodSteps: max(1, s.TotalSteps-s.WarmupSteps), cosineschedule.ParamWarmUpSteps: s.WarmupSteps,
		cosineschedule.ParamMinLearningRate: s.LearningRate / 100,
	}
}

// Schedule is a learning rate at step (the steps taken before it) for trainers outside GoMLX,
// shaped like the schedule AddSchedule puts in a graph: linear warmup over warmup steps (from
// lr/warmup; the graph's starts from a hundredth of lr), then cosine decay to a hundredth of lr
// at total steps.
func Schedule(lr float64, warmup, total, step int) float64 {
	if step < warmup {
		return lr * float64(step+1) / float64(warmup)
	}
	p := min(1, float64(step-warmup)/float64(max(1, total-warmup)))
	low := lr / 100
	return low + (lr-low)*0.5*(1+math.Cos(math.Pi*p))
}

// AddSchedule adds the learning-rate schedule (linear warmup, then cosine decay; its settings
// are the store's params, see Settings.Params) to a training graph.
func AddSchedule(scope *model.Scope, g *Graph, dtype dtypes.DType) {
	cosineschedule.New(scope, g, dtype).FromScope().Done()
}

// Scales gives the factor of a variable's update at a step (the global step before this one),
// or nil to leave it as the optimizer made it.
type Scales func(path string, step *Node, dtype dtypes.DType) *Node

// New is the store's optimizer (Settings.Params) with gradients clipped to a global L2 norm of
// maxNorm (0: no clipping), each variable's update then scaled by scales (nil: none).
func New(store *model.Store, maxNorm float64, scales Scales) optimizer.Interface {
	return clipped{optimizer.FromStore(store), maxNorm, scales}
}

// clipped clips gradients by their global L2 norm before the wrapped optimizer applies them
// (Pascanu et al. 2013): one bad batch cannot throw the weights far away. If scales is set,
// it then scales each variable's update (the optimizer's step, weight decay included).
type clipped struct {
	optimizer.Interface
	maxNorm float64
	scales  Scales
}

// FineTuning returns the per-variable update factors of fine-tuning: layer-wise learning-rate
// decay (Howard & Ruder 2018: a variable depth(path) layers below the head learns at
// decay^depth times the rate), and 0 for the encoder before freezeSteps steps, which the
// model's stopped gradient alone leaves open to AdamW's weight decay. It returns nil when
// neither applies (decay outside (0, 1) is off). The head ("/model/head/") and anything
// outside the model always get 1.
func FineTuning(decay float64, depth func(path string) int, freezeSteps int) Scales {
	if decay <= 0 || decay >= 1 {
		decay = 1
	}
	if decay == 1 && freezeSteps <= 0 {
		return nil
	}
	return func(path string, step *Node, dtype dtypes.DType) *Node {
		if !strings.HasPrefix(path, "/model/") || strings.HasPrefix(path, "/model/head/") {
			return nil
		}
		g := step.Graph()
		d := 0
		if depth != nil {
			d = depth(path)
		}
		scale := Scalar(g, dtype, math.Pow(decay, float64(d)))
		if freezeSteps > 0 {
			open := GreaterOrEqual(step, Scalar(g, step.DType(), freezeSteps))
			scale = Mul(scale, ConvertDType(open, dtype))
		}
		return scale
	}
}

func (o clipped) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	type scaled struct {
		v          *model.Variable
		old, scale *Node
	}
	var toScale []scaled
	if o.scales != nil {
		step := optimizer.GetGlobalStepVar(scope).NodeValue(g)
		for v := range scope.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				old := v.NodeValue(g)
				if s := o.scales(v.Path(), step, old.DType()); s != nil {
					toScale = append(toScale, scaled{v, old, s})
				}
			}
		}
	}
	// One backward pass for the trainable variables and the rows of the tables trained sparsely.
	var wrt []*Node
	for v := range scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			wrt = append(wrt, v.NodeValue(g))
		}
	}
	dense := len(wrt)
	grads := Gradient(loss, append(wrt, rows.Rows(g)...)...)
	if o.maxNorm > 0 {
		clip(g, grads, o.maxNorm)
	}
	o.Interface.(interface {
		UpdateGraphWithGradients(*model.Scope, []*Node, dtypes.DType)
	}).UpdateGraphWithGradients(scope, grads[:dense], loss.DType())
	if dense < len(grads) { // after the dense update, which set the step and the learning rate
		lr := optimizer.LearningRateVar(scope, loss.DType(), 0).NodeValue(g)
		step := ConvertDType(optimizer.GetGlobalStepVar(scope).NodeValue(g), loss.DType())
		rows.Update(scope, grads[dense:], lr, step)
	}
	for _, s := range toScale { // new = old + scale * (optimizer's new - old)
		s.v.SetNodeValue(Add(s.old, Mul(s.scale, Sub(s.v.NodeValue(g), s.old))))
	}
}

// clip scales grads in place so that their global L2 norm is at most maxNorm.
func clip(g *Graph, grads []*Node, maxNorm float64) {
	var sq *Node
	for _, gr := range grads {
		s := ReduceAllSum(Square(gr))
		if sq == nil {
			sq = s
		} else {
			sq = Add(sq, s)
		}
	}
	norm := Sqrt(sq)
	scale := Div(Scalar(g, norm.DType(), maxNorm), Max(norm, Scalar(g, norm.DType(), maxNorm)))
	for i := range grads {
		grads[i] = Mul(grads[i], ConvertDType(scale, grads[i].DType()))
	}
}
