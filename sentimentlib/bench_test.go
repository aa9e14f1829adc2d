package sentimentlib

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
)

// syntheticBatch is a training batch of random token ids (no padding), labels, lengths, weights.
func syntheticBatch(rng *rand.Rand, batchSize, seqLen, vocab int) ([]*tensors.Tensor, []*tensors.Tensor) {
	ids := make([]int32, batchSize*seqLen)
	for i := range ids {
		ids[i] = int32(5 + rng.IntN(vocab-5))
	}
	labels, lengths, weights := make([]float32, batchSize), make([]float32, batchSize), make([]float32, batchSize)
	for i := range batchSize {
		labels[i], lengths[i], weights[i] = float32(i%2), float32(seqLen), 1
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(ids, batchSize, seqLen)},
		[]*tensors.Tensor{tensors.FromValue(labels), tensors.FromValue(lengths), tensors.FromValue(weights)}
}

func benchmarkTrainStep(b *testing.B, preset string, seqLen int, sets ...string) {
	cfg, err := Preset(preset, false)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(sets); i += 2 {
		if err := cfg.Set(sets[i], sets[i+1]); err != nil {
			b.Fatal(err)
		}
	}
	backend, err := compute.New()
	if err != nil {
		b.Fatal(err)
	}
	const vocab = 30000
	trainer, _, err := newTrainer(backend, cfg, vocabOnly(vocab), 10000)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	next := func() train.Batch {
		inputs, labels := syntheticBatch(rng, cfg.BatchSize, seqLen, vocab)
		return train.Batch{Inputs: inputs, Labels: labels, Spec: seqLen}
	}
	if _, err := trainer.TrainStep(next()); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := trainer.TrainStep(next()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*cfg.BatchSize)/b.Elapsed().Seconds(), "reviews/s")
}

// BenchmarkTrainStep times one training step (batch 32, synthetic ids, no padding) of the default
// preset at its bucket lengths, against global attention and the n-gram bag.
func BenchmarkTrainStep(b *testing.B) {
	for _, L := range []int{192, 768} {
		b.Run(fmt.Sprintf("default-window64/len%d", L), func(b *testing.B) { benchmarkTrainStep(b, "default", L) })
	}
	b.Run("global-attention/len192", func(b *testing.B) {
		benchmarkTrainStep(b, "default", 192, "max_len", "192", "head_tokens", "64", "attention_window", "0")
	})
	b.Run("ngrams/len512", func(b *testing.B) { benchmarkTrainStep(b, "ngrams", 512) })
}

// vocabOnly stands in for the features of a model trained on synthetic ids: only its
// vocabulary size is read.
type vocabOnly int

func (v vocabOnly) VocabSize() int                   { return int(v) }
func (vocabOnly) Encode(string) []int32              { return nil }
func (vocabOnly) EncodeAll(texts []string) [][]int32 { return make([][]int32, len(texts)) }
func (vocabOnly) Save(string) error                  { return nil }
