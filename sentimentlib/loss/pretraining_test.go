package loss

import (
	"math"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestMLM: cross-entropy averaged over the slots of weight 1 only, against a host
// computation; the targets of empty slots do not matter.
func TestMLM(t *testing.T) {
	backend := compute.MustNew()
	logits := []float32{2, 0, -1, 0.5, 0, 0, 0, 0, -1, 3, 0, 1} // [1, 3, 4]
	exec := model.MustNewExec(backend, model.NewStore(), func(scope *model.Scope, l, tg, w *Node) (*Node, *Node) {
		return MLM(l, tg, w)
	})
	run := func(targets []int32) (float64, float64) {
		out := exec.MustExec(tensors.FromFlatDataAndDimensions(logits, 1, 3, 4), tensors.FromFlatDataAndDimensions(targets, 1, 3),
			tensors.FromFlatDataAndDimensions([]float32{1, 0, 1}, 1, 3))
		return float64(tensors.MustCopyFlatData[float32](out[0])[0]), float64(tensors.MustCopyFlatData[float32](out[1])[0])
	}
	ce := func(row []float32, target int) float64 {
		var sum float64
		for _, z := range row {
			sum += math.Exp(float64(z))
		}
		return math.Log(sum) - float64(row[target])
	}
	want := (ce(logits[0:4], 0) + ce(logits[8:12], 2)) / 2
	loss, correct := run([]int32{0, 3, 2})
	if math.Abs(loss-want) > 1e-5 || correct != 1 { // slot 0: argmax 0 = target; slot 2: argmax 1 != 2
		t.Errorf("loss %v correct %v, want %v and 1", loss, correct, want)
	}
	if l2, _ := run([]int32{0, 1, 2}); l2 != loss {
		t.Errorf("the target of an empty slot changed the loss: %v -> %v", loss, l2)
	}
}

// TestDocument: one softmax per row, scored at each weighted target, averaged over the
// weighted slots of all rows, against a host computation; empty slots do not matter.
func TestDocument(t *testing.T) {
	backend := compute.MustNew()
	document := []float32{2, 0, -1, 0.5, -1, 3, 0, 1} // [2, 4]
	exec := model.MustNewExec(backend, model.NewStore(), func(scope *model.Scope, d, tg, w *Node) *Node {
		return Document(d, tg, w)
	})
	run := func(targets []int32) float64 {
		out := exec.MustExec(tensors.FromFlatDataAndDimensions(document, 2, 4), tensors.FromFlatDataAndDimensions(targets, 2, 3),
			tensors.FromFlatDataAndDimensions([]float32{1, 1, 0, 0, 1, 0}, 2, 3))
		return float64(tensors.MustCopyFlatData[float32](out[0])[0])
	}
	ce := func(row []float32, target int) float64 {
		var sum float64
		for _, z := range row {
			sum += math.Exp(float64(z))
		}
		return math.Log(sum) - float64(row[target])
	}
	want := (ce(document[0:4], 0) + ce(document[0:4], 3) + ce(document[4:8], 1)) / 3
	loss := run([]int32{0, 3, 1, 2, 1, 0})
	if math.Abs(loss-want) > 1e-5 {
		t.Errorf("document loss %v, want %v", loss, want)
	}
	if l2 := run([]int32{0, 3, 2, 0, 1, 3}); l2 != loss {
		t.Errorf("the target of an empty slot changed the loss: %v -> %v", loss, l2)
	}
}
