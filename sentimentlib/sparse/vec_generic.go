//go:build !goexperiment.simd

package sparse

// dot is x . y (len(x) elements).
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy is y += a x (len(x) elements).
func axpy(a float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

// adamRow is adamStep.row's arithmetic (adamRowGeneric).
func adamRow(w, m, v, g []float32, lr, c1, c2 float32) { adamRowGeneric(w, m, v, g, lr, c1, c2) }
