//go:build !onnx

package main

const onnxTagged = false
