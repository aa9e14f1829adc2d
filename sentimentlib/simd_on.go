//go:build goexperiment.simd

package sentimentlib

// SIMDEnabled reports whether this binary was built with GOEXPERIMENT=simd, which turns on
// GoMLX's AVX2/AVX-512 kernels on the `go` backend (several times faster training on CPU).
const SIMDEnabled = true
