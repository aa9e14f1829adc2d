//go:build !onnx

package sentimentlib

// onnxBuilt says whether this binary can write ONNX files (the onnx build tag).
const onnxBuilt = false

func saveONNX(*Predictor, string, int) error { return errONNXNotBuilt }
