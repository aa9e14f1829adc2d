package sparse

import (
	"math"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/par"
)

// lazy is the bookkeeping of lazy momentum since the last Flush (step 0): the step t, the step
// after which each row was last moved (lastU, lastW), and for each such step s the moves its
// rows still owe. A row last moved at step s with velocity v would, at the dense update's steps
// s+1..t that did not read it, have moved by -sum_i lr_i mu^(i-s) v and its velocity become
// mu^(t-s) v: cs[s] holds that sum, ds[s] the decay. Terms below 2^-40 are dropped (window).
type lazy struct {
	t            int
	lastU, lastW []int32
	cs, ds       []float64
	window       int
	mu           float64
}

// startLazy sets up the bookkeeping at the first step after a Flush.
func (m *TV) startLazy() {
	if m.lazy != nil {
		return
	}
	mu := float64(m.Momentum)
	m.lazy = &lazy{lastU: make([]int32, m.Vocab), lastW: make([]int32, 2*m.Vocab), cs: []float64{0}, ds: []float64{1},
		window: int(math.Ceil(-40*math.Ln2/math.Log(mu))) + 1, mu: mu}
}

// pending is what a row last moved at step s owes for the steps since (up to the last one
// taken): the learning rates' sum c and the decay d of its velocity.
func (l *lazy) pending(s int32) (c, d float32) {
	return float32(l.cs[s]), float32(l.ds[s])
}

// advance records the current step, taken at learning rate lr, in every row's pending moves.
func (l *lazy) advance(lr float32) {
	for s := max(0, l.t-l.window); s < l.t; s++ {
		l.ds[s] *= l.mu
		l.cs[s] += float64(lr) * l.ds[s]
	}
	if s := l.t - l.window - 1; s >= 0 {
		l.ds[s] = 0 // below 2^-40 of the velocity: dropped
	}
	l.cs, l.ds = append(l.cs, 0), append(l.ds, 1)
}

// move is one row's momentum step: v = mu v + g, w -= lr v.
func move(w, v, g []float32, mu, lr float32) {
	v, g = v[:len(w)], g[:len(w)]
	for i := range w {
		vi := mu*v[i] + g[i]
		v[i], w[i] = vi, w[i]-lr*vi
	}
}

// catchUp pays the pending moves of the rows the current step reads (the output rows of
// targets, the word vectors of words), before the step computes with them.
func (m *TV) catchUp(targets, words groups, threads int) {
	m.pay(threads, func(w int) bool { return words.start[w] < words.start[w+1] },
		func(o int) bool { return targets.start[o] < targets.start[o+1] }, int32(m.lazy.t-1))
}

// Flush applies every row's pending moves, so that the tables and velocities are those of the
// dense momentum update after the steps taken (up to float rounding), and starts the
// bookkeeping afresh: save or read the tables after it. Flushing at the same steps gives the
// same results, so a run that saves after a Flush resumes to the uninterrupted run's tables.
func (m *TV) Flush(threads int) {
	if m.lazy == nil {
		return
	}
	all := func(int) bool { return true }
	m.pay(threads, all, all, int32(m.lazy.t))
	m.lazy = nil
}

// pay applies the pending moves of the word vectors and output rows (with their biases) that
// payU and payW select, and records them as paid up to step to.
func (m *TV) pay(threads int, payU, payW func(int) bool, to int32) {
	l, D := m.lazy, m.Dim
	par.ChunksOn(max(threads, 1), 3*m.Vocab, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			if r < m.Vocab {
				if payU(r) {
					c, d := l.pending(l.lastU[r])
					flushRow(m.U[r*D:(r+1)*D], m.VU[r*D:(r+1)*D], c, d)
					l.lastU[r] = to
				}
				continue
			}
			if o := r - m.Vocab; payW(o) {
				c, d := l.pending(l.lastW[o])
				flushRow(m.W[o*D:(o+1)*D], m.VW[o*D:(o+1)*D], c, d)
				m.C[o], m.VC[o] = m.C[o]-c*m.VC[o], d*m.VC[o]
				l.lastW[o] = to
			}
		}
	})
}

// flushRow pays a row's pending moves: w -= c v, v = d v.
func flushRow(w, v []float32, c, d float32) {
	if c == 0 && d == 1 {
		return
	}
	v = v[:len(w)]
	for i := range w {
		w[i] -= c * v[i]
		v[i] *= d
	}
}
