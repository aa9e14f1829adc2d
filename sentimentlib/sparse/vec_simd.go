//go:build goexperiment.simd

package sparse

import "simd"

// dot is x . y (len(x) elements), in vectors of the machine's width (8 floats with AVX2).
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var acc simd.Float32s
	n := acc.Len()
	i := 0
	for ; i+n <= len(x); i += n {
		acc = simd.LoadFloat32s(x[i:]).MulAdd(simd.LoadFloat32s(y[i:]), acc)
	}
	if i < len(x) {
		xs, _ := simd.LoadFloat32sPart(x[i:])
		ys, _ := simd.LoadFloat32sPart(y[i:])
		acc = xs.MulAdd(ys, acc)
	}
	var lanes [64]float32
	acc.Store(lanes[:])
	var s float32
	for _, v := range lanes[:n] {
		s += v
	}
	return s
}

// axpy is y += a x (len(x) elements).
func axpy(a float32, x, y []float32) {
	y = y[:len(x)]
	av := simd.BroadcastFloat32s(a)
	n := av.Len()
	i := 0
	for ; i+n <= len(x); i += n {
		av.MulAdd(simd.LoadFloat32s(x[i:]), simd.LoadFloat32s(y[i:])).Store(y[i:])
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}

// adamRow is adamStep.row's arithmetic, in vectors: the same operations as adamRowGeneric, so
// the same results up to the rounding of the square root and division.
func adamRow(w, m, v, g []float32, lr, c1, c2 float32) {
	m, v, g = m[:len(w)], v[:len(w)], g[:len(w)]
	b1, b1c := simd.BroadcastFloat32s(adamBeta1), simd.BroadcastFloat32s(1-adamBeta1)
	b2, b2c := simd.BroadcastFloat32s(adamBeta2), simd.BroadcastFloat32s(1-adamBeta2)
	lrc1, c2v, eps := simd.BroadcastFloat32s(lr*c1), simd.BroadcastFloat32s(c2), simd.BroadcastFloat32s(adamEpsilon)
	n := b1.Len()
	i := 0
	for ; i+n <= len(w); i += n {
		gi := simd.LoadFloat32s(g[i:])
		mi := simd.LoadFloat32s(m[i:]).Mul(b1).Add(gi.Mul(b1c))
		vi := simd.LoadFloat32s(v[i:]).Mul(b2).Add(gi.Mul(gi).Mul(b2c))
		mi.Store(m[i:])
		vi.Store(v[i:])
		step := mi.Mul(lrc1).Div(vi.Mul(c2v).Sqrt().Add(eps))
		simd.LoadFloat32s(w[i:]).Sub(step).Store(w[i:])
	}
	adamRowGeneric(w[i:], m[i:], v[i:], g[i:], lr, c1, c2)
}
