package model

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// nbStore is an NBSVM store over 6 ids (0: padding) with ratios r and offset 0.4, scale 10.
func nbStore(t *testing.T, r []float32) *model.Store {
	s := model.NewStore()
	s.SetParams(map[string]any{ParamVocabSize: len(r), ParamNBOffset: 0.4, ParamNBScale: 10.0, model.ParamInitialSeed: int64(5)})
	v, err := s.CreateVariable("/model/"+NBRatiosVariable, tensors.FromFlatDataAndDimensions(r, len(r)))
	if err != nil {
		t.Fatal(err)
	}
	v.Trainable = false
	return s
}

func TestNBSVMAgainstHost(t *testing.T) {
	backend := compute.MustNew()
	r := []float32{0, 1.5, -2, 0.25, 3, -0.5}
	store := nbStore(t, r)
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens, alphas *Node) []*Node {
		l, a := NBSVMAttributions(scope.In("model"), tokens, alphas)
		return []*Node{l, a, NBSVM(scope.Shared("model"), tokens)}
	})
	reviews := [][]int32{{1, 3, 4}, {2}, {}, {5, 1, 2, 3, 4}}
	out := exec.MustExec(padded(reviews, 6), []float32{1, 1, 1, 0.5})
	logits, attr, plain := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1]), tensors.MustCopyFlatData[float32](out[2])
	w := tensors.MustCopyFlatData[float32](must(store.GetVariable("/model/nbsvm/weights").Value()))
	b := float64(tensors.MustCopyFlatData[float32](must(store.GetVariable("/model/nbsvm/bias").Value()))[0])
	for _, x := range w {
		if x < -0.1 || x > 0.1 {
			t.Fatalf("weights %v: want uniform in [-0.1, 0.1]", w)
		}
	}
	for i, rev := range reviews {
		alpha := []float64{1, 1, 1, 0.5}[i]
		sum := 0.0
		for j := range 6 {
			share := 0.0
			if j < len(rev) {
				share = (float64(w[rev[j]]) + 0.4) * float64(r[rev[j]]) / 10
			}
			if math.Abs(float64(attr[i*6+j])-share) > 1e-6 {
				t.Errorf("review %d position %d: attribution %v, want %v", i, j, attr[i*6+j], share)
			}
			sum += share
		}
		if want := b + alpha*sum; math.Abs(float64(logits[i])-want) > 1e-5 {
			t.Errorf("review %d: logit %v, want b + alpha * sum = %v", i, logits[i], want)
		}
		if math.Abs(float64(plain[i])-(b+sum)) > 1e-5 {
			t.Errorf("review %d: NBSVM %v, want %v", i, plain[i], b+sum)
		}
	}
	if plain[2] != float32(b) {
		t.Errorf("an empty review's logit %v, want the bias %v", plain[2], b)
	}
}

// TestNBSVMGradient checks d loss / d w against central finite differences of the host loss,
// with the ratios fixed (not trainable).
func TestNBSVMGradient(t *testing.T) {
	backend := compute.MustNew()
	r := []float32{0, 1.5, -2, 0.25, 3, -0.5}
	store := nbStore(t, r)
	reviews := padded([][]int32{{1, 3, 4}, {2, 5}}, 4)
	labels := []float32{1, 0}
	loss := func(scope *model.Scope, tokens, y *Node) *Node {
		z := NBSVM(scope.In("model"), tokens)
		return ReduceAllMean(Sub(Add(Max(z, ZerosLike(z)), Log1P(Exp(Neg(Abs(z))))), Mul(z, y))) // BCE
	}
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens, y *Node) []*Node {
		l := loss(scope, tokens, y)
		grads := scope.BuildTrainableVariablesGradientsGraph(l)
		return append([]*Node{l}, grads...)
	})
	out := exec.MustExec(reviews, labels)
	if len(out) != 3 {
		t.Fatalf("%d outputs: want the loss and the gradients of weights and bias only (ratios fixed)", len(out))
	}
	var grad []float32
	for v := range store.IterVariables() {
		if v.Trainable && strings.HasSuffix(v.Path(), "/weights") {
			grad = tensors.MustCopyFlatData[float32](out[1])
		}
	}
	wv := store.GetVariable("/model/nbsvm/weights")
	w0 := tensors.MustCopyFlatData[float32](must(wv.Value()))
	lossAt := func(w []float32) float64 {
		if err := wv.SetValue(tensors.FromFlatDataAndDimensions(w, len(w))); err != nil {
			t.Fatal(err)
		}
		return float64(tensors.MustCopyFlatData[float32](exec.MustExec(reviews, labels)[0])[0])
	}
	const eps = 1e-2
	for g := range w0 {
		up, down := append([]float32(nil), w0...), append([]float32(nil), w0...)
		up[g] += eps
		down[g] -= eps
		fd := (lossAt(up) - lossAt(down)) / (2 * eps)
		if math.Abs(fd-float64(grad[g])) > 1e-4 {
			t.Errorf("d loss / d w_%d = %v, finite difference %v", g, grad[g], fd)
		}
	}
}

func TestNBSVMNeedsRatios(t *testing.T) {
	s := model.NewStore()
	s.SetParams(map[string]any{ParamVocabSize: 6})
	_, err := model.NewExec(compute.MustNew(), s, func(scope *model.Scope, tokens *Node) *Node {
		return NBSVM(scope.In("model"), tokens)
	})
	if err == nil {
		_, err = model.MustNewExec(compute.MustNew(), s, func(scope *model.Scope, tokens *Node) *Node {
			return NBSVM(scope.In("model"), tokens)
		}).Exec(padded([][]int32{{1}}, 2))
	}
	if err == nil || !strings.Contains(err.Error(), "naive-Bayes ratios") {
		t.Errorf("error %v, want one naming the missing ratios", err)
	}
}
