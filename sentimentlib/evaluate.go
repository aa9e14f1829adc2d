package sentimentlib

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

// Evaluate computes the metrics of the model in dir on a split ("validation" or "test"), with the
// data configuration it was trained with (cacheDir overrides the cache directory if not empty).
func Evaluate(ctx context.Context, dir, split, cacheDir string) (metrics.Metrics, error) {
	p, err := Load(dir)
	if err != nil {
		return metrics.Metrics{}, fmt.Errorf("evaluate: %w", err)
	}
	return p.Evaluate(ctx, split, cacheDir)
}

// Evaluate is the function Evaluate with this predictor (a caller that has loaded the model,
// to show its calibration or whether it was verified).
func (p *Predictor) Evaluate(ctx context.Context, split, cacheDir string) (metrics.Metrics, error) {
	scored, err := p.PredictSplit(ctx, split, cacheDir)
	if err != nil {
		return metrics.Metrics{}, fmt.Errorf("evaluate: %w", err)
	}
	return MetricsOf(scored)
}

// Scored is one review of a split with the model's prediction.
type Scored struct {
	Index       int     `json:"index"` // row in the split's parquet order
	Text        string  `json:"text"`
	Label       int     `json:"label"`       // 1 positive, 0 negative
	Probability float64 `json:"probability"` // predicted P(positive)
	Tokens      int     `json:"tokens"`      // review length in tokens, before truncation
}

// Correct reports whether the prediction (threshold 0.5) matches the label.
func (s Scored) Correct() bool { return (s.Probability >= 0.5) == (s.Label == 1) }

// Confidence is the probability given to the predicted class.
func (s Scored) Confidence() float64 { return max(s.Probability, 1-s.Probability) }

// PredictSplit scores every review of a split ("validation" or "test") with the model in dir,
// using the data configuration the model was trained with (cacheDir overrides the cache
// directory when not empty).
func PredictSplit(ctx context.Context, dir, split, cacheDir string) ([]Scored, error) {
	p, err := Load(dir)
	if err != nil {
		return nil, err
	}
	return p.PredictSplit(ctx, split, cacheDir)
}

// PredictSplit scores every review of a split with this predictor (see the function).
func (p *Predictor) PredictSplit(ctx context.Context, split, cacheDir string) ([]Scored, error) {
	reviews, err := p.splitReviews(ctx, split, cacheDir)
	if err != nil {
		return nil, err
	}
	return p.score(ctx, reviews, nil)
}

// score pairs reviews with their probabilities: from logits when not nil (one per review),
// else from the model.
func (p *Predictor) score(ctx context.Context, reviews []imdb.Review, logits []float64) ([]Scored, error) {
	ids := p.feat.EncodeAll(imdb.Texts(reviews))
	var probs []float64
	if logits != nil {
		probs = p.calibrated(logits, ids)
	} else {
		var err error
		if probs, err = p.probabilities(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]Scored, len(reviews))
	for i, r := range reviews {
		out[i] = Scored{Index: r.Index, Text: r.Text, Label: r.Label, Probability: probs[i], Tokens: len(ids[i])}
	}
	return out, nil
}

// SavedPredictions returns what PredictSplit returns, without running the model when Train
// saved the answer: DIR/logits.json holds the best checkpoint's validation and test logits,
// and they are used, with the calibration temperature, when the file is at least as new as
// best.ckpt and its labels and word counts match the split's reviews. Otherwise (a directory
// trained before logits.json existed, a checkpoint written after it) it runs the model like
// PredictSplit. For notebooks and analyses that look at a split more than once; Evaluate and
// `sentiment eval` always run the model.
func SavedPredictions(ctx context.Context, dir, split, cacheDir string) ([]Scored, error) {
	p, err := Load(dir)
	if err != nil {
		return nil, err
	}
	reviews, err := p.splitReviews(ctx, split, cacheDir)
	if err != nil {
		return nil, err
	}
	return p.score(ctx, reviews, savedLogits(dir, split, reviews))
}

// savedLogits returns a split's logits from DIR/logits.json, or nil when the file is missing,
// unreadable, older than the best checkpoint, or describes other reviews.
func savedLogits(dir, split string, reviews []imdb.Review) []float64 {
	li, err := os.Stat(filepath.Join(dir, LogitsFile))
	if err != nil {
		return nil
	}
	if ci, err := os.Stat(filepath.Join(dir, BestCheckpoint)); err != nil || li.ModTime().Before(ci.ModTime()) {
		return nil
	}
	lg, err := ReadLogits(dir)
	if err != nil {
		return nil
	}
	s := lg.Test
	if split == "validation" {
		s = lg.Validation
	}
	// The labels and word counts Train would have saved for these reviews (splitLogits).
	if want := splitLogits(nil, reviews); len(s.Logits) != len(reviews) || !slices.Equal(s.Labels, want.Labels) || !slices.Equal(s.Words, want.Words) {
		return nil
	}
	return s.Logits
}

// splitReviews loads a split ("validation" or "test") with the data configuration the model
// was trained with: cacheDir when not empty, else the cache HF_HUB_CACHE or HF_HOME names, else
// the one the model was trained on, else the default.
func (p *Predictor) splitReviews(ctx context.Context, split, cacheDir string) ([]imdb.Review, error) {
	if split != "validation" && split != "test" {
		return nil, fmt.Errorf("split %q: want \"validation\" or \"test\"", split)
	}
	if split == "validation" && p.cfg.Refit {
		return nil, errors.New("this model is a refit (config refit): it trained on the validation reviews, so it has no validation split; use --split test, or the run without refit that chose its settings")
	}
	cfg := p.cfg
	cfg.NoTest = false // a model tuned without the test split can still be evaluated on it
	switch {
	case cacheDir != "":
		cfg.Data.CacheDir = cacheDir
	case os.Getenv("HF_HUB_CACHE") == "" && os.Getenv("HF_HOME") == "" && p.cacheDir != "" && imdb.HasDataset(p.cacheDir):
		cfg.Data.CacheDir = p.cacheDir // the cache the model was trained on
	}
	data, err := cfg.LoadData(ctx)
	if err != nil {
		return nil, err
	}
	if split == "validation" {
		return data.Validation, nil
	}
	return data.Test, nil
}

// MetricsOf computes the metric object of scored reviews.
func MetricsOf(scored []Scored) (metrics.Metrics, error) {
	probs, labels := make([]float64, len(scored)), make([]int, len(scored))
	for i, s := range scored {
		probs[i], labels[i] = s.Probability, s.Label
	}
	return metrics.Compute(probs, labels)
}
