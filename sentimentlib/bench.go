package sentimentlib

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"
	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
)

// BenchResult is one measurement of training and inference speed.
type BenchResult struct {
	Peer                 string  `json:"peer"`
	TrainReviewsPerSec   float64 `json:"train_reviews_per_s"`
	InferMsBatch1        float64 `json:"infer_ms_batch1"`
	InferReviewsPerSec64 float64 `json:"infer_reviews_per_s_batch64"`
}

// ExportTokens writes the training split's token ids, truncated as cfg truncates them, for a
// peer implementation: tokens.i32 (all ids, little-endian int32), offsets.i64 (review i is
// tokens[offsets[i]:offsets[i+1]]) and labels.i8.
func ExportTokens(prep *Prepared, cfg Config, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tr := batch.Truncation{MaxLen: cfg.MaxLen, Head: cfg.HeadTokens}
	var tokens []int32
	offsets := []int64{0}
	labels := make([]int8, len(prep.Train))
	for i, ids := range prep.Train {
		tokens = append(tokens, tr.Apply(ids)...)
		offsets = append(offsets, int64(len(tokens)))
		labels[i] = int8(prep.Data.Train[i].Label)
	}
	for name, data := range map[string]any{"tokens.i32": tokens, "offsets.i64": offsets, "labels.i8": labels} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := binary.Write(f, binary.LittleEndian, data); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// BenchGo measures this implementation on real data: training reviews/s over steps training
// steps of cfg's model (after one warm-up step per batch shape, so compilation is not timed),
// then inference latency for single reviews and throughput for batches of 64, over infer
// reviews of the validation split.
func BenchGo(ctx context.Context, prep *Prepared, cfg Config, steps, infer int) (BenchResult, error) {
	res := BenchResult{Peer: "gomlx go backend"}
	ds, err := batch.New("bench", prep.Train, imdb.Labels(prep.Data.Train), batchOptions(cfg, true))
	if err != nil {
		return res, err
	}
	backend, err := compute.New()
	if err != nil {
		return res, err
	}
	res.Peer = "gomlx " + backend.Name()
	trainer, store, err := newTrainer(backend, cfg, prep.Tokenizer.VocabSize(), 10000)
	if err != nil {
		return res, err
	}
	plan := ds.Plan(0)
	// Warm-up: one step per batch length, compiling each shape.
	warmed := map[int]bool{}
	for _, pl := range plan {
		if !warmed[pl.Len] {
			warmed[pl.Len] = true
			if _, err := trainer.TrainStep(ds.Make(pl)); err != nil {
				return res, err
			}
		}
	}
	if steps > len(plan) {
		steps = len(plan)
	}
	start, seen := time.Now(), 0
	for _, pl := range plan[:steps] {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if _, err := trainer.TrainStep(ds.Make(pl)); err != nil {
			return res, err
		}
		seen += len(pl.Indices)
	}
	res.TrainReviewsPerSec = float64(seen) / time.Since(start).Seconds()

	p := &Predictor{cfg: cfg, tok: prep.Tokenizer, store: store, backend: backend, temperature: 1}
	if err := p.compile(); err != nil {
		return res, err
	}
	sample := prep.Validation[:min(infer, len(prep.Validation))]
	for _, ids := range sample[:min(5, len(sample))] { // warm-up
		if _, err := p.logits(ctx, [][]int32{ids}); err != nil {
			return res, err
		}
	}
	start = time.Now()
	for _, ids := range sample {
		if _, err := p.logits(ctx, [][]int32{ids}); err != nil {
			return res, err
		}
	}
	res.InferMsBatch1 = 1000 * time.Since(start).Seconds() / float64(len(sample))
	if _, err := p.logits(ctx, sample[:min(64, len(sample))]); err != nil { // warm-up
		return res, err
	}
	start = time.Now()
	for k := 0; k < len(sample); k += 64 {
		if _, err := p.logits(ctx, sample[k:min(k+64, len(sample))]); err != nil {
			return res, err
		}
	}
	res.InferReviewsPerSec64 = float64(len(sample)) / time.Since(start).Seconds()
	if res.TrainReviewsPerSec <= 0 {
		return res, fmt.Errorf("bench: no training steps measured")
	}
	return res, nil
}
