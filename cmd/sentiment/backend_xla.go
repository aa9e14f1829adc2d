//go:build xla

package main

// Built with `-tags xla` (make build-xla), the command also links GoMLX's XLA backend, which
// runs on GPUs through a PJRT plugin: GOMLX_BACKEND=xla:PLUGIN (scripts/cuda-env.sh sets it; docs/gpu.md). With it linked, XLA is GoMLX's default backend; GOMLX_BACKEND=go picks the CPU one.
import _ "github.com/gomlx/go-xla/compute/xla"
