// Package stats holds the statistics of model comparisons: mean and standard deviation over
// seeds, McNemar's test on paired predictions, a paired bootstrap of a metric difference, and
// temperature scaling (post-hoc calibration).
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
	beta := 1.0 // 1/T
	for range 100 {
		var g, h float64
		for i, z := range logits {
			p := sigmoid(beta * z)
			g += (p - float64(labels[i])) * z // d NLL / d beta
			h += p * (1 - p) * z * z
		}
		if h <= 1e-12 {
			break
		}
		step := g / h
		// Keep beta positive: halve the step when it would cross zero.
		for beta-step <= 0 {
			step /= 2
		}
		beta -= step
		if math.Abs(step) < 1e-10*math.Max(1, beta) {
			break
		}
	}
	if beta <= 0 || math.IsNaN(beta) {
		return 0, errors.New("stats: temperature: the fit did not converge (are the labels all one class?)")
	}
	return 1 / beta, nil
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

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
