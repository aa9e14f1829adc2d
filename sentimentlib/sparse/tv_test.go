package sparse

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
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
	return &TV{Vocab: m.Vocab, Dim: m.Dim, U: slices.Clone(m.U), B: slices.Clone(m.B), W: slices.Clone(m.W), C: slices.Clone(m.C),
		Momentum: m.Momentum, VU: slices.Clone(m.VU), VB: slices.Clone(m.VB), VW: slices.Clone(m.VW), VC: slices.Clone(m.VC)}
}

// graphGradients is the loss of the graph the pretraining trains (model.RegionEmbedding,
// loss.RegionTargets) on the batch and its gradients by GoMLX's autodiff, as tables shaped like m.
func graphGradients(t *testing.T, m *TV, b *tvsample.Batch) (float64, *TV) {
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
	g := &TV{Vocab: m.Vocab, Dim: m.Dim}
	for i, table := range []*[]float32{&g.U, &g.B, &g.W, &g.C} {
		*table = tensors.MustCopyFlatData[float32](out[i+1])
	}
	return float64(tensors.MustCopyFlatData[float32](out[0])[0]), g
}

// tables lists U, B, W and C.
func (m *TV) tables() [][]float32 { return [][]float32{m.U, m.B, m.W, m.C} }

// graphStep is the dense SGD step of the pretraining's graph: the loss before the step and the
// tables after it.
func graphStep(t *testing.T, m *TV, b *tvsample.Batch, lr float32) (float64, *TV) {
	t.Helper()
	loss, grads := graphGradients(t, m, b)
	after := m.clone()
	for i, table := range after.tables() {
		for j, g := range grads.tables()[i] {
			table[j] -= lr * g
		}
	}
	return loss, after
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

// TestMomentumEqualsTheDenseUpdate: lazy momentum over steps at a decaying learning rate gives,
// once flushed, the tables and velocities of the dense heavy-ball update computed by hand from
// the graph's gradients (v = mu v + g, w -= lr v, every entry at every step), whether or not it
// flushed on the way and whatever the number of threads (bit for bit for a given flush
// schedule); rows no batch reads are never touched. A small momentum drops old steps' terms
// (below 2^-40) within the run.
func TestMomentumEqualsTheDenseUpdate(t *testing.T) {
	for _, mu := range []float32{0.9, 0.05} {
		t.Run(fmt.Sprint(mu), func(t *testing.T) { testMomentum(t, mu) })
	}
}

func testMomentum(t *testing.T, mu float32) {
	rng := rand.New(rand.NewPCG(3, 4))
	const vocab, dim = 16, 6
	m := randomTV(rng, vocab, dim)
	var lrs []float32 // a decaying learning rate
	for i := range 16 {
		lrs = append(lrs, 0.3*float32(math.Pow(0.9, float64(i))))
	}
	var batches []*tvsample.Batch
	for range lrs {
		batches = append(batches, randomBatch(rng, 2, 3, 3, vocab)) // few rows: most rows skip most steps
	}
	want, vel := m.clone(), &TV{U: make([]float32, len(m.U)), B: make([]float32, dim), W: make([]float32, len(m.W)), C: make([]float32, len(m.C))}
	for i, b := range batches {
		_, g := graphGradients(t, want, b)
		for j, table := range want.tables() {
			v := vel.tables()[j]
			for k := range table {
				v[k] = mu*v[k] + g.tables()[j][k]
				table[k] -= lrs[i] * v[k]
			}
		}
	}
	for _, flushAt := range []int{-1, 2} {
		var first *TV
		for _, threads := range []int{1, 2, 3} {
			got := m.clone()
			got.Momentum = mu
			for i, b := range batches {
				if _, err := got.Step(b, lrs[i], threads); err != nil {
					t.Fatal(err)
				}
				if i == flushAt {
					got.Flush(threads)
				}
			}
			got.Flush(threads)
			for j, name := range []string{"U", "B", "W", "C"} {
				for k, w := range want.tables()[j] {
					if d := math.Abs(float64(got.tables()[j][k] - w)); d > 1e-5 {
						t.Fatalf("flush at %d, %d threads: %s[%d] = %v, the dense update's %v", flushAt, threads, name, k, got.tables()[j][k], w)
					}
					if d := math.Abs(float64([][]float32{got.VU, got.VB, got.VW, got.VC}[j][k] - vel.tables()[j][k])); d > 1e-5 {
						t.Fatalf("flush at %d, %d threads: velocity of %s[%d] = %v, the dense update's %v", flushAt, threads, name, k, []float32{got.VU[0], got.VB[0], got.VW[0], got.VC[0]}[j], vel.tables()[j][k])
					}
				}
			}
			if first == nil {
				first = got
				continue
			}
			for j := range 4 {
				if !slices.Equal(first.tables()[j], got.tables()[j]) {
					t.Errorf("flush at %d, %d threads: not bit for bit the 1-thread tables", flushAt, threads)
				}
			}
		}
	}
	for w := vocab / 2; w < vocab; w++ { // no batch reads the upper half of the words
		got := m.clone()
		got.Momentum = mu
		for i, b := range batches {
			got.Step(b, lrs[i], 1)
		}
		got.Flush(1)
		if !slices.Equal(got.U[w*dim:(w+1)*dim], m.U[w*dim:(w+1)*dim]) || slices.ContainsFunc(got.VU[w*dim:(w+1)*dim], func(x float32) bool { return x != 0 }) {
			t.Fatalf("word %d, which no batch reads, moved", w)
		}
	}
}

// TestMomentumRange: a momentum outside [0, 1) or a velocity of the wrong size is an error.
func TestMomentumRange(t *testing.T) {
	b := randomBatch(rand.New(rand.NewPCG(1, 1)), 2, 3, 4, 8)
	for _, mu := range []float32{-0.1, 1, float32(math.NaN())} {
		m := randomTV(rand.New(rand.NewPCG(1, 1)), 8, 4)
		m.Momentum = mu
		if _, err := m.Step(b, 0.1, 1); err == nil || !strings.Contains(err.Error(), "momentum") {
			t.Errorf("momentum %v: error %v", mu, err)
		}
	}
	m := randomTV(rand.New(rand.NewPCG(1, 1)), 8, 4)
	m.Momentum, m.VW = 0.5, make([]float32, 3)
	if _, err := m.Step(b, 0.1, 1); err == nil || !strings.Contains(err.Error(), "VW") {
		t.Errorf("a VW of 3 floats: error %v", err)
	}
}

// TestLazyAdam: lazy Adam over steps at a decaying learning rate gives the tables and moments
// of Adam computed by hand (in float64) from the graph's gradients for the rows each batch
// reads, leaving the other rows and their moments as they were; bit for bit whatever the
// number of threads.
func TestLazyAdam(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const vocab, dim = 16, 6
	m := randomTV(rng, vocab, dim)
	var lrs []float32
	var batches []*tvsample.Batch
	for i := range 8 {
		lrs = append(lrs, 0.05*float32(math.Pow(0.8, float64(i))))
		batches = append(batches, randomBatch(rng, 2, 3, 3, vocab))
	}
	want := m.clone()
	m1 := &TV{U: make([]float32, len(m.U)), B: make([]float32, dim), W: make([]float32, len(m.W)), C: make([]float32, len(m.C))}
	m2 := &TV{U: make([]float32, len(m.U)), B: make([]float32, dim), W: make([]float32, len(m.W)), C: make([]float32, len(m.C))}
	for i, b := range batches {
		_, g := graphGradients(t, want, b)
		readU, readW := map[int]bool{}, map[int]bool{}
		for _, w := range b.Regions {
			readU[int(w)] = w > 1
		}
		for k, id := range b.Targets {
			readW[int(id)] = readW[int(id)] || b.Weights[k] != 0
		}
		step := float64(i + 1)
		c1, c2 := 1/(1-math.Pow(0.9, step)), 1/(1-math.Pow(0.999, step))
		for j, table := range want.tables() {
			width := []int{dim, dim, dim, 1}[j]
			for k := range table {
				row := k / width
				if (j == 0 && !readU[row]) || (j >= 2 && !readW[row]) {
					continue
				}
				gk := float64(g.tables()[j][k])
				a := 0.9*float64(m1.tables()[j][k]) + 0.1*gk
				v := 0.999*float64(m2.tables()[j][k]) + 0.001*gk*gk
				m1.tables()[j][k], m2.tables()[j][k] = float32(a), float32(v)
				table[k] -= float32(float64(lrs[i]) * a * c1 / (math.Sqrt(v*c2) + 1e-7))
			}
		}
	}
	var first *TV
	for _, threads := range []int{1, 2, 3} {
		got := m.clone()
		got.Adam = true
		for i, b := range batches {
			if _, err := got.Step(b, lrs[i], threads); err != nil {
				t.Fatal(err)
			}
		}
		for j, name := range []string{"U", "B", "W", "C"} {
			for k, w := range want.tables()[j] {
				if d := math.Abs(float64(got.tables()[j][k] - w)); d > 1e-5 {
					t.Fatalf("%d threads: %s[%d] = %v, hand-computed lazy Adam %v", threads, name, k, got.tables()[j][k], w)
				}
				gm, gv := [][]float32{got.VU, got.VB, got.VW, got.VC}[j][k], [][]float32{got.SU, got.SB, got.SW, got.SC}[j][k]
				if math.Abs(float64(gm-m1.tables()[j][k])) > 1e-6 || math.Abs(float64(gv-m2.tables()[j][k])) > 1e-7 {
					t.Fatalf("%d threads: moments of %s[%d] = %v, %v; hand-computed %v, %v", threads, name, k, gm, gv, m1.tables()[j][k], m2.tables()[j][k])
				}
			}
		}
		if first == nil {
			first = got
			continue
		}
		for j := range 4 {
			if !slices.Equal(first.tables()[j], got.tables()[j]) {
				t.Errorf("%d threads: not bit for bit the 1-thread tables", threads)
			}
		}
	}
	for w := vocab / 2; w < vocab; w++ {
		if !slices.Equal(first.U[w*dim:(w+1)*dim], m.U[w*dim:(w+1)*dim]) {
			t.Fatalf("word %d, which no batch reads, moved", w)
		}
	}
}
