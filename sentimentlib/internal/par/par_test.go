package par

import (
	"sync/atomic"
	"testing"
)

// TestChunksCoversEachIndexOnce: every index of [0, n) is visited exactly once, for n below,
// at and above a chunk and across many chunks.
func TestChunksCoversEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 257, 10_000} {
		seen := make([]atomic.Int32, n)
		Chunks(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
		})
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("n %d: index %d visited %d times", n, i, c)
			}
		}
	}
}
