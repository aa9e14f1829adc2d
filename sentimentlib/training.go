package sentimentlib

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/jsonfield"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/optim"
	"github.com/sentiment-go/sentiment/sentimentlib/sparse/rows"
	"github.com/sentiment-go/sentiment/sentimentlib/stats"
)

// newStore creates a model.Store holding cfg's settings as scope params, each under its
// config.json name (the names the model package reads), with the features' vocabulary size, the
// seed of weight initialisation and dropout (without it GoMLX seeds from the OS) and the
// optimizer's settings over totalSteps.
func newStore(cfg Config, vocabSize, totalSteps int) *model.Store {
	store := model.NewStore()
	store.SetParams(jsonfield.Values(cfg))
	store.SetParams(optim.Settings{LearningRate: cfg.LearningRate, WeightDecay: cfg.WeightDecay, WarmupSteps: cfg.WarmupSteps, TotalSteps: totalSteps}.Params())
	store.SetParams(map[string]any{model.ParamInitialSeed: int64(cfg.Seed), smodel.ParamVocabSize: vocabSize})
	return store
}

// graphFn returns cfg's model graph (root scope, the token ids -> logits), adding the
// learning-rate schedule to training graphs. A training batch of a model whose tables are
// trained by rows carries its distinct ids after the tokens (withBatchRows).
func graphFn(cfg Config) func(scope *model.Scope, inputs []*Node) *Node {
	fn := cfg.arch().graph
	return func(scope *model.Scope, inputs []*Node) *Node {
		addSchedule(scope, inputs[0].Graph(), cfg)
		if len(inputs) == 3 {
			rows.SetBatchRows(inputs[1], inputs[2])
		}
		logits, _ := fn(scope.In("model"), inputs[0], nil)
		return logits
	}
}

// rowsExecutors bounds the training graphs of one batch length when tables are trained by rows:
// one for each padded number of distinct ids (withBatchRows), at most 16, and a margin.
const rowsExecutors = 20

// rowsSpec tells apart the training graphs of batches of a length and a number of distinct ids.
type rowsSpec struct {
	spec any
	rows int
}

// withBatchRows adds a training batch's distinct ids (rows.BatchRows) to its inputs, padded to
// a multiple of 1,024 or of a sixteenth of the batch's tokens, whichever is larger, so that at
// most 16 graphs are compiled for each batch length (rowsExecutors).
func withBatchRows(b train.Batch, tokens []int32, vocab int) train.Batch {
	pad := max(1024, (len(tokens)/16+1023)/1024*1024)
	uniq, where := rows.BatchRows(tokens, vocab, pad)
	b.Inputs = append(b.Inputs, tensors.FromFlatDataAndDimensions(uniq, len(uniq)), tensors.FromFlatDataAndDimensions(where, vocab))
	b.Spec = rowsSpec{b.Spec, len(uniq)}
	return b
}

// addSchedule adds the learning-rate schedule to g when it is a training graph.
func addSchedule(scope *model.Scope, g *Graph, cfg Config) {
	if scope.IsTraining(g) && cfg.WarmupSteps >= 0 {
		optim.AddSchedule(scope, g, smodel.DType)
	}
}

// NewTraining builds what training cfg's model on the features feat takes: its trainer (the
// loss, AdamW, the learning-rate schedule over steps) and a Predictor sharing its weights.
// Train runs on it; it is exported for loops of one's own (benchmarks, notebooks).
func NewTraining(cfg Config, feat Features, steps int) (*train.Trainer, *Predictor, error) {
	backend, err := newBackend("train")
	if err != nil {
		return nil, nil, err
	}
	trainer, store, err := newTrainer(backend, cfg, feat, steps)
	if err != nil {
		return nil, nil, err
	}
	p := &Predictor{cfg: cfg, feat: feat, store: store, backend: backend, calibration: stats.LengthTemperature{Temperature: 1}}
	return trainer, p, p.compile()
}

// newTrainer builds the store holding cfg's hyperparameters (and what the features fix:
// nbsvm's ratios) and the trainer of its model: cfg's loss, and AdamW with gradient clipping
// and the fine-tuning's update scales; totalSteps sizes the learning-rate schedule.
func newTrainer(backend compute.Backend, cfg Config, feat Features, totalSteps int) (*train.Trainer, *model.Store, error) {
	a, err := lookup(cfg.Architecture)
	if err != nil {
		return nil, nil, err
	}
	store := newStore(cfg, feat.VocabSize(), totalSteps)
	if a.fix != nil {
		if err := a.fix(store, feat); err != nil {
			return nil, nil, err
		}
	}
	var depth func(string) int
	if a.depth != nil {
		depth = func(path string) int { return a.depth(path, cfg.Layers) }
	}
	opt := optim.New(store, cfg.ClipNorm, optim.FineTuning(cfg.LayerLRDecay, depth, cfg.FreezeEncoderSteps))
	trainer := train.NewTrainer(backend, store, graphFn(cfg), cfg.Loss.LossFn(), opt, nil, nil)
	if a.rowsTrained != nil && a.rowsTrained(cfg) {
		trainer.WithMaxExecutors(rowsExecutors * max(1, cfg.LengthBuckets, 4))
	}
	return trainer, store, nil
}

// initEncoder loads the pretrained encoder of cfg.Init, if any, into store (the parts the
// architecture keeps frozen made untrainable), and scales its residual stream by cfg.InitScale
// when asked.
func initEncoder(store *model.Store, cfg Config, progress io.Writer) error {
	if cfg.Init == "" {
		return nil
	}
	path := filepath.Join(cfg.Init, EncoderCheckpoint)
	if _, err := rundir.LoadCheckpoint(store, path); err != nil {
		return err
	}
	fmt.Fprintf(progress, "initialised the encoder from %s\n", path)
	for i, dir := range cfg.ExtraInits {
		path := filepath.Join(dir, EncoderCheckpoint)
		rename := func(p string) string { return cfg.arch().loadExtra(p, i) }
		if err := rundir.LoadCheckpointAs(store, path, rename); err != nil {
			return err
		}
		fmt.Fprintf(progress, "initialised encoder %d from %s\n", i+2, path)
	}
	if frozen := cfg.arch().frozen; frozen != nil {
		for v := range store.IterVariables() {
			v.Trainable = v.Trainable && !frozen(v.Path())
		}
	}
	if cfg.InitScale > 0 && cfg.InitScale < 1 {
		n, err := ScaleResidualStream(store, cfg.InitScale)
		if err != nil {
			return err
		}
		fmt.Fprintf(progress, "scaled the encoder's residual stream by %g (%d variables)\n", cfg.InitScale, n)
	}
	return nil
}

// ScaleResidualStream multiplies the encoder's residual stream by factor (Config.InitScale):
// every variable that writes to it is multiplied by factor, so the stream is factor times what
// it was at every position and depth. The LayerNorms that read it see the same input up to
// their epsilon. It returns the number of variables scaled, and an error if the store holds no
// transformer encoder.
func ScaleResidualStream(store *model.Store, factor float64) (int, error) {
	n := 0
	for v := range store.IterVariables() {
		if rel, ok := strings.CutPrefix(v.Path(), "/model/"); !ok || !smodel.IsResidualWriter(rel) {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return n, fmt.Errorf("init_scale: %s: %w", v.Path(), err)
		}
		if t.DType() != dtypes.Float32 {
			return n, fmt.Errorf("init_scale: %s is %s, want float32", v.Path(), t.DType())
		}
		values := tensors.MustCopyFlatData[float32](t)
		for i := range values {
			values[i] *= float32(factor)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(values, t.Shape().Dimensions...)); err != nil {
			return n, fmt.Errorf("init_scale: %s: %w", v.Path(), err)
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("init_scale: the model has no transformer encoder variables to scale (is it a transformer initialised with --init?)")
	}
	return n, nil
}

// newBackend is GoMLX's backend (GOMLX_BACKEND, else the default) for the command what.
func newBackend(what string) (compute.Backend, error) {
	backend, err := compute.New()
	if err != nil {
		return nil, fmt.Errorf("%s: no GoMLX backend: %w", what, err)
	}
	return backend, nil
}
