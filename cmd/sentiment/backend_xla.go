//go:build xla

package main

// Built with `-tags xla` (make build-xla), the command also links GoMLX's XLA backend, which
// runs on GPUs through a PJRT plugin: GOMLX_BACKEND=xla:cuda (see README, "GPU").
import _ "github.com/gomlx/go-xla/compute/xla"
