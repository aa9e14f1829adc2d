package sentimentlib

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
)

const fixture = "../data/hf-cache"

func TestTokenizerTrainedOnTrainOnly(t *testing.T) {
	d, err := imdb.Load(context.Background(), imdb.Options{CacheDir: fixture, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	// Plant marker words, frequent enough to enter any vocabulary, in each split.
	plant := func(rs []imdb.Review, word string) {
		for i := range rs {
			rs[i].Text += strings.Repeat(" "+word, 5)
		}
	}
	plant(d.Train, "zzztrainmarker")
	plant(d.Validation, "zzzvalidationmarker")
	plant(d.Test, "zzztestmarker")
	plant(d.Unsupervised, "zzzunsupmarker")
	tok, err := TrainTokenizer(d, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tok.ID("zzztrainmarker"); !ok {
		t.Fatal("the training marker is missing: the test cannot tell anything")
	}
	for _, w := range []string{"zzzvalidationmarker", "zzztestmarker", "zzzunsupmarker"} {
		if _, ok := tok.ID(w); ok {
			t.Errorf("%q is in the vocabulary: the tokenizer saw text outside the training split", w)
		}
	}
}

func benchPrepared(b *testing.B) *Prepared {
	dir := os.Getenv("IMDB_BENCH_CACHE")
	if dir == "" {
		dir = "../../shared/hf-cache"
	}
	p, err := PrepareData(context.Background(), DataConfig{CacheDir: dir, Offline: true})
	if err != nil {
		b.Skipf("benchmark needs the full dataset: set IMDB_BENCH_CACHE (%v)", err)
	}
	return p
}

// BenchmarkEpochBatches produces the batches of one training epoch (22,500 reviews, batch 32,
// 256 tokens head+tail, 4 buckets).
func BenchmarkEpochBatches(b *testing.B) {
	p := benchPrepared(b)
	ds, err := batch.New("train", p.Train, imdb.Labels(p.Data.Train), batch.Options{Shuffle: true, Seed: 1, DropRemainder: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for bt := range ds.Iter() {
			n++
			_ = bt
		}
		if n == 0 {
			b.Fatal("no batches")
		}
	}
}

func TestConfigSet(t *testing.T) {
	c, err := Preset("default", false)
	if err != nil {
		t.Fatal(err)
	}
	c.Data.CacheDir = "/some/cache"
	for _, kv := range [][2]string{{"max_len", "256"}, {"dropout", "0.25"}, {"pooling", "cls"}, {"loss.confidence_gamma", "2"}, {"data.vocab_size", "1000"}} {
		if err := c.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("Set(%s, %s): %v", kv[0], kv[1], err)
		}
	}
	if c.MaxLen != 256 || c.Dropout != 0.25 || c.Pooling != "cls" || c.Loss.ConfidenceGamma != 2 || c.Data.VocabSize != 1000 || c.Data.CacheDir != "/some/cache" || c.Dim != 64 {
		t.Errorf("after Set: %+v", c)
	}
	for _, kv := range [][2]string{{"max_length", "1"}, {"max_len", "big"}, {"loss.nope", "1"}, {"nope.x", "1"}} {
		err := c.Set(kv[0], kv[1])
		if err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("Set(%s, %s): error %v should name the field", kv[0], kv[1], err)
		}
	}
}

// TestPositiveFraction: the imbalanced setting keeps 10% of the training positives, all the
// negatives, and leaves validation and test alone.
func TestPositiveFraction(t *testing.T) {
	d, err := imdb.Load(context.Background(), imdb.Options{CacheDir: fixture, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	negBefore, posBefore := imdb.CountLabels(d.Train)
	valBefore, testBefore := len(d.Validation), len(d.Test)
	firstPos := -1
	for _, r := range d.Train {
		if r.Label == 1 {
			firstPos = r.Index
			break
		}
	}
	subset(d, Config{PositiveFraction: 0.1})
	neg, pos := imdb.CountLabels(d.Train)
	if neg != negBefore || pos != int(math.Round(0.1*float64(posBefore))) || len(d.Validation) != valBefore || len(d.Test) != testBefore {
		t.Errorf("after subsampling: %d negative (was %d), %d positive (was %d); validation %d, test %d", neg, negBefore, pos, posBefore, len(d.Validation), len(d.Test))
	}
	found := false
	for _, r := range d.Train {
		found = found || r.Index == firstPos
	}
	if !found {
		t.Error("the first positives of the seeded order should be the ones kept")
	}
	c, _ := Preset("default", false)
	c.PositiveFraction = 1.5
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "positive_fraction") {
		t.Errorf("positive_fraction 1.5: %v", err)
	}
}
