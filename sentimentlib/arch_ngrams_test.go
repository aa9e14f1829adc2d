package sentimentlib

import (
	"strings"
	"testing"
)

// TestNgramsHasNoLayersToDecay: layer-wise learning-rate decay is refused for the n-gram bag, which has no layers.
func TestNgramsHasNoLayersToDecay(t *testing.T) {
	ng, _ := Preset("ngrams", false)
	zero := ng
	zero.NgramBuckets = 0
	if err := zero.Validate(); err == nil || !strings.Contains(err.Error(), "ngram_buckets") {
		t.Errorf("ngram_buckets 0: %v", err)
	}
	ng.LayerLRDecay = 0.8
	if err := ng.Validate(); err == nil || !strings.Contains(err.Error(), "has none") {
		t.Errorf("layer_lr_decay on the n-gram model: %v", err)
	}
}
