package stats

import (
	"math"
	"strings"
	"testing"
)

func TestMeanStd(t *testing.T) {
	m, s := MeanStd([]float64{1, 2, 3, 4})
	if m != 2.5 || math.Abs(s-math.Sqrt(5.0/3)) > 1e-12 {
		t.Errorf("MeanStd = %v, %v; want 2.5, %v", m, s, math.Sqrt(5.0/3))
	}
	if m, s := MeanStd([]float64{7}); m != 7 || s != 0 {
		t.Errorf("one value: %v, %v", m, s)
	}
}

func TestMcNemar(t *testing.T) {
	// 1 example only A gets right, 9 only B, 20 both right, 5 both wrong.
	var a, b []bool
	add := func(n int, x, y bool) {
		for range n {
			a, b = append(a, x), append(b, y)
		}
	}
	add(1, true, false)
	add(9, false, true)
	add(20, true, true)
	add(5, false, false)
	r, err := McNemar(a, b)
	if err != nil {
		t.Fatal(err)
	}
	// Exact: 2 * (C(10,0) + C(10,1)) / 2^10 = 22/1024.
	if r.OnlyA != 1 || r.OnlyB != 9 || math.Abs(r.P-22.0/1024) > 1e-12 {
		t.Errorf("McNemar %+v, want 1, 9, p=%v", r, 22.0/1024)
	}
	// Symmetric disagreement: p = 1; no disagreement: p = 1.
	if r, _ := McNemar([]bool{true, false}, []bool{false, true}); r.P != 1 {
		t.Errorf("balanced: %+v", r)
	}
	if r, _ := McNemar([]bool{true}, []bool{true}); r.P != 1 {
		t.Errorf("no discordant pairs: %+v", r)
	}
	if _, err := McNemar([]bool{true}, nil); err == nil {
		t.Error("different lengths: want an error")
	}
}

func TestPairedBootstrap(t *testing.T) {
	n := 200
	// A is right on the first 150, B on the first 170: B is better by 0.10 on every resample
	// that draws from the 20 examples where they differ.
	acc := func(right int) func([]int) float64 {
		return func(idx []int) float64 {
			c := 0
			for _, i := range idx {
				if i < right {
					c++
				}
			}
			return float64(c) / float64(len(idx))
		}
	}
	r, err := PairedBootstrap(n, acc(150), acc(170), 2000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Diff-0.10) > 1e-12 || r.Lo <= 0 || r.Hi < r.Diff || r.Lo > r.Diff || r.P > 0.01 {
		t.Errorf("B better: %+v", r)
	}
	// Identical models: difference 0, p = 1.
	r, _ = PairedBootstrap(n, acc(150), acc(150), 500, 1)
	if r.Diff != 0 || r.Lo != 0 || r.Hi != 0 || r.P != 1 {
		t.Errorf("identical: %+v", r)
	}
	// The same seed resamples the same way.
	r1, _ := PairedBootstrap(n, acc(150), acc(155), 500, 7)
	r2, _ := PairedBootstrap(n, acc(150), acc(155), 500, 7)
	if r1 != r2 {
		t.Errorf("same seed, different results: %+v %+v", r1, r2)
	}
}

// TestFitTemperature: labels drawn (in exact proportions) from sigmoid(z / 2) make the model
// that outputs sigmoid(z) overconfident; the fitted temperature is 2 and lowers the NLL.
func TestFitTemperature(t *testing.T) {
	var logits []float64
	var labels []int
	for z := -6.0; z <= 6; z += 0.5 {
		pos := int(math.Round(1000 * sigmoid(z/2)))
		for i := range 1000 {
			logits = append(logits, z)
			labels = append(labels, map[bool]int{true: 1, false: 0}[i < pos])
		}
	}
	temp, err := FitTemperature(logits, labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(temp-2) > 0.01 {
		t.Errorf("temperature %v, want 2", temp)
	}
	if before, after := NLL(logits, labels, 1), NLL(logits, labels, temp); after >= before {
		t.Errorf("NLL %v after scaling, %v before", after, before)
	}
	// NLL is stable for huge logits.
	if v := NLL([]float64{1000, -1000}, []int{1, 0}, 1); v != 0 {
		t.Errorf("NLL of confident right answers: %v", v)
	}
	if _, err := FitTemperature(nil, nil); err == nil {
		t.Error("no data: want an error")
	}
}

// TestFitLengthTemperature: labels drawn in exact proportions from sigmoid(z / T(n)) with
// T(n) = 2 (n/100)^0.5 give back Temperature 2 and Power 0.5; weights count as repeats; with a
// single length the fit is FitTemperature's.
func TestFitLengthTemperature(t *testing.T) {
	var logits, weights []float64
	var lengths, labels []int
	truth := LengthTemperature{Temperature: 2, Power: 0.5, Reference: 100}
	for _, n := range []int{4, 25, 100, 400} {
		for z := -6.0; z <= 6; z += 0.5 {
			pos := int(math.Round(1000 * sigmoid(z/truth.At(n))))
			// pos positives and 1000-pos negatives, as two weighted rows each.
			for _, y := range []int{1, 0} {
				w := float64(pos)
				if y == 0 {
					w = float64(1000 - pos)
				}
				logits, lengths, labels, weights = append(logits, z), append(lengths, n), append(labels, y), append(weights, w)
			}
		}
	}
	fit, err := FitLengthTemperature(logits, lengths, labels, weights, 100)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(fit.Temperature-2) > 0.02 || math.Abs(fit.Power-0.5) > 0.011 || fit.Reference != 100 {
		t.Errorf("fit %+v, want temperature 2, power 0.5, reference 100", fit)
	}
	if got, want := (LengthTemperature{Temperature: 2, Power: 0.5, Reference: 100}).At(25), 1.0; math.Abs(got-want) > 1e-12 {
		t.Errorf("T(25) = %v, want %v", got, want)
	}
	if got := (LengthTemperature{Temperature: 3}).At(7); got != 3 {
		t.Errorf("power 0: T = %v, want 3", got)
	}
	// One length: the power is free, and the temperature at that length is FitTemperature's.
	var one []float64
	var oneLabels, oneLen []int
	for i := range logits {
		for range int(weights[i]) / 10 {
			one, oneLabels, oneLen = append(one, logits[i]), append(oneLabels, labels[i]), append(oneLen, lengths[i])
		}
	}
	plain, _ := FitTemperature(one, oneLabels)
	lt, err := FitLengthTemperature(one, oneLen, oneLabels, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	nll := func(f LengthTemperature) float64 {
		s := 0.0
		for i, z := range one {
			s += NLL([]float64{z}, []int{oneLabels[i]}, f.At(oneLen[i]))
		}
		return s
	}
	if nll(lt) > NLL(one, oneLabels, plain)*float64(len(one))+1e-6 {
		t.Errorf("the length fit (%+v) is worse than one temperature (%v)", lt, plain)
	}
	if _, err := FitLengthTemperature([]float64{1}, []int{1}, []int{1}, nil, 0); err == nil {
		t.Error("reference 0: want an error")
	}
	if _, err := FitLengthTemperature(nil, nil, nil, nil, 1); err == nil {
		t.Error("no data: want an error")
	}
}

// studentDensity is Student's t density with df degrees of freedom.
func studentDensity(x, df float64) float64 {
	l1, _ := math.Lgamma((df + 1) / 2)
	l2, _ := math.Lgamma(df / 2)
	return math.Exp(l1-l2-0.5*math.Log(df*math.Pi)) * math.Pow(1+x*x/df, -(df+1)/2)
}

func TestStudentTwoSided(t *testing.T) {
	// Closed forms: df=1 is Cauchy, P(|T|>=t) = 1 - 2 atan(t)/pi; df=2: 1 - t/sqrt(2+t²).
	// Tables: the 97.5% quantiles 2.776445 (df 4), 2.570582 (df 5), 1.959964 (normal).
	cases := []struct{ t, df, want float64 }{
		{1, 1, 0.5},
		{3, 1, 1 - 2*math.Atan(3)/math.Pi},
		{2, 2, 1 - 2/math.Sqrt(6)},
		{-0.5, 2, 1 - 0.5/math.Sqrt(2.25)},
		{2.776445, 4, 0.05},
		{2.570582, 5, 0.05},
		{1.959964, 1e7, 0.05},
		{0, 3, 1},
	}
	for _, c := range cases {
		if got := StudentTwoSided(c.t, c.df); math.Abs(got-c.want) > 2e-6 {
			t.Errorf("StudentTwoSided(%v, %v) = %v, want %v", c.t, c.df, got, c.want)
		}
	}
	// Against the density integrated numerically (Simpson on [0, t]), also for fractional df.
	for _, c := range []struct{ t, df float64 }{{0.7, 2.94}, {3.1, 2.94}, {1.5, 7.3}, {4, 12.5}} {
		const n = 20000
		h := c.t / n
		s := studentDensity(0, c.df) + studentDensity(c.t, c.df)
		for i := 1; i < n; i++ {
			w := 2.0
			if i%2 == 1 {
				w = 4
			}
			s += w * studentDensity(float64(i)*h, c.df)
		}
		want := 1 - 2*s*h/3
		if got := StudentTwoSided(c.t, c.df); math.Abs(got-want) > 1e-9 {
			t.Errorf("StudentTwoSided(%v, %v) = %.12f, the integrated density %.12f", c.t, c.df, got, want)
		}
	}
}

func TestWelch(t *testing.T) {
	// A = {1,2,3}: mean 2, variance 1; B = {4,6,8}: mean 6, variance 4. SE² = 1/3 + 4/3,
	// DF = (5/3)² / ((1/3)²/2 + (4/3)²/2) = 50/17.
	r, err := Welch([]float64{1, 2, 3}, []float64{4, 6, 8})
	if err != nil {
		t.Fatal(err)
	}
	se := math.Sqrt(5.0 / 3)
	if r.Diff != 4 || math.Abs(r.SE-se) > 1e-12 || math.Abs(r.T-4/se) > 1e-12 || math.Abs(r.DF-50.0/17) > 1e-12 ||
		math.Abs(r.P-StudentTwoSided(4/se, 50.0/17)) > 1e-15 || r.P > 0.06 || r.P < 0.04 {
		t.Errorf("Welch = %+v; want diff 4, SE %v, t %v, df %v, p near 0.05", r, se, 4/se, 50.0/17)
	}
	// Swapping the samples flips the sign, not the p-value.
	if s, _ := Welch([]float64{4, 6, 8}, []float64{1, 2, 3}); s.Diff != -4 || s.T != -r.T || s.P != r.P {
		t.Errorf("swapped: %+v against %+v", s, r)
	}
	if _, err := Welch([]float64{1}, []float64{1, 2}); err == nil || !strings.Contains(err.Error(), "at least 2 values") {
		t.Errorf("one value: %v", err)
	}
	if _, err := Welch([]float64{1, 1}, []float64{2, 2}); err == nil || !strings.Contains(err.Error(), "no spread") {
		t.Errorf("constant samples: %v", err)
	}
}
