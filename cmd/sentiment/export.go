package main

import (
	"context"
	"fmt"
	"io"
)

// cmdExport runs `sentiment export`: the model as an ONNX graph, with its features and manifest
// beside it (and with --sample, reviews for a client to check itself against), or with --web
// the browser demo.
func cmdExport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", stderr)
	web := fs.String("web", "", "write the browser demo into this directory instead: the page, ONNX Runtime Web, "+
		"the tokenizer and the model (transformer runs); serve it with any static file server")
	file := fs.String("onnx", "", "the ONNX file to write, ending in .onnx; its features and FILE.json go beside it")
	dir := modelFlag(fs)
	nodeModules := fs.String("node-modules", "bench/onnx/node_modules", "with --web: the node_modules holding onnxruntime-web and @huggingface/tokenizers (make build-onnx installs them)")
	batch := fs.Int("batch", 1, "the graph's batch size (its shapes are fixed)")
	sample := fs.Int("sample", 0, "also write FILE.sample.json: this many reviews of --split with their ids and our logits, for a client to check itself against (bench/onnx/run.mjs)")
	split := fs.String("split", "validation", "the split the sample comes from")
	cache := fs.String("hf-cache", "", "Hugging Face hub cache directory, for the sample (default: the one the model was trained on)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" || (*file == "") == (*web == "") {
		return fmt.Errorf("export: --model DIR and one of --onnx FILE.onnx or --web DIR are required")
	}
	p, err := loadModel(*dir, stderr)
	if err != nil {
		return err
	}
	if *web != "" {
		if _, err := p.ExportWeb(*web, *nodeModules); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote the browser demo into %s: serve it with any static file server, e.g. python3 -m http.server -d %s, and open http://localhost:8000/\n", *web, *web)
		return nil
	}
	m, err := p.ExportONNX(*file, *batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (input %s int32 [%d, %d], output %s float32 [%d]), %s and %s.json beside it\n",
		*file, m.Input, m.Batch, m.MaxLen, m.Output, m.Batch, m.Features, *file)
	if *sample > 0 {
		path, err := p.ExportSample(context.Background(), *file, *split, *cache, *sample)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %d %s reviews, their ids and our logits (check a client with: node bench/onnx/run.mjs %s.json %s)\n", path, *sample, *split, *file, path)
	}
	return nil
}
