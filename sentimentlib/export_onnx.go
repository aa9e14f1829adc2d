//go:build onnx

package sentimentlib

import (
	"fmt"
	"os"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute-onnx" // registers the "onnx" backend
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/model/onnx"
)

// onnxBuilt says whether this binary can write ONNX files (the onnx build tag).
const onnxBuilt = true

// npmRuntime is the ONNX Runtime library that `make build-onnx` installs (npm's
// onnxruntime-node), used when ONNXRUNTIME_SHARED_LIBRARY_PATH is not set and the command runs
// from the repository root.
const npmRuntime = "bench/onnx/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"

// saveONNX compiles the predictor's inference graph on GoMLX's ONNX backend for ids of shape
// [batch, max_len] and writes it to file, the weights embedded as constants. The ONNX backend
// needs the ONNX Runtime library (ONNXRUNTIME_SHARED_LIBRARY_PATH).
func saveONNX(p *Predictor, file string, batch int) error {
	if os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH") == "" {
		if _, err := os.Stat(npmRuntime); err == nil {
			os.Setenv("ONNXRUNTIME_SHARED_LIBRARY_PATH", npmRuntime)
		}
	}
	backend, err := compute.NewWithConfig("onnx:cpu")
	if err != nil {
		return fmt.Errorf("export: the ONNX backend: %w (set ONNXRUNTIME_SHARED_LIBRARY_PATH to a libonnxruntime.so; `make build-onnx` installs one under bench/onnx)", err)
	}
	defer backend.Finalize()
	exec, err := p.inferenceExec(backend)
	if err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := onnx.SaveToFile(backend, exec, tmp, []shapes.Shape{shapes.Make(dtypes.Int32, batch, p.cfg.MaxLen)}, []string{onnxInput}, []string{onnxOutput}); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("export: %w", err)
	}
	return os.Rename(tmp, file)
}
