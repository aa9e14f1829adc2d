package sentimentlib

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/ml/train/optimizer/cosineschedule"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/ngrams"
)

// newStore creates a model.Store holding the hyperparameters of cfg as scope params.
func newStore(cfg Config, vocabSize, totalSteps int) *model.Store {
	store := model.NewStore()
	store.SetParams(map[string]any{
		// The seed of weight initialisation and dropout: without it GoMLX seeds from the OS.
		model.ParamInitialSeed:   int64(cfg.Seed),
		smodel.ParamWindow:       cfg.AttentionWindow,
		smodel.ParamArchitecture: cfg.Architecture, smodel.ParamVocabSize: vocabSize,
		smodel.ParamDim: cfg.Dim, smodel.ParamLayers: cfg.Layers, smodel.ParamHeads: cfg.Heads,
		smodel.ParamFFNDim: cfg.FFNDim, smodel.ParamDropout: cfg.Dropout, smodel.ParamMaxLen: cfg.MaxLen,
		smodel.ParamPooling: cfg.Pooling, smodel.ParamNgramBuckets: max(cfg.NgramBuckets, 1),
		smodel.ParamFreezeEncoderSteps: cfg.FreezeEncoderSteps,
		smodel.ParamNBOffset:           cfg.NBSVM.Offset, smodel.ParamNBScale: cmp.Or(cfg.NBSVM.Scale, 1),
		smodel.ParamRegionSizes: cfg.Regions.Sizes, smodel.ParamRegionMaps: cfg.Regions.Maps,
		smodel.ParamTVRegion: cfg.Regions.TVRegion, smodel.ParamTVDim: cfg.Regions.TVDim,
		optimizer.ParamOptimizer: "adamw", optimizer.ParamLearningRate: cfg.LearningRate,
		optimizer.ParamAdamWeightDecay:  cfg.WeightDecay,
		cosineschedule.ParamPeriodSteps: max(1, totalSteps-cfg.WarmupSteps), cosineschedule.ParamWarmUpSteps: cfg.WarmupSteps,
		cosineschedule.ParamMinLearningRate: cfg.LearningRate / 100,
	})
	return store
}

// graphFn returns the model graph function (root scope -> logits), adding the learning-rate
// schedule to training graphs.
func graphFn(cfg Config) (func(scope *model.Scope, tokens *Node) *Node, error) {
	fn, err := smodel.ModelFn(cfg.Architecture)
	if err != nil {
		return nil, err
	}
	return func(scope *model.Scope, tokens *Node) *Node {
		if scope.IsTraining(tokens.Graph()) {
			addSchedule(scope, tokens.Graph(), cfg)
		}
		return fn(scope.In("model"), tokens)
	}, nil
}

// addSchedule adds the learning-rate schedule (linear warmup, then cosine decay; its
// parameters are in the store, see newStore) to a training graph.
func addSchedule(scope *model.Scope, g *Graph, cfg Config) {
	if cfg.WarmupSteps >= 0 {
		cosineschedule.New(scope, g, smodel.DType).FromScope().Done()
	}
}

// NewTraining builds what training cfg's model on the features feat takes: its trainer (the
// loss, AdamW, the learning-rate schedule over steps) and a Predictor sharing its weights.
// Train runs on it; it is exported for loops of one's own (benchmarks, notebooks).
func NewTraining(cfg Config, feat Features, steps int) (*train.Trainer, *Predictor, error) {
	backend, err := compute.New()
	if err != nil {
		return nil, nil, fmt.Errorf("train: no GoMLX backend: %w", err)
	}
	trainer, store, err := newTrainer(backend, cfg, feat, steps)
	if err != nil {
		return nil, nil, err
	}
	p := &Predictor{cfg: cfg, feat: feat, store: store, backend: backend, temperature: 1}
	return trainer, p, p.compile()
}

// newTrainer builds the store holding cfg's hyperparameters (and the features' fixed tables:
// nbsvm's ratios) and the trainer of its model: cfg's loss, and AdamW with gradient clipping;
// totalSteps sizes the learning-rate schedule.
func newTrainer(backend compute.Backend, cfg Config, feat Features, totalSteps int) (*train.Trainer, *model.Store, error) {
	store := newStore(cfg, feat.VocabSize(), totalSteps)
	fn, err := graphFn(cfg)
	if err != nil {
		return nil, nil, err
	}
	if v, ok := feat.(*ngrams.Vocabulary); ok {
		if err := setNBRatios(store, v); err != nil {
			return nil, nil, err
		}
	}
	return train.NewTrainer(backend, store, fn, cfg.Loss.LossFn(),
		clippedOptimizer{optimizer.FromStore(store), cfg.ClipNorm, updateScales(cfg)}, nil, nil), store, nil
}

// initEncoder loads the pretrained encoder of cfg.Init into store, and scales its residual
// stream by cfg.InitScale when asked.
func initEncoder(store *model.Store, cfg Config, progress io.Writer) error {
	path := filepath.Join(cfg.Init, EncoderCheckpoint)
	if _, err := rundir.LoadCheckpoint(store, path); err != nil {
		return err
	}
	fmt.Fprintf(progress, "initialised the encoder from %s\n", path)
	for v := range store.IterVariables() {
		if isTVVariable(v.Path()) {
			v.Trainable = false // the tv-embedding stays as the unlabeled reviews shaped it
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

// clippedOptimizer clips gradients by their global L2 norm before the wrapped optimizer applies
// them (Pascanu et al. 2013): one bad batch cannot throw the weights far away. If scales is set,
// it then scales each variable's update (the optimizer's step, weight decay included) by
// scales(path, step, dtype), step being the global step before this one; nil scales leave it.
type clippedOptimizer struct {
	optimizer.Interface
	maxNorm float64
	scales  func(path string, step *Node, dtype dtypes.DType) *Node
}

// updateScales returns the per-variable update factors of cfg's fine-tuning: layer-wise
// learning-rate decay (Config.LayerLRDecay), and 0 for the encoder during the frozen-encoder
// warmup (Config.FreezeEncoderSteps), which the model's stopped gradient alone leaves open to
// AdamW's weight decay. It returns nil when neither applies. The head ("/model/head/") and
// anything outside the model always get 1.
func updateScales(cfg Config) func(path string, step *Node, dtype dtypes.DType) *Node {
	decay := cfg.LayerLRDecay
	if decay <= 0 || decay >= 1 {
		decay = 1
	}
	if decay == 1 && cfg.FreezeEncoderSteps <= 0 {
		return nil
	}
	return func(path string, step *Node, dtype dtypes.DType) *Node {
		if !strings.HasPrefix(path, "/model/") || strings.HasPrefix(path, "/model/head/") {
			return nil
		}
		g := step.Graph()
		scale := Scalar(g, dtype, math.Pow(decay, float64(layerDepth(path, cfg.Layers))))
		if cfg.FreezeEncoderSteps > 0 {
			open := GreaterOrEqual(step, Scalar(g, step.DType(), cfg.FreezeEncoderSteps))
			scale = Mul(scale, ConvertDType(open, dtype))
		}
		return scale
	}
}

// layerDepth is how many layers a transformer variable lies below the head: 0 for the final
// norm, L-l for layer l of L, L+1 for the token and position embeddings.
func layerDepth(path string, layers int) int {
	var l int
	switch {
	case strings.HasPrefix(path, "/model/token_embedding/"), strings.HasPrefix(path, "/model/position_embedding/"):
		return layers + 1
	case strings.HasPrefix(path, "/model/layer_"):
		if _, err := fmt.Sscanf(path, "/model/layer_%d/", &l); err == nil && l < layers {
			return layers - l
		}
	}
	return 0
}

func (o clippedOptimizer) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	type scaled struct {
		v          *model.Variable
		old, scale *Node
	}
	var toScale []scaled
	if o.scales != nil {
		step := optimizer.GetGlobalStepVar(scope).NodeValue(g)
		for v := range scope.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				old := v.NodeValue(g)
				if s := o.scales(v.Path(), step, old.DType()); s != nil {
					toScale = append(toScale, scaled{v, old, s})
				}
			}
		}
	}
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	if o.maxNorm > 0 {
		var sq *Node
		for _, gr := range grads {
			s := ReduceAllSum(Square(gr))
			if sq == nil {
				sq = s
			} else {
				sq = Add(sq, s)
			}
		}
		norm := Sqrt(sq)
		scale := Div(Scalar(g, norm.DType(), o.maxNorm), Max(norm, Scalar(g, norm.DType(), o.maxNorm)))
		for i := range grads {
			grads[i] = Mul(grads[i], ConvertDType(scale, grads[i].DType()))
		}
	}
	o.Interface.(interface {
		UpdateGraphWithGradients(*model.Scope, []*Node, dtypes.DType)
	}).UpdateGraphWithGradients(scope, grads, loss.DType())
	for _, s := range toScale { // new = old + scale * (optimizer's new - old)
		s.v.SetNodeValue(Add(s.old, Mul(s.scale, Sub(s.v.NodeValue(g), s.old))))
	}
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
