package tokenize

import (
	"context"
	"os"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
)

func benchData(b *testing.B) *imdb.Data {
	dir := os.Getenv("IMDB_BENCH_CACHE")
	if dir == "" {
		dir = "../../../shared/hf-cache"
	}
	d, err := imdb.Load(context.Background(), imdb.Options{CacheDir: dir, Offline: true})
	if err != nil {
		b.Skipf("benchmark needs the full dataset: set IMDB_BENCH_CACHE (%v)", err)
	}
	return d
}

func allTexts(d *imdb.Data) []string {
	var texts []string
	for _, s := range [][]imdb.Review{d.Train, d.Validation, d.Test, d.Unsupervised} {
		texts = append(texts, imdb.Texts(s)...)
	}
	return texts
}

// BenchmarkTrainTokenizer trains the default 30,000-token vocabulary on the 22,500 training reviews.
func BenchmarkTrainTokenizer(b *testing.B) {
	d := benchData(b)
	texts := imdb.Texts(d.Train)
	for b.Loop() {
		if _, err := Train(texts, TrainOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeAll encodes all 100,000 reviews.
func BenchmarkEncodeAll(b *testing.B) {
	d := benchData(b)
	tok, err := Train(imdb.Texts(d.Train), TrainOptions{})
	if err != nil {
		b.Fatal(err)
	}
	texts := allTexts(d)
	b.ResetTimer()
	for b.Loop() {
		tok.EncodeAll(texts)
	}
	b.ReportMetric(float64(len(texts))*float64(b.N)/b.Elapsed().Seconds(), "reviews/s")
}

// BenchmarkReadAndEncodeAll reads the three splits from the cache and encodes all 100,000
// reviews with an already trained tokenizer: the target is under 3 s on 2 cores.
func BenchmarkReadAndEncodeAll(b *testing.B) {
	d := benchData(b)
	tok, err := Train(imdb.Texts(d.Train), TrainOptions{})
	if err != nil {
		b.Fatal(err)
	}
	dir := d.CacheDir
	b.ResetTimer()
	for b.Loop() {
		d, err := imdb.Load(context.Background(), imdb.Options{CacheDir: dir, Offline: true})
		if err != nil {
			b.Fatal(err)
		}
		tok.EncodeAll(allTexts(d))
	}
}
