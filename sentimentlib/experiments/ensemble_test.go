package experiments

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

func writeLogits(t *testing.T, val, test []float64, valLabels, testLabels []int) string {
	dir := t.TempDir()
	l := sentimentlib.RunLogits{Validation: sentimentlib.SplitLogits{Logits: val, Labels: valLabels}, Test: sentimentlib.SplitLogits{Logits: test, Labels: testLabels}}
	if err := rundir.WriteJSON(filepath.Join(dir, sentimentlib.LogitsFile), l); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestEnsemble: the weight is chosen on validation (here each model alone gets one review of
// four wrong, and only their mean gets all four right), and test is scored with it.
func TestEnsemble(t *testing.T) {
	labels := []int{1, 1, 0, 0}
	a := writeLogits(t, []float64{3, -1, -2, -2}, []float64{2, 2, -2, 1}, labels, labels)
	b := writeLogits(t, []float64{-1, 3, -2, -2}, []float64{2, -3, -2, -2}, labels, labels)
	res, err := Ensemble(a, b, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.Validation.Accuracy != 1 || math.Abs(res.Weight-0.5) > 0.2 || res.ValidationByWeight["0.000"] != 0.75 {
		t.Fatalf("weight %v, validation %v, by weight %v", res.Weight, res.Validation.Accuracy, res.ValidationByWeight)
	}
	want, _ := metrics.Compute(metrics.Sigmoids([]float64{2, 2*res.Weight - 3*(1-res.Weight), -2, res.Weight - 2*(1-res.Weight)}, 1), labels)
	if res.Test != want {
		t.Errorf("test %+v, want %+v", res.Test, want)
	}
	other := writeLogits(t, []float64{1, 1, 1}, []float64{1}, []int{1, 0, 1}, []int{1})
	if _, err := Ensemble(a, other, 10); err == nil {
		t.Error("runs of different splits were combined")
	}
	// Refits have no validation logits: Ensemble refuses them, naming --weight; EnsembleAt
	// scores test with the given weight, worked out by hand.
	ra := writeLogits(t, nil, []float64{2, 2, -2, 1}, nil, labels)
	rb := writeLogits(t, nil, []float64{2, -3, -2, -2}, nil, labels)
	if _, err := Ensemble(ra, rb, 10); err == nil || !strings.Contains(err.Error(), "--weight") {
		t.Errorf("refits: %v, want an error naming --weight", err)
	}
	at, err := EnsembleAt(ra, rb, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	want, _ = metrics.Compute(metrics.Sigmoids([]float64{2, 0.5 - 2.25, -2, 0.25 - 1.5}, 1), labels)
	if at.Test != want || at.Weight != 0.25 || at.Validation.N != 0 {
		t.Errorf("EnsembleAt: %+v, want test %+v", at, want)
	}
	if _, err := EnsembleAt(ra, rb, 1.5); err == nil {
		t.Error("weight 1.5 accepted")
	}
	// Tuning twins (no_test): the weight is chosen on validation and test is not scored.
	ta := writeLogits(t, []float64{3, -1, -2, -2}, nil, labels, nil)
	tb := writeLogits(t, []float64{-1, 3, -2, -2}, nil, labels, nil)
	tw, err := Ensemble(ta, tb, 10)
	if err != nil || tw.Weight != res.Weight || tw.Validation != res.Validation || tw.Test.N != 0 {
		t.Errorf("twins without test: %+v, %v; want weight %v and no test", tw, err, res.Weight)
	}
	if _, err := EnsembleAt(ta, tb, 0.5); err == nil {
		t.Error("EnsembleAt scored runs without test logits")
	}
}
