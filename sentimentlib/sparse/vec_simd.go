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
