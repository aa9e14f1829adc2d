// Package metrics computes evaluation metrics over whole splits, on the host: accuracy,
// precision, recall, F1, ROC-AUC, negative log-likelihood, Brier score, expected calibration
// error and the confusion matrix.
package metrics

import (
	"fmt"
	"math"
	"slices"
)

// Metrics is the project's metric object (see DESIGN.md): the JSON names are a contract.
type Metrics struct {
	N         int     `json:"n"`
	Accuracy  float64 `json:"accuracy"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	ROCAUC    float64 `json:"roc_auc"`
	NLL       float64 `json:"nll"`
	Brier     float64 `json:"brier"`
	ECE       float64 `json:"ece"`
	// Confusion is [[tn, fp], [fn, tp]].
	Confusion [2][2]int `json:"confusion"`
}

// ECEBins is the number of equal-width confidence bins of the expected calibration error.
const ECEBins = 15

// probability clipping for the NLL, so a single p=0 mistake gives a large finite value.
const eps = 1e-7

// Compute returns the metrics of predicted probabilities of the positive class against labels
// (0/1), thresholding at 0.5.
func Compute(probs []float64, labels []int) (Metrics, error) {
	if len(probs) != len(labels) {
		return Metrics{}, fmt.Errorf("metrics: %d probabilities but %d labels", len(probs), len(labels))
	}
	if len(probs) == 0 {
		return Metrics{}, fmt.Errorf("metrics: no predictions")
	}
	m := Metrics{N: len(probs)}
	var nll, brier float64
	for i, p := range probs {
		y := labels[i]
		if y != 0 && y != 1 {
			return Metrics{}, fmt.Errorf("metrics: label %d at %d, want 0 or 1", y, i)
		}
		if math.IsNaN(p) || p < 0 || p > 1 {
			return Metrics{}, fmt.Errorf("metrics: probability %v at %d is not in [0, 1]", p, i)
		}
		pred := 0
		if p >= 0.5 {
			pred = 1
		}
		m.Confusion[y][pred]++
		pc := min(max(p, eps), 1-eps)
		if y == 1 {
			nll -= math.Log(pc)
		} else {
			nll -= math.Log(1 - pc)
		}
		brier += (p - float64(y)) * (p - float64(y))
	}
	n := float64(m.N)
	tn, fp, fn, tp := float64(m.Confusion[0][0]), float64(m.Confusion[0][1]), float64(m.Confusion[1][0]), float64(m.Confusion[1][1])
	m.Accuracy = (tp + tn) / n
	m.Precision = safeDiv(tp, tp+fp)
	m.Recall = safeDiv(tp, tp+fn)
	m.F1 = safeDiv(2*m.Precision*m.Recall, m.Precision+m.Recall)
	m.NLL = nll / n
	m.Brier = brier / n
	m.ROCAUC = ROCAUC(probs, labels)
	m.ECE = ECE(probs, labels, ECEBins)
	return m, nil
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// ROCAUC is the area under the ROC curve: the probability that a random positive scores above a
// random negative, ties counting one half (Mann-Whitney U with mid-ranks). NaN when a class is
// missing.
func ROCAUC(scores []float64, labels []int) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return 0
	})
	var nPos, nNeg, rankSumPos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		midRank := float64(i+j+1) / 2 // ranks i+1..j, averaged
		for k := i; k < j; k++ {
			if labels[idx[k]] == 1 {
				nPos++
				rankSumPos += midRank
			} else {
				nNeg++
			}
		}
		i = j
	}
	if nPos == 0 || nNeg == 0 {
		return math.NaN()
	}
	return (rankSumPos - nPos*(nPos+1)/2) / (nPos * nNeg)
}

// CalibrationBin is one bin of a reliability diagram.
type CalibrationBin struct {
	Lo, Hi         float64 // confidence range [Lo, Hi)
	Count          int
	MeanConfidence float64 // mean confidence of the predicted class
	Accuracy       float64 // fraction of correct predictions
}

// Reliability returns the equal-width confidence bins over [0.5, 1] of the predicted class
// (confidence = max(p, 1-p)), as used for the ECE and reliability diagrams.
func Reliability(probs []float64, labels []int, bins int) []CalibrationBin {
	out := make([]CalibrationBin, bins)
	for b := range out {
		out[b].Lo = 0.5 + 0.5*float64(b)/float64(bins)
		out[b].Hi = 0.5 + 0.5*float64(b+1)/float64(bins)
	}
	for i, p := range probs {
		pred, conf := 0, 1-p
		if p >= 0.5 {
			pred, conf = 1, p
		}
		b := min(bins-1, int((conf-0.5)*2*float64(bins)))
		out[b].Count++
		out[b].MeanConfidence += conf
		if pred == labels[i] {
			out[b].Accuracy++
		}
	}
	for b := range out {
		if out[b].Count > 0 {
			out[b].MeanConfidence /= float64(out[b].Count)
			out[b].Accuracy /= float64(out[b].Count)
		}
	}
	return out
}

// ECE is the expected calibration error: the count-weighted mean of |accuracy - confidence| over
// equal-width confidence bins of the predicted class (Guo et al. 2017, "On Calibration of Modern
// Neural Networks"). Binary predictions have confidence in [0.5, 1]; the bins split that range.
func ECE(probs []float64, labels []int, bins int) float64 {
	var e float64
	for _, b := range Reliability(probs, labels, bins) {
		e += float64(b.Count) * math.Abs(b.Accuracy-b.MeanConfidence)
	}
	return e / float64(len(probs))
}

// ROCCurve returns the ROC curve's points (false positive rate, true positive rate), from (0, 0)
// to (1, 1), one point per distinct score threshold (tied scores move together, so the
// trapezoidal area under the points equals ROCAUC). Nil when a class is missing.
func ROCCurve(scores []float64, labels []int) (fpr, tpr []float64) {
	idx := make([]int, len(scores))
	var nPos, nNeg float64
	for i := range idx {
		idx[i] = i
		if labels[i] == 1 {
			nPos++
		} else {
			nNeg++
		}
	}
	if nPos == 0 || nNeg == 0 {
		return nil, nil
	}
	slices.SortFunc(idx, func(a, b int) int { // highest score first
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	fpr, tpr = []float64{0}, []float64{0}
	var tp, fp float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			if labels[idx[j]] == 1 {
				tp++
			} else {
				fp++
			}
			j++
		}
		fpr, tpr = append(fpr, fp/nNeg), append(tpr, tp/nPos)
		i = j
	}
	return fpr, tpr
}

// Value returns the metric called name ("accuracy", "precision", "recall", "f1", "roc_auc",
// "nll", "brier" or "ece", as the JSON spells them), NaN for another name.
func (m Metrics) Value(name string) float64 {
	switch name {
	case "accuracy":
		return m.Accuracy
	case "precision":
		return m.Precision
	case "recall":
		return m.Recall
	case "f1":
		return m.F1
	case "roc_auc":
		return m.ROCAUC
	case "nll":
		return m.NLL
	case "brier":
		return m.Brier
	case "ece":
		return m.ECE
	}
	return math.NaN()
}

// Sigmoid is P(positive) = 1 / (1 + exp(-z / t)) for a logit z and a temperature t (t <= 0: 1).
func Sigmoid(z, t float64) float64 {
	if t <= 0 {
		t = 1
	}
	return 1 / (1 + math.Exp(-z/t))
}

// Sigmoids applies Sigmoid to every logit.
func Sigmoids(logits []float64, t float64) []float64 {
	out := make([]float64, len(logits))
	for i, z := range logits {
		out[i] = Sigmoid(z, t)
	}
	return out
}
