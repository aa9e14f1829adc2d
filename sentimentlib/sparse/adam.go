package sparse

import (
	"math"

	"github.com/sentiment-go/sentiment/sentimentlib/sparse/rows"
)

// GoMLX's AdamW defaults, which the graph's pretraining uses.
const (
	adamBeta1   = rows.AdamBeta1
	adamBeta2   = rows.AdamBeta2
	adamEpsilon = rows.AdamEpsilon
)

// adamStep is one step of lazy Adam: the learning rate and the bias corrections of step t.
type adamStep struct {
	lr, c1, c2 float32
}

func newAdamStep(lr float32, t int) *adamStep {
	return &adamStep{lr: lr, c1: float32(1 / (1 - math.Pow(adamBeta1, float64(t)))), c2: float32(1 / (1 - math.Pow(adamBeta2, float64(t))))}
}

// row is Adam's update of one row w by its gradient g, with its moments m and v, as GoMLX's
// AdamW computes it: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, w -= lr (m c1) / (sqrt(v c2) + eps).
func (a *adamStep) row(w, m, v, g []float32) {
	adamRow(w, m, v, g, a.lr, a.c1, a.c2)
}

// adamRowGeneric is adamRow one float at a time.
func adamRowGeneric(w, m, v, g []float32, lr, c1, c2 float32) {
	m, v, g = m[:len(w)], v[:len(w)], g[:len(w)]
	for i, gi := range g {
		mi := adamBeta1*m[i] + (1-adamBeta1)*gi
		vi := adamBeta2*v[i] + (1-adamBeta2)*gi*gi
		m[i], v[i] = mi, vi
		w[i] -= lr * (mi * c1) / (float32(math.Sqrt(float64(vi*c2))) + adamEpsilon)
	}
}
