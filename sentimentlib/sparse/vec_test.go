package sparse

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVectorsAgreeWithPlainGo: dot, axpy and adamRow (in vectors when built with
// GOEXPERIMENT=simd) give plain Go's results on rows longer than a vector, with a tail.
func TestVectorsAgreeWithPlainGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 37
	vec := func() []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	near := func(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-5*max(1, math.Abs(float64(b))) }
	x, y := vec(), vec()
	var want float32
	for i := range x {
		want += x[i] * y[i]
	}
	if got := dot(x, y); !near(got, want) {
		t.Errorf("dot %v, want %v", got, want)
	}
	z := append([]float32(nil), y...)
	axpy(0.5, x, z)
	for i := range z {
		if !near(z[i], y[i]+0.5*x[i]) {
			t.Fatalf("axpy[%d] = %v, want %v", i, z[i], y[i]+0.5*x[i])
		}
	}
	w, m, v, g := vec(), vec(), vec(), vec()
	for i := range v {
		v[i] *= v[i]
	}
	w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
	adamRow(w, m, v, g, 0.01, 1.2, 3.4)
	adamRowGeneric(w2, m2, v2, g, 0.01, 1.2, 3.4)
	for i := range w {
		if !near(w[i], w2[i]) || !near(m[i], m2[i]) || !near(v[i], v2[i]) {
			t.Fatalf("adamRow[%d]: w, m, v = %v %v %v; plain Go %v %v %v", i, w[i], m[i], v[i], w2[i], m2[i], v2[i])
		}
	}
}
