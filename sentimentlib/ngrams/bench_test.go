package ngrams

import (
	"context"
	"os"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
)

// benchData reads the full dataset ($IMDB_BENCH_CACHE, else ../shared/hf-cache beside the
// project), skipping the benchmark without it.
func benchData(b *testing.B) *imdb.Data {
	dir := os.Getenv("IMDB_BENCH_CACHE")
	if dir == "" {
		dir = "../../../shared/hf-cache"
	}
	d, err := imdb.Load(context.Background(), imdb.Options{CacheDir: dir, Offline: true, SkipUnsupervised: true})
	if err != nil {
		b.Skipf("benchmark needs the full dataset: set IMDB_BENCH_CACHE (%v)", err)
	}
	return d
}

// BenchmarkFit fits the default vocabulary (800,000 uni-, bi- and trigrams) on the 22,500
// training reviews.
func BenchmarkFit(b *testing.B) {
	d := benchData(b)
	texts, labels := imdb.Texts(d.Train), imdb.Labels(d.Train)
	for b.Loop() {
		v, err := Fit(texts, labels, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if v.Len() != DefaultMaxFeatures {
			b.Fatalf("%d n-grams, want %d", v.Len(), DefaultMaxFeatures)
		}
	}
}

// BenchmarkEncodeAll encodes the 25,000 test reviews.
func BenchmarkEncodeAll(b *testing.B) {
	d := benchData(b)
	v, err := Fit(imdb.Texts(d.Train), imdb.Labels(d.Train), Options{})
	if err != nil {
		b.Fatal(err)
	}
	texts := imdb.Texts(d.Test)
	b.ResetTimer()
	for b.Loop() {
		v.EncodeAll(texts)
	}
}
