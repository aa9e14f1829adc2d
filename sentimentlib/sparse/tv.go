// Package sparse trains embedding tables by the rows a batch reads, on every core, instead of
// updating whole tables at every step as a dense optimizer does. Its first model is the
// tv-embedding of Johnson & Zhang 2015b (model.RegionEmbedding with loss.RegionTargets): a
// batch of 2,048 regions reads a few thousand of the 30,000 word vectors and 60,000 output
// rows, so a step's work is the rows it reads, not the tables.
//
// Step is minibatch SGD on exactly the graph's loss: the gradients of a batch are computed
// against the same weights, then each touched row is updated once, with its contributions added
// in a fixed order; so a step equals the dense SGD step of the graph (up to float rounding), is
// deterministic for any number of threads, and leaves every row the batch does not read as it
// was. With momentum (the optimizer of Johnson & Zhang's ConText), a row's velocity keeps
// moving it at the steps that do not read it; those moves are applied in one go, exactly, when
// the row is next read or at Flush (lazy momentum: word2vec's locality with the dense
// optimizer's result).
package sparse

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/par"
	"github.com/sentiment-go/sentiment/sentimentlib/tvsample"
)

// TV is the tv-embedding and its output layer, as model.RegionEmbedding's variables hold them
// (row-major float32): U [Vocab, Dim] the word vectors (ids 0 and 1 read as nothing), B [Dim]
// their bias, W [2 Vocab, Dim] and C [2 Vocab] the output layer scoring the words left of a
// region (ids) and right of it (ids + Vocab).
type TV struct {
	Vocab, Dim int
	U, B, W, C []float32
	// Momentum, in [0, 1), makes Step heavy-ball SGD as PyTorch's SGD has it: v = Momentum v + g,
	// w -= lr v, for every entry, each table with its velocity VU, VB, VW, VC (the tables'
	// sizes; zero when nil at the first step). Between Flushes a row the steps do not read lags
	// behind the dense update by its velocity's pending moves; Flush applies them. 0: plain SGD.
	Momentum       float32
	VU, VB, VW, VC []float32
	lazy           *lazy
	// Adam makes Step lazy Adam instead (TensorFlow's LazyAdam, PyTorch's SparseAdam), with
	// GoMLX's AdamW defaults (beta1 0.9, beta2 0.999, epsilon 1e-7, no weight decay): a row the
	// batch reads gets Adam's update from its moments, VU, VB, VW, VC the first and SU, SB, SW,
	// SC the second (zero when nil at the first step); a row it does not read, and its moments,
	// stay as they are. AdamSteps counts the steps taken (their bias correction): set it to the
	// run's step when resuming.
	Adam           bool
	SU, SB, SW, SC []float32
	AdamSteps      int
}

// NewTV is a tv-embedding of vocab words and width dim initialised as model.RegionEmbedding
// initialises it: the word vectors (U) and then the output rows (W) drawn from rng, normal with
// deviation 0.01; the biases zero.
func NewTV(vocab, dim int, rng *rand.Rand) *TV {
	normal := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 0.01)
		}
		return x
	}
	u := normal(vocab * dim)
	return &TV{Vocab: vocab, Dim: dim, U: u, B: make([]float32, dim), W: normal(2 * vocab * dim), C: make([]float32, 2*vocab)}
}

// check reports tables whose sizes do not fit Vocab and Dim.
func (m *TV) check() error {
	if len(m.U) != m.Vocab*m.Dim || len(m.B) != m.Dim || len(m.W) != 2*m.Vocab*m.Dim || len(m.C) != 2*m.Vocab {
		return fmt.Errorf("sparse: tables of %d, %d, %d and %d floats do not fit vocabulary %d and width %d", len(m.U), len(m.B), len(m.W), len(m.C), m.Vocab, m.Dim)
	}
	if m.Momentum < 0 || m.Momentum >= 1 || m.Momentum != m.Momentum {
		return fmt.Errorf("sparse: momentum %v out of range [0, 1)", m.Momentum)
	}
	if m.Momentum != 0 && m.Adam {
		return fmt.Errorf("sparse: momentum %v and Adam: choose one", m.Momentum)
	}
	states := []*[]float32{&m.VU, &m.VB, &m.VW, &m.VC}
	names := []string{"VU", "VB", "VW", "VC"}
	switch {
	case m.Adam:
		states = append(states, &m.SU, &m.SB, &m.SW, &m.SC)
		names = append(names, "SU", "SB", "SW", "SC")
	case m.Momentum == 0:
		return nil
	}
	for i, v := range states {
		n := []int{len(m.U), len(m.B), len(m.W), len(m.C)}[i%4]
		if *v == nil {
			*v = make([]float32, n)
		} else if len(*v) != n {
			return fmt.Errorf("sparse: optimizer state %s of %d floats, its table %d", names[i], len(*v), n)
		}
	}
	return nil
}

// step is a batch's forward and backward pass, kept for the updates: u [R, D] the regions'
// embeddings, g [R, T] the loss's derivative by each slot's score, gh [R, D] by each region's
// pre-activation.
type step struct {
	u, gh []float32
	g     []float32
	loss  []float64 // by row
}

// Step takes one SGD step of learning rate lr on the batch, over threads goroutines (0: all
// cores), and returns the batch's loss before the step: the mean over rows of the weighted
// squared error of the slots, loss.RegionTargets.
func (m *TV) Step(b *tvsample.Batch, lr float32, threads int) (float64, error) {
	if err := m.check(); err != nil {
		return 0, err
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	targets := group(b.Targets, 2*m.Vocab, func(k int) bool { return b.Weights[k] != 0 })
	words := group(b.Regions, m.Vocab, func(p int) bool { return b.Regions[p] > 1 })
	if m.Momentum != 0 {
		m.startLazy()
		m.lazy.t++
		m.catchUp(targets, words, threads)
	}
	s := m.backward(b, threads)
	var rule *adamStep
	if m.Adam {
		m.AdamSteps++
		rule = newAdamStep(lr, m.AdamSteps)
	}
	m.update(b, s, targets, words, lr, rule, threads)
	if m.lazy != nil {
		m.lazy.advance(lr)
	}
	loss := 0.0
	for _, l := range s.loss {
		loss += l
	}
	return loss / float64(b.Rows), nil
}

// backward computes every row's embedding, slot derivatives and pre-activation derivative.
func (m *TV) backward(b *tvsample.Batch, threads int) *step {
	R, T, D, q := b.Rows, b.Slots, m.Dim, b.Q
	s := &step{u: make([]float32, R*D), gh: make([]float32, R*D), g: make([]float32, R*T), loss: make([]float64, R)}
	scale := 2 / float32(R)
	par.ChunksOn(threads, R, func(lo, hi int) {
		h := make([]float32, D)
		gu := make([]float32, D)
		for r := lo; r < hi; r++ {
			// h = B + the known words' vectors; a = relu(h); u = a / sqrt(1 + |a|^2).
			copy(h, m.B)
			for _, w := range b.Regions[r*q : (r+1)*q] {
				if w > 1 {
					axpy(1, m.U[int(w)*D:int(w+1)*D], h)
				}
			}
			u := s.u[r*D : (r+1)*D]
			var sq float32
			for i, x := range h {
				if x > 0 {
					u[i] = x
					sq += x * x
				}
			}
			n := float32(math.Sqrt(float64(1 + sq)))
			for i := range u {
				u[i] /= n
			}
			// Scores, the loss and its derivative by each score and by u.
			clear(gu)
			for k := r * T; k < (r+1)*T; k++ {
				wt := b.Weights[k]
				if wt == 0 {
					continue
				}
				t := int(b.Targets[k])
				d := dot(u, m.W[t*D:(t+1)*D]) + m.C[t] - b.Labels[k]
				s.loss[r] += float64(wt * d * d)
				g := scale * wt * d
				s.g[k] = g
				axpy(g, m.W[t*D:(t+1)*D], gu)
			}
			// Back through the normalisation (du/da = I/n - a a^T/n^3, with a = n u) and the ReLU.
			au := dot(u, gu) // (a . gu) / n
			gh := s.gh[r*D : (r+1)*D]
			for i := range gh {
				if h[i] > 0 {
					gh[i] = (gu[i] - u[i]*au) / n
				}
			}
		}
	})
	return s
}

// groups lists, for each id of [0, n), the positions of ids that hold it, in order: a counting
// sort, so that each row's contributions are added in one fixed order.
type groups struct {
	start []int32 // [n+1]: positions of id i are at[start[i]:start[i+1]]
	at    []int32
}

func group(ids []int32, n int, keep func(pos int) bool) groups {
	gr := groups{start: make([]int32, n+1)}
	for p, id := range ids {
		if keep(p) {
			gr.start[id+1]++
		}
	}
	for i := range n {
		gr.start[i+1] += gr.start[i]
	}
	gr.at = make([]int32, gr.start[n])
	next := append([]int32(nil), gr.start[:n]...)
	for p, id := range ids {
		if keep(p) {
			gr.at[next[id]] = int32(p)
			next[id]++
		}
	}
	return gr
}

// update applies the batch's gradients: each output row and each word vector the batch read
// once, its contributions summed in position order; the bias of U over all rows.
func (m *TV) update(b *tvsample.Batch, s *step, targets, words groups, lr float32, adam *adamStep, threads int) {
	D, T, q := m.Dim, b.Slots, b.Q
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the output layer
		defer wg.Done()
		par.ChunksOn(threads, 2*m.Vocab, func(lo, hi int) {
			grad := make([]float32, D)
			for t := lo; t < hi; t++ {
				slots := targets.at[targets.start[t]:targets.start[t+1]]
				if len(slots) == 0 {
					continue
				}
				clear(grad)
				var gc float32
				for _, k := range slots {
					r := int(k) / T
					axpy(s.g[k], s.u[r*D:(r+1)*D], grad)
					gc += s.g[k]
				}
				m.apply(m.W, m.VW, m.SW, t*D, (t+1)*D, grad, lr, adam)
				m.apply(m.C, m.VC, m.SC, t, t+1, []float32{gc}, lr, adam)
				if m.lazy != nil {
					m.lazy.lastW[t] = int32(m.lazy.t)
				}
			}
		})
	}()
	go func() { // the word vectors and their bias
		defer wg.Done()
		par.ChunksOn(threads, m.Vocab, func(lo, hi int) {
			grad := make([]float32, D)
			for w := lo; w < hi; w++ {
				at := words.at[words.start[w]:words.start[w+1]]
				if len(at) == 0 {
					continue
				}
				clear(grad)
				for _, p := range at {
					r := int(p) / q
					axpy(1, s.gh[r*D:(r+1)*D], grad)
				}
				m.apply(m.U, m.VU, m.SU, w*D, (w+1)*D, grad, lr, adam)
				if m.lazy != nil {
					m.lazy.lastU[w] = int32(m.lazy.t)
				}
			}
		})
	}()
	grad := make([]float32, D)
	for r := range b.Rows {
		axpy(1, s.gh[r*D:(r+1)*D], grad)
	}
	wg.Wait()
	m.apply(m.B, m.VB, m.SB, 0, D, grad, lr, adam) // every step reads the bias: nothing pending
}

// apply updates the row [lo, hi) of table w by its summed gradient g with the step's rule: lazy
// Adam (v and s its moments), plain SGD, or momentum (v its velocity).
func (m *TV) apply(w, v, s []float32, lo, hi int, g []float32, lr float32, adam *adamStep) {
	switch {
	case adam != nil:
		adam.row(w[lo:hi], v[lo:hi], s[lo:hi], g)
	case m.lazy == nil:
		axpy(-lr, g, w[lo:hi])
	default:
		move(w[lo:hi], v[lo:hi], g, m.Momentum, lr)
	}
}
