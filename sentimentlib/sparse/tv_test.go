package sparse

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/sentiment-go/sentiment/sentimentlib/loss"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/tvsample"
)

// randomTV is a small tv-embedding with random tables.
func randomTV(rng *rand.Rand, vocab, dim int) *TV {
	f := func(n int, scale float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * scale)
		}
		return x
	}
	return &TV{Vocab: vocab, Dim: dim, U: f(vocab*dim, 0.5), B: f(dim, 0.3), W: f(2*vocab*dim, 0.5), C: f(2*vocab, 0.2)}
}

// randomBatch is a batch of regions over ids [0, vocab) (0 and 1 among them) with targets over
// [0, 2 vocab), repeated across rows, some slots empty.
func randomBatch(rng *rand.Rand, rows, q, slots, vocab int) *tvsample.Batch {
	b := &tvsample.Batch{Rows: rows, Q: q, Slots: slots, Regions: make([]int32, rows*q), Targets: make([]int32, rows*slots),
		Labels: make([]float32, rows*slots), Weights: make([]float32, rows*slots)}
	for i := range b.Regions {
		b.Regions[i] = int32(rng.IntN(vocab / 2)) // half the vocabulary: some rows never read
	}
	for k := range b.Targets {
		b.Targets[k] = int32(rng.IntN(vocab)) + int32(rng.IntN(2)*vocab)
		if rng.IntN(4) > 0 {
			b.Labels[k], b.Weights[k] = float32(rng.IntN(2)), []float32{1, 0.2}[rng.IntN(2)]
		}
	}
	return b
}

func (m *TV) clone() *TV {
	return &TV{Vocab: m.Vocab, Dim: m.Dim, U: slices.Clone(m.U), B: slices.Clone(m.B), W: slices.Clone(m.W), C: slices.Clone(m.C)}
}

// graphStep is the dense SGD step of the graph the pretraining trains (model.RegionEmbedding,
// loss.RegionTargets), its gradients by GoMLX's autodiff: the loss before the step and the
// tables after it.
func graphStep(t *testing.T, m *TV, b *tvsample.Batch, lr float32) (float64, *TV) {
	t.Helper()
	store := model.NewStore()
	store.SetParams(map[string]any{smodel.ParamVocabSize: m.Vocab, smodel.ParamTVDim: m.Dim})
	paths := []string{"/model/" + smodel.TVScope + "/embeddings/embeddings", "/model/" + smodel.TVScope + "/bias",
		"/model/" + smodel.TVOutputScope + "/weights", "/model/" + smodel.TVOutputScope + "/bias"}
	for i, x := range [][]float32{m.U, m.B, m.W, m.C} {
		dims := [][]int{{m.Vocab, m.Dim}, {m.Dim}, {2 * m.Vocab, m.Dim}, {2 * m.Vocab}}[i]
		if _, err := store.CreateVariable(paths[i], tensors.FromFlatDataAndDimensions(slices.Clone(x), dims...)); err != nil {
			t.Fatal(err)
		}
	}
	exec, err := model.NewExec(compute.MustNew(), store, func(scope *model.Scope, in []*Node) []*Node {
		l := loss.RegionTargets(smodel.RegionEmbedding(scope.In("model"), in[0], in[1]), in[2], in[3])
		var vars []*Node
		for _, p := range paths {
			vars = append(vars, store.GetVariable(p).NodeValue(l.Graph()))
		}
		return append([]*Node{l}, Gradient(l, vars...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	tb := b.Train()
	out, err := exec.Exec(tb.Inputs[0], tb.Inputs[1], tb.Labels[0], tb.Labels[1])
	if err != nil {
		t.Fatal(err)
	}
	after := m.clone()
	for i, table := range [][]float32{after.U, after.B, after.W, after.C} {
		for j, g := range tensors.MustCopyFlatData[float32](out[i+1]) {
			table[j] -= lr * g
		}
	}
	return float64(tensors.MustCopyFlatData[float32](out[0])[0]), after
}

// TestStepEqualsTheGraphsDenseStep: one sparse step gives the loss and the tables of the dense
// SGD step of the pretraining's graph (within float rounding), whatever the number of threads,
// and leaves every row the batch does not read exactly as it was.
func TestStepEqualsTheGraphsDenseStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const vocab, dim, lr = 16, 6, 0.3
	m := randomTV(rng, vocab, dim)
	b := randomBatch(rng, 7, 3, 8, vocab)
	wantLoss, want := graphStep(t, m, b, lr)
	var first *TV
	for _, threads := range []int{1, 2, 3} {
		got := m.clone()
		loss, err := got.Step(b, lr, threads)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(loss-wantLoss) > 1e-5*max(1, math.Abs(wantLoss)) {
			t.Errorf("%d threads: loss %v, the graph's %v", threads, loss, wantLoss)
		}
		for i, name := range []string{"U", "B", "W", "C"} {
			g, w := [][]float32{got.U, got.B, got.W, got.C}[i], [][]float32{want.U, want.B, want.W, want.C}[i]
			for j := range g {
				if math.Abs(float64(g[j]-w[j])) > 1e-5 {
					t.Fatalf("%d threads: %s[%d] = %v after the sparse step, %v after the dense one", threads, name, j, g[j], w[j])
				}
			}
		}
		if first == nil {
			first = got
		} else if !slices.Equal(first.U, got.U) || !slices.Equal(first.W, got.W) || !slices.Equal(first.B, got.B) || !slices.Equal(first.C, got.C) {
			t.Errorf("%d threads: not bit for bit the 1-thread step", threads)
		}
	}
	// Rows the batch does not read: words 0 and 1 and the upper half of the vocabulary, output
	// rows no non-empty slot names.
	read := map[int32]bool{}
	for k, id := range b.Targets {
		if b.Weights[k] != 0 {
			read[id] = true
		}
	}
	for w := range vocab {
		inRegions := slices.Contains(b.Regions, int32(w))
		same := slices.Equal(first.U[w*dim:(w+1)*dim], m.U[w*dim:(w+1)*dim])
		if (w <= 1 || !inRegions) && !same {
			t.Errorf("word %d, which the batch does not read, changed", w)
		}
	}
	for id := range 2 * vocab {
		if !read[int32(id)] && (!slices.Equal(first.W[id*dim:(id+1)*dim], m.W[id*dim:(id+1)*dim]) || first.C[id] != m.C[id]) {
			t.Errorf("output row %d, which no slot names, changed", id)
		}
	}
}

// TestTablesMustFit: tables of the wrong size are an error, not a panic.
func TestTablesMustFit(t *testing.T) {
	m := randomTV(rand.New(rand.NewPCG(1, 1)), 8, 4)
	m.W = m.W[:10]
	if _, err := m.Step(randomBatch(rand.New(rand.NewPCG(1, 1)), 2, 3, 4, 8), 0.1, 1); err == nil {
		t.Error("a W of 10 floats: no error")
	}
}
