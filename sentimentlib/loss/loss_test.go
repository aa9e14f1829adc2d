package loss

import (
	"math"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

var backend = compute.MustNew()

type batch struct{ z, y, l, r []float64 }

// handLoss computes the loss in plain Go, from the formula in the package documentation.
func handLoss(c Config, b batch) float64 {
	lo, hi := c.LengthMin, c.LengthMax
	if lo == 0 {
		lo = 0.25
	}
	if hi == 0 {
		hi = 4
	}
	ref := c.LengthReference
	if ref == 0 {
		var s, n float64
		for i := range b.l {
			s += math.Max(b.l[i], 1) * b.r[i]
			n += b.r[i]
		}
		ref = s / n
	}
	var num, den float64
	for i := range b.z {
		z, y := b.z[i], b.y[i]
		p := 1 / (1 + math.Exp(-z))
		t := y*(1-c.LabelSmoothing) + c.LabelSmoothing/2 // the smoothed target
		bce := -t*math.Log(p) - (1-t)*math.Log(1-p)
		if math.IsInf(bce, 0) || math.IsNaN(bce) { // extreme logits: use the asymptote
			bce = math.Max(z, 0) - z*t + math.Log1p(math.Exp(-math.Abs(z)))
		}
		pTrue := p
		if y == 0 {
			pTrue = 1 - p
		}
		w := b.r[i] * math.Pow(1-pTrue, c.ConfidenceGamma)
		if c.LengthAlpha != 0 {
			w *= math.Min(hi, math.Max(lo, math.Pow(math.Max(b.l[i], 1)/ref, c.LengthAlpha)))
		}
		if c.ClassBeta != 0 {
			n := float64(c.NegativeCount + c.PositiveCount)
			cnt := float64(c.NegativeCount)
			if y == 1 {
				cnt = float64(c.PositiveCount)
			}
			w *= math.Pow(n/(2*cnt), c.ClassBeta)
		}
		num += w * bce
		den += w
	}
	return num / den
}

// graphLossAndGrad runs the GoMLX loss (float64) and its gradient with respect to the logits.
func graphLossAndGrad(t *testing.T, c Config, b batch) (float64, []float64) {
	t.Helper()
	exec := MustNewExec(backend, func(z, y, l, r *Node) (*Node, *Node) {
		loss := c.LossFn()([]*Node{y, l, r}, []*Node{z})
		return loss, Gradient(loss, z)[0]
	})
	out := exec.MustExec(b.z, b.y, b.l, b.r)
	return tensors.MustCopyFlatData[float64](out[0])[0], tensors.MustCopyFlatData[float64](out[1])
}

func weights(t *testing.T, c Config, b batch) []float64 {
	t.Helper()
	out := MustExecOnce(backend, func(z, y, l, r *Node) *Node { return c.Weights(z, y, l, r) }, b.z, b.y, b.l, b.r)
	return tensors.MustCopyFlatData[float64](out)
}

var sample = batch{
	z: []float64{2.5, -1.2, 0.1, -3.0, 4.0, -0.4},
	y: []float64{1, 0, 1, 1, 0, 0},
	l: []float64{120, 40, 800, 300, 15, 2000},
	r: []float64{1, 1, 1, 1, 1, 0.5},
}

var configs = map[string]Config{
	"plain":      {},
	"confidence": {ConfidenceGamma: 2},
	"length+":    {LengthAlpha: 0.5},
	"length-ref": {LengthAlpha: -0.7, LengthReference: 250, LengthMin: 0.5, LengthMax: 2},
	"class":      {ClassBeta: 1, NegativeCount: 900, PositiveCount: 100},
	"all":        {ConfidenceGamma: 1.5, LengthAlpha: 0.3, ClassBeta: 0.5, NegativeCount: 300, PositiveCount: 700},
	"smoothing":  {LabelSmoothing: 0.1},
	"smooth+all": {LabelSmoothing: 0.2, ConfidenceGamma: 1, LengthAlpha: 0.3},
}

func TestLossAgainstHandComputation(t *testing.T) {
	for name, c := range configs {
		got, _ := graphLossAndGrad(t, c, sample)
		want := handLoss(c, sample)
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: loss %.12f, hand computation %.12f", name, got, want)
		}
	}
	// No weighting is exactly plain mean BCE, written out by hand for 2 samples:
	// z=0,y=1: log 2; z=ln 3,y=0: -log(1-0.75) = log 4. Mean = (log 2 + log 4)/2 = 1.5 log 2.
	got, _ := graphLossAndGrad(t, Config{}, batch{z: []float64{0, math.Log(3)}, y: []float64{1, 0}, l: []float64{5, 5}, r: []float64{1, 1}})
	if want := 1.5 * math.Ln2; math.Abs(got-want) > 1e-12 {
		t.Errorf("plain BCE = %.15f, want 1.5 ln 2 = %.15f", got, want)
	}
}

func TestGradientMatchesFiniteDifferences(t *testing.T) {
	const h = 1e-6
	for name, c := range configs {
		_, grad := graphLossAndGrad(t, c, sample)
		for i := range sample.z {
			plus, minus := sample, sample
			plus.z = append([]float64(nil), sample.z...)
			minus.z = append([]float64(nil), sample.z...)
			plus.z[i] += h
			minus.z[i] -= h
			fd := (handLoss(c, plus) - handLoss(c, minus)) / (2 * h)
			if math.Abs(fd-grad[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s: d loss/d z[%d] = %.9f, finite differences %.9f", name, i, grad[i], fd)
			}
		}
	}
}

func TestExtremeLogitsStayFinite(t *testing.T) {
	b := batch{z: []float64{100, -100, 100, -100}, y: []float64{1, 1, 0, 0}, l: []float64{10, 20, 30, 40}, r: []float64{1, 1, 1, 1}}
	for name, c := range configs {
		loss, grad := graphLossAndGrad(t, c, b)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			t.Errorf("%s: loss %v for logits of +-100", name, loss)
		}
		for i, g := range grad {
			if math.IsNaN(g) || math.IsInf(g, 0) {
				t.Errorf("%s: gradient[%d] = %v", name, i, g)
			}
		}
	}
	// In float32 too (the training dtype).
	out := MustExecOnce(backend, func(z, y *Node) *Node {
		return configs["all"].LossFn()([]*Node{y}, []*Node{z})
	}, []float32{100, -100, 100}, []float32{1, 1, 0})
	if v := tensors.MustCopyFlatData[float32](out)[0]; math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < 60 {
		t.Errorf("float32 loss %v: want finite and large (two wrong answers at |z|=100)", v)
	}
}

func TestConfidentMistakesWeighMore(t *testing.T) {
	// Both wrong (label 1): confident (z=-4) vs uncertain (z=-0.1); and a confident right one (z=4).
	b := batch{z: []float64{-4, -0.1, 4}, y: []float64{1, 1, 1}, l: []float64{100, 100, 100}, r: []float64{1, 1, 1}}
	w := weights(t, Config{ConfidenceGamma: 2}, b)
	if !(w[0] > w[1] && w[1] > w[2]) {
		t.Errorf("confidence weights %v: want confident-wrong > uncertain-wrong > confident-right", w)
	}
	if w0 := weights(t, Config{}, b); w0[0] != w0[1] {
		t.Errorf("gamma=0 must not weight by confidence: %v", w0)
	}
}

func TestLongerReviewsWeighMoreForPositiveAlpha(t *testing.T) {
	b := batch{z: []float64{0.3, 0.3, 0.3}, y: []float64{1, 1, 1}, l: []float64{50, 200, 800}, r: []float64{1, 1, 1}}
	w := weights(t, Config{LengthAlpha: 0.5}, b)
	if !(w[0] < w[1] && w[1] < w[2]) {
		t.Errorf("alpha=0.5 weights %v: want increasing with length", w)
	}
	w = weights(t, Config{LengthAlpha: -0.5}, b)
	if !(w[0] > w[1] && w[1] > w[2]) {
		t.Errorf("alpha=-0.5 weights %v: want decreasing with length", w)
	}
	// Clipping: a review 1000x the mean is capped at LengthMax.
	w = weights(t, Config{LengthAlpha: 1, LengthReference: 1, LengthMax: 3}, batch{z: []float64{0}, y: []float64{1}, l: []float64{1000}, r: []float64{1}})
	if w[0] != 3 {
		t.Errorf("clipped weight %v, want 3", w[0])
	}
}

func TestClassWeightsRebalance(t *testing.T) {
	// 9 negatives and 1 positive, training counts 900/100: with beta=1 each class gets equal total weight.
	b := batch{y: []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}
	for range b.y {
		b.z, b.l, b.r = append(b.z, 0), append(b.l, 10), append(b.r, 1)
	}
	w := weights(t, Config{ClassBeta: 1, NegativeCount: 900, PositiveCount: 100}, b)
	var neg, pos float64
	for i, y := range b.y {
		if y == 1 {
			pos += w[i]
		} else {
			neg += w[i]
		}
	}
	if math.Abs(neg-pos) > 1e-9 {
		t.Errorf("class totals negative %v positive %v: want equal", neg, pos)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range configs {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, bad := range []Config{{ConfidenceGamma: -1}, {LengthAlpha: 9}, {ClassBeta: 1}, {LengthMin: 2, LengthMax: 1}, {LabelSmoothing: 0.5}, {LabelSmoothing: -0.1}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}

// TestHostWeights: the host helper gives the graph's weights; checked against hand values.
func TestHostWeights(t *testing.T) {
	labels := []float64{1, 1, 0}
	logits := []float64{3, -3, 0}
	lengths := []float64{100, 100, 400}
	w, err := Config{ConfidenceGamma: 2}.HostWeights(labels, logits, lengths)
	if err != nil {
		t.Fatal(err)
	}
	sig := func(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
	want := []float64{math.Pow(1-sig(3), 2), math.Pow(1-sig(-3), 2), 0.25}
	for i := range want {
		if math.Abs(w[i]-want[i]) > 1e-12 {
			t.Errorf("confidence weight %d: %v, want %v", i, w[i], want[i])
		}
	}
	// Length, batch reference: mean length 200; (n/200)^0.5.
	w, err = Config{LengthAlpha: 0.5}.HostWeights(labels, logits, lengths)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(w[0]-math.Sqrt(0.5)) > 1e-12 || math.Abs(w[2]-math.Sqrt(2)) > 1e-12 {
		t.Errorf("length weights %v", w)
	}
	if _, err := (Config{}).HostWeights(labels, logits[:2], lengths); err == nil {
		t.Error("mismatched lengths: want an error")
	}
}

// TestLabelSmoothingHasAFiniteOptimum: with eps = 0.1 the loss of a positive review is smallest at
// logit log(0.95/0.05), not at +infinity, where plain BCE keeps decreasing.
func TestLabelSmoothingHasAFiniteOptimum(t *testing.T) {
	best := math.Log(0.95 / 0.05)
	at := func(c Config, z float64) float64 {
		l, _ := graphLossAndGrad(t, c, batch{z: []float64{z}, y: []float64{1}, l: []float64{10}, r: []float64{1}})
		return l
	}
	sm := Config{LabelSmoothing: 0.1}
	if !(at(sm, best) < at(sm, best-0.5) && at(sm, best) < at(sm, best+0.5)) {
		t.Errorf("smoothed loss at %v is not a minimum: %v %v %v", best, at(sm, best-0.5), at(sm, best), at(sm, best+0.5))
	}
	if _, g := graphLossAndGrad(t, sm, batch{z: []float64{best}, y: []float64{1}, l: []float64{10}, r: []float64{1}}); math.Abs(g[0]) > 1e-9 {
		t.Errorf("gradient at the optimum: %v", g[0])
	}
	if !(at(Config{}, best+0.5) < at(Config{}, best)) {
		t.Error("plain BCE should keep decreasing past the smoothed optimum")
	}
}
