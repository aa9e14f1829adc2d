package sentimentlib

import (
	"context"
	"fmt"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
	"github.com/sentiment-go/sentiment/sentimentlib/stats"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
	"github.com/sentiment-go/sentiment/sentimentlib/verdict"
)

// Prediction for one review (package verdict).
type Prediction = verdict.Prediction

// Predictor classifies reviews with a trained model (features + weights). It is safe for
// concurrent use: predictions and explanations run side by side.
type Predictor struct {
	cfg     Config
	feat    Features
	store   *model.Store
	backend compute.Backend
	exec    *model.Exec
	// explainExec computes attributions; compiled on the first Explain.
	explainExec *model.Exec
	// calibration divides the logits before the sigmoid, by a temperature that may depend on
	// the input's length (calibration.json; temperature 1 without it).
	calibration stats.LengthTemperature
	// cacheDir is the Hugging Face cache the model was trained on (results.json), read again
	// by PredictSplit unless told otherwise.
	cacheDir string
	// verified: Load checked every file against the run's manifest (false for a run written
	// before manifests, and for a predictor NewTraining made).
	verified bool
	// mu guards the executors: held to read by every call that runs one, to write while they
	// are rebuilt.
	mu sync.RWMutex
}

// Verified reports whether Load checked the model's files against the run's manifest.json: it
// is false for a run written before manifests, whose files nothing vouches for.
func (p *Predictor) Verified() bool { return p.verified }

// Config returns the training configuration of the model.
func (p *Predictor) Config() Config { return p.cfg }

// Architecture is the model's architecture (config.json's "architecture").
func (p *Predictor) Architecture() string { return p.cfg.Architecture }

// Backend names the GoMLX backend the predictor runs on.
func (p *Predictor) Backend() string { return p.backend.Name() }

// Temperature is the calibration temperature the predictor applies (1: uncalibrated), at the
// reference length when it depends on length (see Calibration).
func (p *Predictor) Temperature() float64 { return p.calibration.Temperature }

// Calibration is the temperature the predictor divides logits by, as a function of an input's
// number of ids (calibration.json; temperature 1, power 0 when uncalibrated).
func (p *Predictor) Calibration() stats.LengthTemperature { return p.calibration }

// Features returns the model's features (a *tokenize.Tokenizer or an *ngrams.Vocabulary).
func (p *Predictor) Features() Features { return p.feat }

// Tokenizer returns the model's tokenizer, or nil if its features are not one (nbsvm).
func (p *Predictor) Tokenizer() *tokenize.Tokenizer {
	t, _ := p.feat.(*tokenize.Tokenizer)
	return t
}

// known reports whether encoded ids hold anything the model knows (see Prediction.Unknown).
func (p *Predictor) known(ids []int32) bool { return p.cfg.arch().features.known(ids) }

// compile (re)builds the inference executor; the explanation one is rebuilt on the next
// Explain.
func (p *Predictor) compile() error {
	exec, err := p.inferenceExec(p.backend)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.exec, p.explainExec = exec, nil
	return err
}

// inferenceExec is the model's inference graph (ids in, logits out) on a backend: the
// predictor's own, or the ONNX backend of the export.
func (p *Predictor) inferenceExec(backend compute.Backend) (*model.Exec, error) {
	fn := graphFn(p.cfg)
	return model.NewExec(backend, p.store, func(scope *model.Scope, tokens *Node) *Node {
		return fn(scope, []*Node{tokens}) // logits; the host applies the temperature and the sigmoid
	})
}

// probabilities returns P(positive) = metrics.Sigmoid(logit / T(n)) for encoded reviews (n:
// a review's number of ids; T: the calibration).
func (p *Predictor) probabilities(ctx context.Context, ids [][]int32) ([]float64, error) {
	logits, err := p.Logits(ctx, ids)
	if err != nil {
		return nil, err
	}
	return p.calibrated(logits, ids), nil
}

// calibrated are the probabilities of logits of the encoded reviews ids, one each.
func (p *Predictor) calibrated(logits []float64, ids [][]int32) []float64 {
	out := make([]float64, len(logits))
	for i, z := range logits {
		out[i] = p.probability(z, len(ids[i]))
	}
	return out
}

// probability of the positive class for the logit of a review of n ids, calibrated.
func (p *Predictor) probability(logit float64, n int) float64 {
	return metrics.Sigmoid(logit, p.calibration.At(n))
}

// Sync rebuilds the inference executor, so that it sees weights a trainer sharing the
// predictor's store (NewTraining) has changed since: a cached executor was seen returning the
// values of its first run (GoMLX v0.28.16, go backend).
func (p *Predictor) Sync() error { return p.compile() }

// Logits returns the model's logits (before any temperature) for encoded reviews, batched by
// length bucket.
func (p *Predictor) Logits(ctx context.Context, ids [][]int32) ([]float64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	opts := p.cfg.BatchOptions(false)
	opts.BatchSize = predictBatchSize(len(ids), opts.BatchSize)
	ds, err := batch.New("predict", ids, make([]int, len(ids)), opts)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(ids))
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, planned := range ds.Plan(0) {
		if err := ctx.Err(); err != nil { // cancelled between batches
			return nil, err
		}
		b := ds.Make(planned)
		res, err := p.exec.Exec(b.Inputs[0])
		if err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
		logits := tensors.MustCopyFlatData[float32](res[0])
		for row, idx := range planned.Indices {
			out[idx] = float64(logits[row])
		}
	}
	return out, nil
}

// predictBatchSize is the batch size for n reviews: 1 for one review, 4 for up to 4, 16 for up
// to 64 (a few dozen reviews spread over the length buckets, so full batches would be mostly
// padding rows), else the training batch size. The number of distinct shapes (each one a
// compilation) stays small.
func predictBatchSize(n, full int) int {
	for _, c := range []struct{ upTo, size int }{{1, 1}, {4, 4}, {64, 16}} {
		if n <= c.upTo && c.size < full {
			return c.size
		}
	}
	return full
}

// Predict classifies texts. Texts with nothing the model knows, empty ones included, get the
// model's prior and say so (Prediction.Unknown).
func (p *Predictor) Predict(texts []string) ([]Prediction, error) {
	return p.PredictContext(context.Background(), texts)
}

// PredictContext is Predict, stopped between batches when ctx ends.
func (p *Predictor) PredictContext(ctx context.Context, texts []string) ([]Prediction, error) {
	ids := p.feat.EncodeAll(texts)
	probs, err := p.probabilities(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Prediction, len(texts))
	for i, pr := range probs {
		out[i] = verdict.New(pr, !p.known(ids[i]), p.truncated(ids[i]))
	}
	return out, nil
}

// truncated reports encoded ids longer than the model reads.
func (p *Predictor) truncated(ids []int32) bool {
	return p.cfg.BatchOptions(false).Truncates(len(ids))
}
