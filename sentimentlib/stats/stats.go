// Package stats holds the statistics of model comparisons: mean and standard deviation over
// seeds, Welch's t-test between two settings' seeds, McNemar's test on paired predictions, a
// paired bootstrap of a metric difference, and temperature scaling (post-hoc calibration).
package stats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// MeanStd returns the mean and the sample standard deviation (n-1; 0 for one value).
func MeanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) == 1 {
		return mean, 0
	}
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)-1))
}

// McNemarResult is McNemar's test of two classifiers on the same examples.
type McNemarResult struct {
	// OnlyA: examples A gets right and B wrong; OnlyB: the reverse. Examples both get right or
	// both get wrong carry no information about which is better.
	OnlyA, OnlyB int
	// P is the two-sided exact p-value: under "A and B are equally good" the OnlyA of the
	// OnlyA+OnlyB discordant examples is Binomial(n, 1/2) (McNemar 1947; the exact form
	// avoids the chi-square approximation's trouble with few discordant pairs).
	P float64
}

// McNemar compares the correctness of two classifiers' predictions on the same examples.
func McNemar(correctA, correctB []bool) (McNemarResult, error) {
	if len(correctA) != len(correctB) {
		return McNemarResult{}, fmt.Errorf("stats: McNemar: %d and %d predictions: want the same examples", len(correctA), len(correctB))
	}
	var r McNemarResult
	for i := range correctA {
		switch {
		case correctA[i] && !correctB[i]:
			r.OnlyA++
		case !correctA[i] && correctB[i]:
			r.OnlyB++
		}
	}
	r.P = binomialTwoSided(min(r.OnlyA, r.OnlyB), r.OnlyA+r.OnlyB)
	return r, nil
}

// binomialTwoSided is P(X <= k or X >= n-k) for X ~ Binomial(n, 1/2), k <= n/2, capped at 1.
func binomialTwoSided(k, n int) float64 {
	if n == 0 {
		return 1
	}
	// Sum in log space: C(n, i) / 2^n.
	tail := 0.0
	for i := 0; i <= k; i++ {
		lg := lgamma(n+1) - lgamma(i+1) - lgamma(n-i+1) - float64(n)*math.Ln2
		tail += math.Exp(lg)
	}
	return math.Min(1, 2*tail)
}

func lgamma(n int) float64 {
	v, _ := math.Lgamma(float64(n))
	return v
}

// BootstrapResult is a paired bootstrap of metric(B) - metric(A).
type BootstrapResult struct {
	Diff      float64 // on the full data
	Lo, Hi    float64 // 95% percentile interval
	P         float64 // two-sided: how often the resampled difference falls on the other side of 0 (doubled)
	Resamples int
}

// PairedBootstrap resamples examples with replacement (the same indices for both models) and
// reports the distribution of metric(B) - metric(A) (Efron & Tibshirani 1993; Koehn 2004 for
// its use in comparing systems). metric gets the resampled indices.
func PairedBootstrap(n int, metricA, metricB func(idx []int) float64, resamples int, seed uint64) (BootstrapResult, error) {
	if n == 0 || resamples < 10 {
		return BootstrapResult{}, errors.New("stats: bootstrap needs examples and at least 10 resamples")
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	r := BootstrapResult{Diff: metricB(all) - metricA(all), Resamples: resamples}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	diffs := make([]float64, resamples)
	idx := make([]int, n)
	below, above := 0, 0
	for k := range diffs {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		diffs[k] = metricB(idx) - metricA(idx)
		if diffs[k] <= 0 {
			below++
		}
		if diffs[k] >= 0 {
			above++
		}
	}
	slices.Sort(diffs)
	r.Lo, r.Hi = diffs[int(0.025*float64(resamples))], diffs[min(resamples-1, int(0.975*float64(resamples)))]
	r.P = math.Min(1, 2*float64(min(below, above))/float64(resamples))
	return r, nil
}

// FitTemperature finds the temperature T > 0 minimising the negative log-likelihood of
// sigmoid(logit / T) on held-out labels (Guo et al. 2017, "On Calibration of Modern Neural
// Networks"). One parameter cannot change which side of 0.5 a prediction falls, so accuracy
// is unchanged while overconfident probabilities (T > 1) are softened. The NLL is convex in
// 1/T, so Newton's method on 1/T converges in a few steps.
func FitTemperature(logits []float64, labels []int) (float64, error) {
	if len(logits) != len(labels) || len(logits) == 0 {
		return 0, fmt.Errorf("stats: temperature: %d logits and %d labels", len(logits), len(labels))
	}
	weights := make([]float64, len(logits))
	for i := range weights {
		weights[i] = 1
	}
	beta, ok := fitBeta(logits, labels, weights)
	if !ok {
		return 0, errors.New("stats: temperature: the fit did not converge (are the labels all one class?)")
	}
	return 1 / beta, nil
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// LengthTemperature is a temperature that depends on the input's length n:
// T(n) = Temperature × (n / Reference)^Power. Power 0 is plain temperature scaling; Power > 0
// sharpens short inputs (a linear model's logit is a sum over the input, small for a short
// one), Power < 0 softens them.
type LengthTemperature struct {
	Temperature, Power, Reference float64
}

// At is the temperature for an input of n ids (n below 1 counts as 1).
func (t LengthTemperature) At(n int) float64 {
	if t.Power == 0 {
		return t.Temperature
	}
	return t.Temperature * math.Pow(float64(max(n, 1))/t.Reference, t.Power)
}

// FitLengthTemperature fits a LengthTemperature by weighted negative log-likelihood of
// sigmoid(logit / T(n)) on held-out labels: for each Power on a grid of steps of 0.01 in
// [-1, 2], the best Temperature (convex in 1/T, Newton's method), then the Power whose fit is
// best. reference is the length at which T(n) = Temperature (for example the median length
// of whole reviews); weights may be nil (all 1).
func FitLengthTemperature(logits []float64, lengths, labels []int, weights []float64, reference float64) (LengthTemperature, error) {
	n := len(logits)
	if len(lengths) != n || len(labels) != n || (weights != nil && len(weights) != n) || n == 0 {
		return LengthTemperature{}, fmt.Errorf("stats: length temperature: %d logits, %d lengths, %d labels, %d weights", n, len(lengths), len(labels), len(weights))
	}
	if !(reference > 0) {
		return LengthTemperature{}, fmt.Errorf("stats: length temperature: reference length %v must be positive", reference)
	}
	if weights == nil {
		weights = make([]float64, n)
		for i := range weights {
			weights[i] = 1
		}
	}
	logLen := make([]float64, n)
	for i, l := range lengths {
		logLen[i] = math.Log(float64(max(l, 1)) / reference)
	}
	best, bestNLL := LengthTemperature{}, math.Inf(1)
	x := make([]float64, n)
	for k := -100; k <= 200; k++ {
		power := float64(k) / 100
		for i, z := range logits {
			x[i] = z * math.Exp(-power*logLen[i]) // z / (n/ref)^power
		}
		beta, ok := fitBeta(x, labels, weights)
		if !ok {
			continue
		}
		var nll float64
		for i, xi := range x {
			zz := beta * xi
			nll += weights[i] * (math.Log1p(math.Exp(-math.Abs(zz))) + math.Max(zz, 0) - float64(labels[i])*zz)
		}
		if nll < bestNLL {
			best, bestNLL = LengthTemperature{Temperature: 1 / beta, Power: power, Reference: reference}, nll
		}
	}
	if math.IsInf(bestNLL, 1) {
		return LengthTemperature{}, errors.New("stats: length temperature: the fit did not converge (are the labels all one class?)")
	}
	return best, nil
}

// fitBeta is the weighted maximum-likelihood beta > 0 of sigmoid(beta x) (Newton's method).
func fitBeta(x []float64, labels []int, weights []float64) (float64, bool) {
	beta := 1.0
	for range 100 {
		var g, h float64
		for i, z := range x {
			p := sigmoid(beta * z)
			g += weights[i] * (p - float64(labels[i])) * z
			h += weights[i] * p * (1 - p) * z * z
		}
		if h <= 1e-12 {
			break
		}
		step := g / h
		for beta-step <= 0 {
			step /= 2
		}
		beta -= step
		if math.Abs(step) < 1e-10*math.Max(1, beta) {
			break
		}
	}
	return beta, beta > 0 && !math.IsNaN(beta) && !math.IsInf(beta, 0)
}

// NLL is the mean negative log-likelihood of sigmoid(logit / T).
func NLL(logits []float64, labels []int, temperature float64) float64 {
	s := 0.0
	for i, z := range logits {
		zz := z / temperature
		// log(1 + e^{-|z|}) + max(z, 0) - y z: stable for large |z|.
		s += math.Log1p(math.Exp(-math.Abs(zz))) + math.Max(zz, 0) - float64(labels[i])*zz
	}
	return s / float64(len(logits))
}

// WelchResult is Welch's t-test of mean(B) - mean(A) for two independent samples, such as the
// per-seed accuracies of two training settings.
type WelchResult struct {
	Diff float64 // mean(B) - mean(A)
	SE   float64 // its standard error, sqrt(sA²/nA + sB²/nB)
	T    float64 // Diff / SE
	DF   float64 // Welch–Satterthwaite degrees of freedom
	P    float64 // two-sided p-value of Student's t with DF degrees of freedom
}

// Welch compares the means of two samples without assuming equal variances (Welch 1947).
// Each sample needs at least two values, and the two together some spread.
func Welch(a, b []float64) (WelchResult, error) {
	if len(a) < 2 || len(b) < 2 {
		return WelchResult{}, fmt.Errorf("stats: Welch's t-test needs at least 2 values per sample, got %d and %d (run more seeds)", len(a), len(b))
	}
	ma, sa := MeanStd(a)
	mb, sb := MeanStd(b)
	va, vb := sa*sa/float64(len(a)), sb*sb/float64(len(b))
	r := WelchResult{Diff: mb - ma, SE: math.Sqrt(va + vb)}
	if r.SE == 0 {
		return WelchResult{}, errors.New("stats: Welch's t-test: both samples are constant; there is no spread to test against")
	}
	r.T = r.Diff / r.SE
	r.DF = (va + vb) * (va + vb) / (va*va/float64(len(a)-1) + vb*vb/float64(len(b)-1))
	r.P = StudentTwoSided(r.T, r.DF)
	return r, nil
}

// StudentTwoSided is P(|T| >= |t|) for T following Student's t distribution with df > 0
// degrees of freedom (df need not be whole): the regularized incomplete beta function
// I_{df/(df+t²)}(df/2, 1/2).
func StudentTwoSided(t, df float64) float64 {
	return regIncBeta(df/2, 0.5, df/(df+t*t))
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), by its continued fraction
// (modified Lentz's method; Press et al., Numerical Recipes, 6.4).
func regIncBeta(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	// The fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
	if x > (a+1)/(a+b+2) {
		return 1 - front*betaFraction(b, a, 1-x)/b
	}
	return front * betaFraction(a, b, x) / a
}

func betaFraction(a, b, x float64) float64 {
	const tiny, eps = 1e-300, 1e-15
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 300; m++ {
		fm := float64(m)
		for _, num := range [2]float64{
			fm * (b - fm) * x / ((a + 2*fm - 1) * (a + 2*fm)),            // even step
			-(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1)), // odd step
		} {
			d = 1 + num*d
			if math.Abs(d) < tiny {
				d = tiny
			}
			c = 1 + num/c
			if math.Abs(c) < tiny {
				c = tiny
			}
			d = 1 / d
			h *= d * c
		}
		if math.Abs(d*c-1) < eps {
			break
		}
	}
	return h
}
