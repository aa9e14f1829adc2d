package imdb

import (
	"context"
	"os"
	"testing"
)

// BenchCacheDir is the full dataset cache the benchmarks read: $IMDB_BENCH_CACHE, else the
// project's sibling ../shared/hf-cache.
func benchCache(b *testing.B) string {
	dir := os.Getenv("IMDB_BENCH_CACHE")
	if dir == "" {
		dir = "../../../shared/hf-cache"
	}
	if _, err := SplitFiles(context.Background(), dir, SplitTrain, true); err != nil {
		b.Skipf("benchmark needs the full dataset: set IMDB_BENCH_CACHE (%v)", err)
	}
	return dir
}

// BenchmarkReadAllSplits reads train, test and unsupervised (100,000 reviews) from the cache.
func BenchmarkReadAllSplits(b *testing.B) {
	dir := benchCache(b)
	for b.Loop() {
		d, err := Load(context.Background(), Options{CacheDir: dir, Offline: true})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(d.Train) + len(d.Validation) + len(d.Test) + len(d.Unsupervised); n != 100_000 {
			b.Fatalf("read %d reviews, want 100,000", n)
		}
	}
}
