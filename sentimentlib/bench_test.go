package sentimentlib

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"

	"github.com/sentiment-go/sentiment/sentimentlib/loss"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/optim"
	"github.com/sentiment-go/sentiment/sentimentlib/sparse"
	"github.com/sentiment-go/sentiment/sentimentlib/tvsample"
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

// BenchmarkRegionCNNStep times one training step of the regions preset (batch 50, 512 words
// drawn by a Zipf law as text's are, region sizes 2 and 3 with 300 maps), labels only and with
// a tv-embedding input (5-word regions, 100 wide, frozen as --init leaves it), with the one-hot
// tables trained densely (AdamW over the whole tables) and by rows (regions.sparse_tables).
// paper/sparse is the scale of Johnson & Zhang 2015b's final model: one region size of 5 with
// 1,000 maps and three 100-wide tv-embeddings of 5-word regions; its epoch-s metric is the
// time of one epoch over the 22,500 training reviews at that rate.
func BenchmarkRegionCNNStep(b *testing.B) {
	for _, tv := range []bool{false, true} {
		for _, sparse := range []bool{false, true} {
			name := map[bool]string{false: "labels-only", true: "tv"}[tv] + map[bool]string{false: "/dense", true: "/sparse"}[sparse]
			b.Run(name, func(b *testing.B) { benchmarkRegionCNNStep(b, tv, sparse, false) })
		}
	}
	b.Run("paper/sparse", func(b *testing.B) { benchmarkRegionCNNStep(b, true, true, true) })
}

func benchmarkRegionCNNStep(b *testing.B, tv, sparse, paper bool) {
	cfg, err := Preset("regions", false)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Regions.SparseTables = sparse
	sides := 0
	if tv {
		cfg.Regions.TVRegion, cfg.Regions.TVDim = 5, 100
		sides = 1
	}
	if paper {
		cfg.Regions.Sizes, cfg.Regions.Maps = []int{5}, 1000
		cfg.Regions.ExtraTVRegions, cfg.Regions.ExtraTVDims = []int{5, 5}, []int{100, 100}
		sides = 3
	}
	const vocab, seqLen = 30002, 512
	backend, err := compute.New()
	if err != nil {
		b.Fatal(err)
	}
	trainer, store, err := newTrainer(backend, cfg, vocabOnly(vocab), 10000)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(rng, 1.1, 2, vocab-3)
	next := func() train.Batch {
		inputs, labels := syntheticBatch(rng, cfg.BatchSize, seqLen, vocab)
		ids := tensors.MustCopyFlatData[int32](inputs[0])
		for i := range ids {
			ids[i] = int32(2 + z.Uint64())
		}
		tb := train.Batch{Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(ids, cfg.BatchSize, seqLen)}, Labels: labels, Spec: seqLen}
		if sparse {
			tb = withBatchRows(tb, ids, vocab)
		}
		return tb
	}
	for i := range sides { // frozen, as --init leaves them
		scope := "/model/" + smodel.TVSideScope(i) + "/"
		for path, dims := range map[string][]int{scope + "embeddings/embeddings": {vocab, 100}, scope + "bias": {100}} {
			v, err := store.CreateVariable(path, tensors.FromShape(shapes.Make(smodel.DType, dims...)))
			if err != nil {
				b.Fatal(err)
			}
			v.Trainable = false
		}
	}
	batches := []train.Batch{next(), next(), next(), next()}
	for _, tb := range batches { // the graphs of each batch's number of distinct ids
		if _, err := trainer.TrainStep(tb); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := trainer.TrainStep(batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(b.N*cfg.BatchSize) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "reviews/s")
	if paper {
		b.ReportMetric(22500/rate, "epoch-s")
	}
}

// vocabOnly stands in for the features of a model trained on synthetic ids: only its
// vocabulary size is read.
type vocabOnly int

func (v vocabOnly) VocabSize() int                   { return int(v) }
func (vocabOnly) Encode(string) []int32              { return nil }
func (vocabOnly) EncodeAll(texts []string) [][]int32 { return make([][]int32, len(texts)) }
func (vocabOnly) Save(string) error                  { return nil }

// BenchmarkTVEmbeddingStep times one step of the tv-embedding's pretraining at the regions
// preset's size (30,002 words, 100 wide, 2,048 regions a step), side by side: the GoMLX graph
// the pretraining trains today (AdamW over the whole tables, gradients clipped) and the sparse
// step of package sparse (the rows the batch reads), plain SGD, with momentum 0.9 and lazy Adam, all on
// the same 8 batches in turn (so that momentum's rows skip steps, as they do in a run).
func BenchmarkTVEmbeddingStep(b *testing.B) {
	pc, err := PretrainPreset("regions", false)
	if err != nil {
		b.Fatal(err)
	}
	vocab, dim := pc.Regions.Vocab+2, pc.Regions.TVDim
	var batches []*tvsample.Batch
	for i := range 8 {
		batches = append(batches, tvsample.Synthetic(uint64(i+1), vocab))
	}
	regions := batches[0].Rows
	b.Run("graph-adamw", func(b *testing.B) {
		backend, err := compute.New()
		if err != nil {
			b.Fatal(err)
		}
		rc := pc.regionConfig()
		store := newStore(rc, vocab, 1_000_000)
		modelFn := func(scope *model.Scope, regions, targets *Node) *Node {
			addSchedule(scope, regions.Graph(), rc)
			return smodel.RegionEmbedding(scope.In("model"), regions, targets)
		}
		lossFn := func(labels, predictions []*Node) *Node {
			return loss.RegionTargets(predictions[0], labels[0], labels[1])
		}
		trainer := train.NewTrainer(backend, store, modelFn, lossFn, optim.New(store, pc.ClipNorm, nil), nil, nil)
		var tbs []train.Batch
		for _, tb := range batches {
			tbs = append(tbs, tb.Train())
		}
		if _, err := trainer.TrainStep(tbs[0]); err != nil { // compiles
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			if _, err := trainer.TrainStep(tbs[i%len(tbs)]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*regions)/b.Elapsed().Seconds(), "regions/s")
	})
	for _, opt := range []string{"sparse-sgd", "sparse-momentum", "sparse-adam"} {
		b.Run(opt, func(b *testing.B) {
			m := sparse.NewTV(vocab, dim, rand.New(rand.NewPCG(1, 1)))
			m.Adam = opt == "sparse-adam"
			if opt == "sparse-momentum" {
				m.Momentum = 0.9
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := m.Step(batches[i%len(batches)], 0.01, 0); err != nil {
					b.Fatal(err)
				}
			}
			m.Flush(runtime.GOMAXPROCS(0)) // a run flushes at each evaluation
			b.ReportMetric(float64(b.N*regions)/b.Elapsed().Seconds(), "regions/s")
		})
	}
}
