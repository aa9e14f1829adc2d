package main

import (
	"bytes"
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
