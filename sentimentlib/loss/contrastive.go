package loss

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// PairedInfoNCE is the symmetric InfoNCE loss (van den Oord et al. 2018) of paired unit
// vectors: z1[i] must pick z2[i] among the batch's z2, and z2[i] pick z1[i] among the z1, a
// cross-entropy over their cosine similarities / temperature. valid [B] (1 or 0) says which
// pairs take part; the others are no candidates either. It returns the mean loss over the
// pairs that take part and how many z1[i] ranked their own z2[i] first.
func PairedInfoNCE(z1, z2, valid *Node, temperature float64) (loss, correct *Node) {
	g := z1.Graph()
	batchSize, dt := z1.Shape().Dimensions[0], z1.DType()
	count := ReduceAllSum(valid)
	n := Max(count, OnesLike(count))
	sim := MulScalar(Einsum("id,jd->ij", z1, z2), 1/temperature) // [B, B]
	// Pairs that take no part are no candidates either: a large negative logit on their column.
	penalty := InsertAxes(MulScalar(OneMinus(valid), -1e4), 0)
	byFirst := Add(sim, penalty)                            // row i: z1[i] against every z2
	bySecond := Add(Transpose(sim, 0, 1), penalty)          // row j: z2[j] against every z1
	own := Iota(g, shapes.Make(dtypes.Int32, batchSize), 0) // each row's own column
	eye := OneHot(own, batchSize, dt)
	nll := func(logits *Node) *Node { return Neg(ReduceSum(Mul(LogSoftmax(logits, -1), eye), -1)) } // [B]
	loss = Div(ReduceAllSum(Mul(Add(nll(byFirst), nll(bySecond)), valid)), MulScalar(n, 2))
	hit := ConvertDType(Equal(ArgMax(byFirst, -1, dtypes.Int32), own), dt)
	return loss, ReduceAllSum(Mul(hit, valid))
}
