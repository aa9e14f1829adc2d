package experiments

import (
	"fmt"
	"math"
	"slices"

	"github.com/sentiment-go/sentiment/sentimentlib"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

// EnsembleResult is two runs' logits combined: z = w z_1 + (1 - w) z_2, with the weight w
// chosen on the validation split (the best accuracy, ties to the weight nearest 1/2), and the
// test split scored once with it (not when a run was trained with no_test: Test stays empty).
type EnsembleResult struct {
	Dirs       [2]string       `json:"dirs"`
	Weight     float64         `json:"weight"`
	Validation metrics.Metrics `json:"validation"`
	Test       metrics.Metrics `json:"test"`
	// ValidationByWeight is the validation accuracy of each weight of the grid.
	ValidationByWeight map[string]float64 `json:"validation_by_weight"`
}

// Ensemble combines the saved logits (logits.json) of two runs on the same split, trying the
// weights 0, 1/steps, ..., 1 on validation.
func Ensemble(a, b string, steps int) (*EnsembleResult, error) {
	la, lb, err := ensembleLogits(a, b, false)
	if err != nil {
		return nil, err
	}
	for _, r := range []struct {
		dir string
		l   *sentimentlib.RunLogits
	}{{a, la}, {b, lb}} {
		if len(r.l.Validation.Logits) == 0 {
			return nil, fmt.Errorf("ensemble: %s has no validation logits (a refit, trained on the validation reviews): choose the weight on the runs without refit (sentiment ensemble TWIN1 TWIN2), then give it with --weight", r.dir)
		}
	}
	res := &EnsembleResult{Dirs: [2]string{a, b}, ValidationByWeight: map[string]float64{}}
	best := math.Inf(-1)
	for k := 0; k <= steps; k++ {
		w := float64(k) / float64(steps)
		m, err := metrics.Compute(metrics.Sigmoids(combine(la.Validation.Logits, lb.Validation.Logits, w), 1), la.Validation.Labels)
		if err != nil {
			return nil, err
		}
		res.ValidationByWeight[fmt.Sprintf("%.3f", w)] = m.Accuracy
		if m.Accuracy > best || (m.Accuracy == best && math.Abs(w-0.5) < math.Abs(res.Weight-0.5)) {
			best, res.Weight, res.Validation = m.Accuracy, w, m
		}
	}
	if len(la.Test.Logits) == 0 || len(lb.Test.Logits) == 0 { // tuning runs (no_test): the weight alone
		return res, nil
	}
	res.Test, err = metrics.Compute(metrics.Sigmoids(combine(la.Test.Logits, lb.Test.Logits, res.Weight), 1), la.Test.Labels)
	return res, err
}

// EnsembleAt combines two runs' test logits with the weight w chosen before (on the validation
// split of their twins, for refits): z = w z_1 + (1 - w) z_2. Validation is not read.
func EnsembleAt(a, b string, w float64) (*EnsembleResult, error) {
	if !(w >= 0 && w <= 1) {
		return nil, fmt.Errorf("ensemble: weight %v out of range [0, 1]", w)
	}
	la, lb, err := ensembleLogits(a, b, true)
	if err != nil {
		return nil, err
	}
	res := &EnsembleResult{Dirs: [2]string{a, b}, Weight: w}
	res.Test, err = metrics.Compute(metrics.Sigmoids(combine(la.Test.Logits, lb.Test.Logits, w), 1), la.Test.Labels)
	return res, err
}

// ensembleLogits reads two runs' logits.json, refusing runs of different reviews, or (needTest)
// without test logits.
func ensembleLogits(a, b string, needTest bool) (la, lb *sentimentlib.RunLogits, err error) {
	if la, err = sentimentlib.ReadLogits(a); err != nil {
		return nil, nil, err
	}
	if lb, err = sentimentlib.ReadLogits(b); err != nil {
		return nil, nil, err
	}
	bothTest := len(la.Test.Labels) > 0 && len(lb.Test.Labels) > 0
	if !slices.Equal(la.Validation.Labels, lb.Validation.Labels) || (bothTest && !slices.Equal(la.Test.Labels, lb.Test.Labels)) {
		return nil, nil, fmt.Errorf("ensemble: %s and %s scored different reviews (another split or subset): their logits cannot be combined", a, b)
	}
	if needTest && !bothTest {
		return nil, nil, fmt.Errorf("ensemble: %s or %s has no test logits (trained with no_test)", a, b)
	}
	return la, lb, nil
}

// combine is w x + (1 - w) y, element by element.
func combine(x, y []float64, w float64) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		out[i] = w*x[i] + (1-w)*y[i]
	}
	return out
}
