package metrics

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestComputeByHand(t *testing.T) {
	// 6 predictions: labels 1,1,1,0,0,0; probs 0.9, 0.6, 0.4, 0.2, 0.7, 0.1.
	probs := []float64{0.9, 0.6, 0.4, 0.2, 0.7, 0.1}
	labels := []int{1, 1, 1, 0, 0, 0}
	m, err := Compute(probs, labels)
	if err != nil {
		t.Fatal(err)
	}
	// Predictions: 1,1,0,0,1,0 -> tp=2 fn=1 tn=2 fp=1.
	if m.Confusion != [2][2]int{{2, 1}, {1, 2}} {
		t.Errorf("confusion %v", m.Confusion)
	}
	if !near(m.Accuracy, 4.0/6) || !near(m.Precision, 2.0/3) || !near(m.Recall, 2.0/3) || !near(m.F1, 2.0/3) {
		t.Errorf("acc/prec/rec/f1 %v %v %v %v", m.Accuracy, m.Precision, m.Recall, m.F1)
	}
	// AUC: pairs (pos, neg) with pos > neg: 0.9>all 3; 0.6>0.2,0.1 (2); 0.4>0.2,0.1 (2) => 7/9.
	if !near(m.ROCAUC, 7.0/9) {
		t.Errorf("auc %v, want 7/9", m.ROCAUC)
	}
	nll := -(math.Log(0.9) + math.Log(0.6) + math.Log(0.4) + math.Log(0.8) + math.Log(0.3) + math.Log(0.9)) / 6
	if !near(m.NLL, nll) {
		t.Errorf("nll %v want %v", m.NLL, nll)
	}
	brier := (0.01 + 0.16 + 0.36 + 0.04 + 0.49 + 0.01) / 6
	if !near(m.Brier, brier) {
		t.Errorf("brier %v want %v", m.Brier, brier)
	}
	// ECE with 15 bins over [0.5,1] (width 1/30): confidences 0.9 (bin 12, right), 0.6 (bin 3,
	// right), 0.6 (p=0.4 -> pred 0, wrong; bin 3), 0.8 (bin 9, right), 0.7 (bin 6, wrong),
	// 0.9 (bin 12, right). Bin 3: conf 0.6, acc 0.5 -> 2*0.1; bin 6: 1*0.7; bin 9: 1*0.2;
	// bin 12: 2*0.1. ECE = (0.2 + 0.7 + 0.2 + 0.2)/6.
	if want := 1.3 / 6; math.Abs(m.ECE-want) > 1e-9 {
		t.Errorf("ece %v want %v", m.ECE, want)
	}
}

func TestROCAUCTiesAndEdges(t *testing.T) {
	if a := ROCAUC([]float64{0.5, 0.5}, []int{1, 0}); !near(a, 0.5) {
		t.Errorf("tied scores: auc %v want 0.5", a)
	}
	if a := ROCAUC([]float64{0.1, 0.9}, []int{0, 1}); !near(a, 1) {
		t.Errorf("perfect: %v", a)
	}
	if a := ROCAUC([]float64{0.1, 0.9}, []int{1, 1}); !math.IsNaN(a) {
		t.Errorf("one class: %v want NaN", a)
	}
}

func TestPerfectAndErrors(t *testing.T) {
	m, _ := Compute([]float64{1, 0, 1, 0}, []int{1, 0, 1, 0})
	if m.Accuracy != 1 || m.ECE != 0 || m.Brier != 0 || m.NLL > 1e-6 {
		t.Errorf("perfect predictions: %+v", m)
	}
	// A confident mistake has a large but finite NLL.
	m, _ = Compute([]float64{0}, []int{1})
	if math.IsInf(m.NLL, 0) || m.NLL < 15 {
		t.Errorf("nll of p=0 for a positive: %v", m.NLL)
	}
	if _, err := Compute([]float64{0.5}, []int{1, 0}); err == nil {
		t.Error("length mismatch: want an error")
	}
	if _, err := Compute([]float64{1.5}, []int{1}); err == nil {
		t.Error("probability out of range: want an error")
	}
	if _, err := Compute([]float64{0.5}, []int{2}); err == nil {
		t.Error("bad label: want an error")
	}
}

func TestROCCurve(t *testing.T) {
	// Scores 0.9(+) 0.8(-) 0.7(+) 0.7(-) 0.2(-): thresholds give (fp, tp) = (0,1) (1,1) (2,2) (3,2).
	scores := []float64{0.9, 0.8, 0.7, 0.7, 0.2}
	labels := []int{1, 0, 1, 0, 0}
	fpr, tpr := ROCCurve(scores, labels)
	wantF := []float64{0, 0, 1.0 / 3, 2.0 / 3, 1}
	wantT := []float64{0, 0.5, 0.5, 1, 1}
	if len(fpr) != len(wantF) {
		t.Fatalf("fpr %v tpr %v", fpr, tpr)
	}
	area := 0.0
	for i := range fpr {
		if math.Abs(fpr[i]-wantF[i]) > 1e-12 || math.Abs(tpr[i]-wantT[i]) > 1e-12 {
			t.Errorf("point %d: (%v, %v), want (%v, %v)", i, fpr[i], tpr[i], wantF[i], wantT[i])
		}
		if i > 0 {
			area += (fpr[i] - fpr[i-1]) * (tpr[i] + tpr[i-1]) / 2
		}
	}
	if auc := ROCAUC(scores, labels); math.Abs(area-auc) > 1e-12 {
		t.Errorf("trapezoid area %v, ROCAUC %v", area, auc)
	}
	if f, _ := ROCCurve([]float64{0.1, 0.2}, []int{1, 1}); f != nil {
		t.Errorf("one class only: want nil, got %v", f)
	}
}
