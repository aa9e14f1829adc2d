// Package rows trains embedding tables of GoMLX models by the rows a batch reads.
package rows

import (
	"strings"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// A training graph is told its batch's distinct word ids (SetBatchRows); a table it opens
// (Open) then reads those rows once, the batch's words from them, and is left out of the dense
// optimizer (it is not trainable). Update, called by the optimizer with the loss, gives each
// table lazy Adam over its rows: GoMLX AdamW's update (its learning rate and step), for the
// rows the batch reads; the other rows and their moments stay as they are, as in sparse.TV with
// Adam (package sparse, on the host). A graph without batch rows (evaluation, prediction, export) looks the ids up in the
// whole table: the same variables, the same values.

// batchRows are a training graph's distinct ids: uniq [N] (the ids > 1 the batch holds, then
// other ids as padding, all distinct) and where [vocab] (each held id's position in uniq; N, a
// zero row, for the others).
type batchRows struct{ uniq, where *Node }

// lookup is one table a training graph read by its batch's rows [N, D].
type lookup struct {
	table       *model.Variable
	uniq, where *Node
	rows        *Node
}

// GoMLX's AdamW defaults, which the graphs' optimizer uses: lazy Adam here and in package sparse
// uses them too.
const (
	AdamBeta1   = 0.9
	AdamBeta2   = 0.999
	AdamEpsilon = 1e-7
)

var (
	mu      sync.Mutex
	batches = map[*Graph]batchRows{}
	lookups = map[*Graph][]lookup{}
)

// SetBatchRows tells training graph g its batch's distinct ids, as BatchRows computes them.
func SetBatchRows(uniq, where *Node) {
	mu.Lock()
	defer mu.Unlock()
	batches[uniq.Graph()] = batchRows{uniq, where}
}

// A Table is the variable "embeddings" [vocab, dim] of a scope as graph g reads it: in a
// graph given its batch rows, the rows the batch holds, read once (and recorded for Update);
// elsewhere the whole table. Ids 0 and 1 (padding, unknown) read as zero.
type Table struct {
	v     *model.Variable
	g     *Graph
	dtype dtypes.DType
	// rows [N+1, dim] are the batch's rows and a zero row, where [vocab] each id's place in
	// them (BatchRows points ids 0 and 1 at the zero row); nil without batch rows.
	rows, where *Node
}

// Open reads the table of scope in g (see Table).
func Open(scope *model.Scope, g *Graph, dtype dtypes.DType, vocab, dim int) *Table {
	v := scope.VariableWithShape("embeddings", shapes.Make(dtype, vocab, dim))
	t := &Table{v: v, g: g, dtype: dtype}
	mu.Lock()
	b, ok := batches[g]
	mu.Unlock()
	if !ok {
		return t
	}
	v.SetTrainable(false) // Update trains it
	rows := Gather(v.NodeValue(g), InsertAxes(b.uniq, -1))
	mu.Lock()
	lookups[g] = append(lookups[g], lookup{table: v, uniq: b.uniq, where: b.where, rows: rows})
	mu.Unlock()
	t.rows = Concatenate([]*Node{rows, Zeros(g, shapes.Make(dtype, 1, dim))}, 0)
	t.where = b.where
	return t
}

// Lookup returns the rows of ids [...]: [..., dim].
func (t *Table) Lookup(ids *Node) *Node {
	if t.rows == nil {
		return Mul(Gather(t.v.NodeValue(t.g), InsertAxes(ids, -1)), InsertAxes(t.known(ids), -1))
	}
	return Gather(t.rows, InsertAxes(Gather(t.where, InsertAxes(ids, -1)), -1))
}

// Elements returns one element of a row for each column: ids [..., dim] give [..., dim],
// element m being column m of row ids[..., m]. A gradient with respect to it reaches those
// elements alone (the region CNN's max pooling, which reads one region a feature map).
func (t *Table) Elements(ids *Node) *Node {
	dims := ids.Shape().Dimensions
	cols := Iota(t.g, shapes.Make(ids.DType(), dims...), len(dims)-1)
	if t.rows == nil {
		return Mul(Gather(t.v.NodeValue(t.g), Stack([]*Node{ids, cols}, -1)), t.known(ids))
	}
	return Gather(t.rows, Stack([]*Node{Gather(t.where, InsertAxes(ids, -1)), cols}, -1))
}

// known is 1 for the ids > 1 and 0 for padding and unknown words, in the table's dtype.
func (t *Table) known(ids *Node) *Node {
	return ConvertDType(GreaterThan(ids, OnesLike(ids)), t.dtype)
}

// Rows are the batch rows Open read in g, for Update's gradients (nil: none).
func Rows(g *Graph) []*Node {
	mu.Lock()
	defer mu.Unlock()
	var out []*Node
	for _, l := range lookups[g] {
		out = append(out, l.rows)
	}
	return out
}

// Update applies lazy Adam to the tables Open read in g, given the loss's gradients with
// respect to Rows(g) (in that order), the learning rate and Adam's step t (from 1), and forgets g.
func Update(scope *model.Scope, grads []*Node, lr, t *Node) {
	if len(grads) == 0 {
		return
	}
	g := grads[0].Graph()
	mu.Lock()
	ls := lookups[g]
	delete(lookups, g)
	delete(batches, g)
	mu.Unlock()
	dtype := grads[0].DType()
	c1 := Reciprocal(OneMinus(Pow(Scalar(g, dtype, AdamBeta1), t)))
	c2 := Reciprocal(OneMinus(Pow(Scalar(g, dtype, AdamBeta2), t)))
	for i, l := range ls {
		idx := InsertAxes(l.uniq, -1)
		// The padding's rows (where[id] is not their position) get no change: each update is
		// added as a difference, zero for them (a Where here costs more than the rest).
		real := ConvertDType(Equal(Gather(l.where, idx), Iota(g, shapes.Make(l.uniq.DType(), l.uniq.Shape().Dimensions[0]), 0)), dtype)
		real = BroadcastToDims(InsertAxes(real, -1), l.rows.Shape().Dimensions...) // once, for the vector Mul
		states := scope.At("sparse_adam").WithInitializer(initializer.Zero)
		for _, part := range strings.Split(strings.Trim(l.table.Path(), "/"), "/") {
			states = states.At("%s", part)
		}
		mVar := states.VariableWithShape("m", l.table.Shape()).SetTrainable(false)
		vVar := states.VariableWithShape("v", l.table.Shape()).SetTrainable(false)
		m0, v0 := Gather(mVar.NodeValue(g), idx), Gather(vVar.NodeValue(g), idx)
		grad := grads[i]
		dm := Mul(Sub(MulScalar(grad, 1-AdamBeta1), MulScalar(m0, 1-AdamBeta1)), real) // m - m0
		dv := Mul(Sub(MulScalar(Square(grad), 1-AdamBeta2), MulScalar(v0, 1-AdamBeta2)), real)
		m, v := Add(m0, dm), Add(v0, dv)
		dw := Mul(Div(Mul(lr, Mul(m, c1)), AddScalar(Sqrt(Mul(v, c2)), AdamEpsilon)), real)
		l.table.SetNodeValue(ScatterSum(l.table.NodeValue(g), idx, Neg(dw), false, true))
		mVar.SetNodeValue(ScatterSum(mVar.NodeValue(g), idx, dm, false, true))
		vVar.SetNodeValue(ScatterSum(vVar.NodeValue(g), idx, dv, false, true))
	}
}

// BatchRows computes a batch's distinct ids for SetBatchRows: uniq (the ids > 1 of tokens,
// sorted, then ids the batch does not hold, from 0 up, to a multiple of pad or the vocabulary)
// and where ([vocab]: each held id's position in uniq, len(uniq) for the others).
func BatchRows(tokens []int32, vocab, pad int) (uniq, where []int32) {
	where = make([]int32, vocab)
	seen := make([]bool, vocab)
	n := 0
	for _, id := range tokens {
		if id > 1 && !seen[id] {
			seen[id] = true
			n++
		}
	}
	size := min(vocab, max(pad, (n+pad-1)/pad*pad))
	uniq = make([]int32, 0, size)
	for id := range vocab {
		if seen[id] {
			where[id] = int32(len(uniq))
			uniq = append(uniq, int32(id))
		}
	}
	for id := range vocab {
		if !seen[id] {
			where[id] = int32(size)
			if len(uniq) < size {
				uniq = append(uniq, int32(id))
			}
		}
	}
	return uniq, where
}
