// Package webdemo is the static page that classifies a typed review entirely in the browser:
// a model exported to ONNX (sentiment export --web), ONNX Runtime Web and the Hugging Face
// tokenizers for JavaScript, with no server behind it. Write assembles the page, the runtime
// files (from npm's onnxruntime-web and @huggingface/tokenizers) and the model in a directory
// that any static file host can serve.
package webdemo

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed page
var page embed.FS

// Runtime are the files the page loads from npm packages, relative to node_modules.
var Runtime = []string{
	"onnxruntime-web/dist/ort.wasm.min.mjs",
	"onnxruntime-web/dist/ort-wasm-simd-threaded.mjs",
	"onnxruntime-web/dist/ort-wasm-simd-threaded.wasm",
	"@huggingface/tokenizers/dist/tokenizers.mjs",
}

// Write puts the page (index.html, demo.mjs) and the runtime files, copied from nodeModules (a
// node_modules with onnxruntime-web and @huggingface/tokenizers: `make build-onnx` installs
// one in bench/onnx), in dir. The model itself (model.onnx, model.onnx.json, its tokenizer)
// is the export's.
func Write(dir, nodeModules string) error {
	for _, f := range Runtime {
		if _, err := os.Stat(filepath.Join(nodeModules, f)); err != nil {
			return fmt.Errorf("web demo: %s is missing: install the npm packages first (make build-onnx installs them in bench/onnx/node_modules)", filepath.Join(nodeModules, f))
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("web demo: %w", err)
	}
	err := fs.WalkDir(page, "page", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := page.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, filepath.Base(path)), b, 0o644)
	})
	if err != nil {
		return fmt.Errorf("web demo: %w", err)
	}
	for _, f := range Runtime {
		if err := copyFile(filepath.Join(nodeModules, f), filepath.Join(dir, filepath.Base(f))); err != nil {
			return fmt.Errorf("web demo: %w", err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
