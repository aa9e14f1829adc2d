package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

// TestPrintBench: the table prints with and without a peer, with the ratio oriented so that
// > 1 means ours is faster.
func TestPrintBench(t *testing.T) {
	ours := []experiments.BenchResult{{Peer: "gomlx", TrainReviewsPerSec: 100, InferMsBatch1: 2, InferReviewsPerSec64: 150}}
	peer := []experiments.BenchResult{{Peer: "pytorch", TrainReviewsPerSec: 50, InferMsBatch1: 4, InferReviewsPerSec64: 300}}
	var b bytes.Buffer
	printBench(&b, ours, peer)
	for _, want := range []string{"2.00x", "0.50x", "pytorch"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	printBench(&b, ours, nil)
	if !strings.Contains(b.String(), "(no peer)") || strings.Contains(b.String(), "x\n") {
		t.Errorf("table without a peer:\n%s", b.String())
	}
}

// TestBenchRegions: `bench --peer regions` times our sparse step for both optimizers and sets
// the peer's answer beside it, with the ratio and each side's fraction of its matrix product;
// a peer that fails names the fix.
func TestBenchRegions(t *testing.T) {
	dir := t.TempDir()
	peer := filepath.Join(dir, "peer.sh")
	answer := `{"results":[{"peer":"fake","optimizer":"sgd","regions_per_s":1000},{"peer":"fake","optimizer":"sgd, momentum 0.9","regions_per_s":500},{"peer":"fake","optimizer":"adam (lazy)","regions_per_s":250}],"matmul_gflops":40}`
	if err := os.WriteFile(peer, []byte("#!/bin/sh\necho '"+answer+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"bench", "--peer", "regions", "--python", "sh", "--script", peer, "--steps", "2", "--repeats", "1"}, &out, &errs); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	for _, want := range []string{"sgd, momentum 0.9", "1000 (1000-1000)", "500 (500-500)", "of its own (40.0 (40.0-40.0) GFLOP/s)", "GoMLX's 1024^3 matmul"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	err := run(context.Background(), []string{"bench", "--peer", "regions", "--python", "false", "--steps", "2", "--repeats", "1"}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "--python /usr/bin/python3") {
		t.Errorf("a failing peer: %v", err)
	}
}

// TestBenchTorchPeerError: a Python without PyTorch gets an error that names --python.
func TestBenchTorchPeerError(t *testing.T) {
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"bench", "--hf-cache", "../../data/hf-cache", "--python", "false", "--steps", "1", "--infer", "2", "--repeats", "1"}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "--python /usr/bin/python3") || !strings.Contains(err.Error(), "python3-torch") {
		t.Errorf("bench with a Python that fails: %v", err)
	}
}
