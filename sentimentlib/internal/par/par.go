// Package par runs loops over many items (encoding every review of a split) on all CPUs.
package par

import (
	"runtime"
	"sync"
)

// Chunks runs fn over [0, n) cut into chunks of 256, on up to one goroutine per CPU; each call
// gets a chunk [lo, hi) of its own.
func Chunks(n int, fn func(lo, hi int)) { ChunksOn(runtime.GOMAXPROCS(0), n, fn) }

// ChunksOn is Chunks on up to workers goroutines.
func ChunksOn(workers, n int, fn func(lo, hi int)) {
	const chunk = 256
	workers = min(max(workers, 1), max(1, n/chunk))
	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= n {
					return
				}
				fn(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}
