package experiments

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib"

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
func ExportTokens(prep *sentimentlib.Prepared, cfg sentimentlib.Config, dir string) error {
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
func BenchGo(ctx context.Context, prep *sentimentlib.Prepared, cfg sentimentlib.Config, steps, infer int) (BenchResult, error) {
	res := BenchResult{Peer: "gomlx go backend"}
	ds, err := batch.New("bench", prep.Train, imdb.Labels(prep.Data.Train), cfg.BatchOptions(true))
	if err != nil {
		return res, err
	}
	trainer, p, err := sentimentlib.NewTraining(cfg, prep.Features, 10000)
	if err != nil {
		return res, err
	}
	res.Peer = "gomlx " + p.Backend()
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

	if err := p.Sync(); err != nil {
		return res, err
	}
	sample := prep.Validation[:min(infer, len(prep.Validation))]
	for _, ids := range sample[:min(5, len(sample))] { // warm-up
		if _, err := p.Logits(ctx, [][]int32{ids}); err != nil {
			return res, err
		}
	}
	start = time.Now()
	for _, ids := range sample {
		if _, err := p.Logits(ctx, [][]int32{ids}); err != nil {
			return res, err
		}
	}
	res.InferMsBatch1 = 1000 * time.Since(start).Seconds() / float64(len(sample))
	if _, err := p.Logits(ctx, sample[:min(64, len(sample))]); err != nil { // warm-up
		return res, err
	}
	start = time.Now()
	for k := 0; k < len(sample); k += 64 {
		if _, err := p.Logits(ctx, sample[k:min(k+64, len(sample))]); err != nil {
			return res, err
		}
	}
	res.InferReviewsPerSec64 = float64(len(sample)) / time.Since(start).Seconds()
	if res.TrainReviewsPerSec <= 0 {
		return res, fmt.Errorf("bench: no training steps measured")
	}
	return res, nil
}

// ExportTexts writes the training, validation and test splits of data as train.jsonl,
// validation.jsonl and test.jsonl in dir, one {"text": ..., "label": 0|1} object a line, for
// peers that read the reviews themselves (bench/nbsvm_peer.py): the same split as ours, with
// no parquet reader needed.
func ExportTexts(data *imdb.Data, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, sp := range []struct {
		name    string
		reviews []imdb.Review
	}{{"train", data.Train}, {"validation", data.Validation}, {"test", data.Test}} {
		var b []byte
		for _, r := range sp.reviews {
			line, err := json.Marshal(struct {
				Text  string `json:"text"`
				Label int    `json:"label"`
			}{r.Text, r.Label})
			if err != nil {
				return err
			}
			b = append(append(b, line...), '\n')
		}
		if err := os.WriteFile(filepath.Join(dir, sp.name+".jsonl"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// EndToEnd is one run of a complete pipeline, from reading the data to the test metrics: ours
// (`sentiment train --preset nbsvm`) or the scikit-learn peer's (bench/nbsvm_peer.py).
type EndToEnd struct {
	Peer               string  `json:"peer"`
	ValidationAccuracy float64 `json:"validation_accuracy"`
	TestAccuracy       float64 `json:"test_accuracy"`
	// Seconds is the wall time of the run: for ours, sentimentlib.Train from reading the cache to the test
	// metrics; for the peer, one run at its chosen C (seconds_one_fit), Python's imports included.
	Seconds float64 `json:"seconds"`
	// SearchSeconds is the peer's search of C on validation (one vectorization, a fit per C).
	SearchSeconds float64 `json:"search_seconds,omitempty"`
	C             float64 `json:"C,omitempty"`
}

// NBSVMPeerOptions say how BenchNBSVM runs the peer.
type NBSVMPeerOptions struct {
	Python string // a Python with scikit-learn (Debian: /usr/bin/python3 and python3-sklearn)
	Script string // bench/nbsvm_peer.py
	// Dir holds the exported splits (ExportTexts); Work the runs of ours (temporary directories
	// are made when empty).
	Dir, Work string
}

// BenchNBSVM trains cfg (the nbsvm preset) into a fresh directory under opts.Work and times it
// end to end, then runs the scikit-learn NBSVM peer on the same split, exported as text. With
// opts.Python empty it runs ours alone.
func BenchNBSVM(ctx context.Context, cfg sentimentlib.Config, opts NBSVMPeerOptions, progress io.Writer) (ours, peer *EndToEnd, err error) {
	work, err := os.MkdirTemp(opts.Work, "nbsvm-bench-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(work)
	start := time.Now()
	res, err := sentimentlib.Train(ctx, cfg, filepath.Join(work, "run"), progress)
	if err != nil {
		return nil, nil, err
	}
	ours = &EndToEnd{Peer: fmt.Sprintf("sentiment train --preset %s (gomlx %s)", cfg.Preset, res.Backend), ValidationAccuracy: res.Validation.Accuracy,
		TestAccuracy: res.Test.Accuracy, Seconds: time.Since(start).Seconds()}
	if opts.Python == "" {
		return ours, nil, nil
	}
	dir := opts.Dir
	if dir == "" {
		dir = filepath.Join(work, "texts")
		data, err := cfg.LoadData(ctx)
		if err != nil {
			return nil, nil, err
		}
		if err := ExportTexts(data, dir); err != nil {
			return nil, nil, err
		}
	}
	cmd := exec.CommandContext(ctx, opts.Python, opts.Script, "--data", dir, "--max-features", fmt.Sprint(cfg.NBSVM.MaxFeatures), "--ngrams", fmt.Sprint(cfg.NBSVM.MaxN))
	cmd.Stderr = progress
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("bench: the scikit-learn peer failed: %w (needs scikit-learn: Debian apt-get install -y python3-sklearn, and --python /usr/bin/python3)", err)
	}
	var p struct {
		Peer          string  `json:"peer"`
		Validation    float64 `json:"validation_accuracy"`
		Test          float64 `json:"test_accuracy"`
		Seconds       float64 `json:"seconds_one_fit"`
		SearchSeconds float64 `json:"seconds_search"`
		C             float64 `json:"C"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, nil, fmt.Errorf("bench: the peer's output %q: %w", out, err)
	}
	peer = &EndToEnd{Peer: p.Peer, ValidationAccuracy: p.Validation, TestAccuracy: p.Test, Seconds: p.Seconds, SearchSeconds: p.SearchSeconds, C: p.C}
	return ours, peer, nil
}

// EndToEndTable renders runs of ours and of the peer side by side as a Markdown table: each
// measure's mean (and range over the repeats) and how many times faster ours is end to end.
func EndToEndTable(ours, peers []*EndToEnd) string {
	stat := func(rs []*EndToEnd, f func(*EndToEnd) float64, format string) (float64, string) {
		if len(rs) == 0 {
			return 0, "-"
		}
		mean, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
		for _, r := range rs {
			v := f(r)
			mean += v / float64(len(rs))
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo == hi {
			return mean, fmt.Sprintf(format, mean)
		}
		return mean, fmt.Sprintf(format+" ("+format+"-"+format+")", mean, lo, hi)
	}
	peerName := "(no peer)"
	if len(peers) > 0 {
		peerName = peers[0].Peer
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| measure (mean, min-max over %d repeats) | %s | %s | ours vs peer |\n|---|---:|---:|---:|\n", len(ours), ours[0].Peer, peerName)
	for _, m := range []struct {
		name, format string
		f            func(*EndToEnd) float64
		ratio        bool
	}{
		{"validation accuracy", "%.4f", func(r *EndToEnd) float64 { return r.ValidationAccuracy }, false},
		{"test accuracy", "%.4f", func(r *EndToEnd) float64 { return r.TestAccuracy }, false},
		{"seconds, data to test metrics", "%.1f", func(r *EndToEnd) float64 { return r.Seconds }, true},
	} {
		om, os := stat(ours, m.f, m.format)
		pm, ps := stat(peers, m.f, m.format)
		ratio := ""
		if m.ratio && len(peers) > 0 && om > 0 {
			ratio = fmt.Sprintf("%.1fx faster", pm/om)
		} else if len(peers) > 0 {
			ratio = fmt.Sprintf("%+.2f points", 100*(om-pm))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", m.name, os, ps, ratio)
	}
	if len(peers) > 0 {
		_, s := stat(peers, func(r *EndToEnd) float64 { return r.SearchSeconds }, "%.1f")
		fmt.Fprintf(&b, "| the peer's choice of C on validation, seconds | - | %s (C = %g) | |\n", s, peers[0].C)
	}
	return b.String()
}
