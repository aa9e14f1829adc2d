package sentimentlib

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go CPU backend, GoMLX's default here
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/ml/train/optimizer/cosineschedule"
	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/ngrams"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// Files in a model directory.
const (
	ConfigFile     = "config.json"
	TokenizerFile  = "tokenizer.json"
	BestCheckpoint = "best.ckpt"  // weights of the best validation evaluation
	LastCheckpoint = "last.ckpt"  // weights and optimizer state of the last evaluation (resume)
	StateFile      = "state.json" // position of LastCheckpoint
	MetricsFile    = "metrics.jsonl"
	ResultsFile    = "results.json"
	LogitsFile     = "logits.json" // the best checkpoint's validation and test logits
)

// SplitLogits is a split's logits (before any temperature), labels and lengths in words
// (whitespace-separated, so comparable across tokenizers), in the split's order.
type SplitLogits struct {
	Logits []float64 `json:"logits"`
	Labels []int     `json:"labels"`
	Words  []int     `json:"words"`
}

// RunLogits is what logits.json holds: Train writes the best checkpoint's logits once, so
// analyses over many runs (the loss comparison, temperature fits) need no second pass of the
// model over the data.
type RunLogits struct {
	BestStep   int         `json:"best_step"`
	Validation SplitLogits `json:"validation"`
	Test       SplitLogits `json:"test"`
}

// ReadLogits reads DIR/logits.json.
func ReadLogits(dir string) (*RunLogits, error) {
	var l RunLogits
	if err := readJSON(filepath.Join(dir, LogitsFile), &l); err != nil {
		return nil, fmt.Errorf("logits: %w (written by sentiment train since this version; rerun the training command)", err)
	}
	return &l, nil
}

func splitLogits(logits []float64, reviews []imdb.Review) SplitLogits {
	s := SplitLogits{Logits: logits, Labels: imdb.Labels(reviews), Words: make([]int, len(reviews))}
	for i, r := range reviews {
		s.Words[i] = len(strings.Fields(r.Text))
	}
	return s
}

// Results is what results.json holds.
type Results struct {
	Preset       string          `json:"preset"`
	Seed         uint64          `json:"seed"`
	Quick        bool            `json:"quick"`
	Config       Config          `json:"config"`
	TrainSeconds float64         `json:"train_seconds"`
	Steps        int             `json:"steps"`
	BestStep     int             `json:"best_step"`
	Validation   metrics.Metrics `json:"validation"`
	Test         metrics.Metrics `json:"test"`
	Backend      string          `json:"backend"`
	SIMD         bool            `json:"simd"`
}

// trainState is saved beside LastCheckpoint so a resumed run continues at the same step, with
// the same data order and early-stopping state.
type trainState struct {
	Step, Epoch, BatchInEpoch int
	BestScore                 float64
	BestStep                  int
	BadEvals                  int
	Seconds                   float64
}

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

// newTrainer builds the store holding cfg's hyperparameters and the trainer of its model: cfg's
// loss, and AdamW with gradient clipping; totalSteps sizes the learning-rate schedule.
func newTrainer(backend compute.Backend, cfg Config, vocabSize, totalSteps int) (*train.Trainer, *model.Store, error) {
	store := newStore(cfg, vocabSize, totalSteps)
	fn, err := graphFn(cfg)
	if err != nil {
		return nil, nil, err
	}
	return train.NewTrainer(backend, store, fn, cfg.Loss.LossFn(),
		clippedOptimizer{optimizer.FromStore(store), cfg.ClipNorm, updateScales(cfg)}, nil, nil), store, nil
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

// Train trains a classifier as cfg says, writing into outDir: config.json, tokenizer.json,
// checkpoints, metrics.jsonl and results.json. If outDir holds a resumable run with the same
// config, it resumes it. Progress goes to progress (nil: silent).
func Train(ctx context.Context, cfg Config, outDir string, progress io.Writer) (*Results, error) {
	if progress == nil {
		progress = io.Discard
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	resuming, done, err := startRun[Config, Results](cfg, outDir, "train", progress)
	if err != nil || done != nil {
		return done, err
	}

	// Data: the tokenizer is trained on the training split only (or reloaded when resuming).
	data, err := cfg.Data.load(ctx, false)
	if err != nil {
		return nil, err
	}
	subset(data, cfg)
	if cfg.NoTest {
		data.Test = nil
	}
	// Features are fitted on the training split only (or reloaded when resuming).
	var feat Features
	switch {
	case resuming:
		feat, err = loadFeatures(outDir, cfg)
	case cfg.Init != "":
		// Fine-tuning: the pretrained encoder's tokenizer (trained on the training split's
		// and the unlabeled reviews' text, never validation or test).
		if err := cfg.checkInit(); err != nil {
			return nil, err
		}
		feat, err = tokenize.Load(filepath.Join(cfg.Init, TokenizerFile))
	default:
		feat, err = fitFeatures(data, cfg)
	}
	if err != nil {
		return nil, err
	}
	prep := Encode(data, feat)
	fmt.Fprintf(progress, "data: %d train / %d validation / %d test reviews; %s\n",
		len(prep.Train), len(prep.Validation), len(prep.Test), describeFeatures(feat))
	if !resuming {
		if err := writeRunStart(outDir, feat, featuresFile(cfg), cfg); err != nil {
			return nil, err
		}
	}

	trainDS, err := batch.New("train", prep.Train, imdb.Labels(data.Train), batchOptions(cfg, true))
	if err != nil {
		return nil, err
	}
	stepsPerEpoch := len(trainDS.Plan(0))
	totalSteps := stepsPerEpoch * cfg.Epochs
	backend, err := compute.New()
	if err != nil {
		return nil, fmt.Errorf("train: no GoMLX backend: %w", err)
	}
	if cfg.Loss.ClassBeta > 0 && cfg.Loss.NegativeCount == 0 {
		cfg.Loss.NegativeCount, cfg.Loss.PositiveCount = imdb.CountLabels(data.Train)
	}
	trainer, store, err := newTrainer(backend, cfg, feat.VocabSize(), totalSteps)
	if err != nil {
		return nil, err
	}
	if v, ok := feat.(*ngrams.Vocabulary); ok {
		if err := setNBRatios(store, v); err != nil {
			return nil, err
		}
	}
	predictor := &Predictor{cfg: cfg, feat: feat, store: store, backend: backend, temperature: 1}
	if err := predictor.compile(); err != nil {
		return nil, err
	}

	st := trainState{BestScore: math.Inf(-1)}
	if cfg.Init != "" && !resuming {
		if err := LoadCheckpoint(store, filepath.Join(cfg.Init, EncoderCheckpoint)); err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "initialised the encoder from %s\n", filepath.Join(cfg.Init, EncoderCheckpoint))
		if cfg.InitScale > 0 && cfg.InitScale < 1 {
			n, err := ScaleResidualStream(store, cfg.InitScale)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(progress, "scaled the encoder's residual stream by %g (%d variables)\n", cfg.InitScale, n)
		}
	}
	if resuming {
		if err := LoadCheckpoint(store, filepath.Join(outDir, LastCheckpoint)); err != nil {
			return nil, err
		}
		if err := readJSON(filepath.Join(outDir, StateFile), &st); err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "resuming at step %d (epoch %d, batch %d)\n", st.Step, st.Epoch+1, st.BatchInEpoch)
	}
	trainDS.SetPosition(st.Epoch, st.BatchInEpoch)
	logLine, closeLog, err := openMetricsLog(outDir)
	if err != nil {
		return nil, err
	}
	defer closeLog()

	start := time.Now().Add(-time.Duration(st.Seconds * float64(time.Second)))
	valLabels := imdb.Labels(data.Validation)
	stopped := false
	// evaluate runs validation, logs it, saves the best and the last checkpoints.
	evaluate := func(epochDone bool) error {
		// A fresh inference executor per evaluation: a cached one was seen returning the values of
		// its first run after the trainer had updated the weights (GoMLX v0.28.16, go backend).
		if err := predictor.compile(); err != nil {
			return err
		}
		probs, err := predictor.probabilities(ctx, prep.Validation)
		if err != nil {
			return err
		}
		m, err := metrics.Compute(probs, valLabels)
		if err != nil {
			return err
		}
		score := selectScore(m, cfg.SelectMetric)
		improved := score > st.BestScore
		if improved {
			st.BestScore, st.BestStep, st.BadEvals = score, st.Step, 0
			if err := SaveCheckpoint(store, filepath.Join(outDir, BestCheckpoint)); err != nil {
				return err
			}
		} else {
			st.BadEvals++
		}
		st.Seconds = time.Since(start).Seconds()
		// The epoch this evaluation belongs to: the one just completed, or the one in progress.
		epoch := st.Epoch + 1
		if epochDone {
			epoch = st.Epoch
		}
		logLine(map[string]any{"type": "validation", "step": st.Step, "epoch": epoch, "seconds": st.Seconds,
			"validation": m, "best": improved})
		fmt.Fprintf(progress, "\nstep %d (epoch %d): validation accuracy %.4f f1 %.4f auc %.4f nll %.4f%s\n",
			st.Step, epoch, m.Accuracy, m.F1, m.ROCAUC, m.NLL, map[bool]string{true: "  (best)"}[improved])
		if err := SaveCheckpoint(store, filepath.Join(outDir, LastCheckpoint)); err != nil {
			return err
		}
		if err := writeJSON(filepath.Join(outDir, StateFile), st); err != nil {
			return err
		}
		if cfg.Patience > 0 && st.BadEvals >= cfg.Patience {
			fmt.Fprintf(progress, "early stopping: %s did not improve for %d evaluations\n", cfg.SelectMetric, st.BadEvals)
			stopped = true
		}
		return nil
	}

	var emaLoss float64
	for st.Epoch < cfg.Epochs && !stopped {
		for b, err := range trainDS.Iter() {
			if err != nil {
				return nil, err
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("train: interrupted at step %d; rerun the same command to resume from the last checkpoint (step %d)", st.Step, lastSavedStep(outDir))
			}
			out, err := trainer.TrainStep(b)
			if err != nil {
				return nil, fmt.Errorf("train: step %d: %w", st.Step+1, err)
			}
			lossValue := float64(tensors.MustCopyFlatData[float32](out[0])[0])
			st.Step++
			st.BatchInEpoch = trainDS.Position()
			if math.IsNaN(lossValue) || math.IsInf(lossValue, 0) {
				return nil, fmt.Errorf("train: the loss became %v at step %d: stopping; the last good checkpoint is %s (step %d). Lower --learning-rate or check the loss settings",
					lossValue, st.Step, filepath.Join(outDir, LastCheckpoint), lastSavedStep(outDir))
			}
			if emaLoss == 0 {
				emaLoss = lossValue
			}
			emaLoss = 0.98*emaLoss + 0.02*lossValue
			if st.Step%10 == 0 || st.Step == 1 {
				elapsed := time.Since(start).Seconds()
				fmt.Fprintf(progress, "\r%s loss %.4f  step %d/%d  epoch %d/%d  %.1f steps/s   ",
					bar(st.Step, totalSteps), emaLoss, st.Step, totalSteps, st.Epoch+1, cfg.Epochs, float64(st.Step)/max(elapsed, 1e-9))
				logLine(map[string]any{"type": "train", "step": st.Step, "epoch": st.Epoch + 1, "loss": lossValue, "loss_ema": emaLoss, "seconds": elapsed})
			}
			if cfg.EvalEverySteps > 0 && st.Step%cfg.EvalEverySteps == 0 && trainDS.Position() < stepsPerEpoch {
				if err := evaluate(false); err != nil {
					return nil, err
				}
				if stopped {
					break
				}
			}
		}
		if stopped {
			break
		}
		st.Epoch, st.BatchInEpoch = trainDS.Epoch(), 0
		if err := evaluate(true); err != nil {
			return nil, err
		}
	}
	trainSeconds := time.Since(start).Seconds()

	// Test metrics, once, with the best checkpoint.
	if err := LoadCheckpoint(store, filepath.Join(outDir, BestCheckpoint)); err != nil {
		return nil, err
	}
	if err := predictor.compile(); err != nil {
		return nil, err
	}
	res := &Results{Preset: cfg.Preset, Seed: cfg.Seed, Quick: cfg.Quick, Config: cfg, TrainSeconds: trainSeconds,
		Steps: st.Step, BestStep: st.BestStep, Backend: backend.Name(), SIMD: SIMDEnabled}
	saved := RunLogits{BestStep: st.BestStep}
	for _, sp := range []struct {
		ids     [][]int32
		reviews []imdb.Review
		logits  *SplitLogits
		dst     *metrics.Metrics
	}{{prep.Validation, data.Validation, &saved.Validation, &res.Validation}, {prep.Test, data.Test, &saved.Test, &res.Test}} {
		if len(sp.reviews) == 0 { // no_test
			continue
		}
		logits, err := predictor.logits(ctx, sp.ids)
		if err != nil {
			return nil, err
		}
		*sp.logits = splitLogits(logits, sp.reviews)
		if *sp.dst, err = metrics.Compute(sigmoids(logits, 1), sp.logits.Labels); err != nil {
			return nil, err
		}
	}
	if b, err := json.Marshal(saved); err != nil { // compact: 27,500 numbers
		return nil, err
	} else if err := tokenize.WriteFileAtomic(filepath.Join(outDir, LogitsFile), b); err != nil {
		return nil, err
	}
	if cfg.NoTest {
		fmt.Fprintf(progress, "test: not read (no_test); best validation accuracy %.4f at step %d (%.0f s)\n", res.Validation.Accuracy, res.BestStep, trainSeconds)
	} else {
		fmt.Fprintf(progress, "test: accuracy %.4f f1 %.4f auc %.4f (best validation step %d, %.0f s)\n",
			res.Test.Accuracy, res.Test.F1, res.Test.ROCAUC, res.BestStep, trainSeconds)
	}
	if err := writeJSON(filepath.Join(outDir, ResultsFile), res); err != nil {
		return nil, err
	}
	return res, nil
}

func bar(step, total int) string {
	const width = 20
	n := min(width, step*width/max(total, 1))
	b := []byte("[")
	for i := range width {
		if i < n {
			b = append(b, '=')
		} else {
			b = append(b, ' ')
		}
	}
	return string(append(b, ']'))
}

// selectScore is the model-selection score of validation metrics: higher is better.
func selectScore(m metrics.Metrics, name string) float64 {
	if name == "nll" {
		return -m.NLL
	}
	return metricValue(m, name)
}

// subset applies PositiveFraction, MaxTrainReviews and MaxEvalReviews (the splits are already
// shuffled).
func subset(d *imdb.Data, cfg Config) {
	if f := cfg.PositiveFraction; f > 0 && f < 1 {
		_, pos := imdb.CountLabels(d.Train)
		keep := int(math.Round(f * float64(pos)))
		kept := d.Train[:0:0]
		for _, r := range d.Train {
			if r.Label == 1 {
				if keep == 0 {
					continue
				}
				keep--
			}
			kept = append(kept, r)
		}
		d.Train = kept
	}
	if cfg.MaxTrainReviews > 0 && len(d.Train) > cfg.MaxTrainReviews {
		d.Train = d.Train[:cfg.MaxTrainReviews]
	}
	if cfg.MaxEvalReviews > 0 {
		if len(d.Validation) > cfg.MaxEvalReviews {
			d.Validation = d.Validation[:cfg.MaxEvalReviews]
		}
		if len(d.Test) > cfg.MaxEvalReviews {
			// The test split is ordered by label: take an even sample, seeded by the data split
			// seed (not the run's seed) so that runs of several seeds share one test set.
			_, d.Test, _ = imdb.StratifiedSplit(d.Test, float64(cfg.MaxEvalReviews)/float64(len(d.Test)), cfg.Data.SplitSeed)
		}
	}
}

func batchOptions(cfg Config, training bool) batch.Options {
	return batch.Options{BatchSize: cfg.BatchSize, Truncation: batch.Truncation{MaxLen: cfg.MaxLen, Head: cfg.HeadTokens},
		Buckets:    batch.Buckets(cfg.MaxLen, cmp.Or(cfg.LengthBuckets, 4)),
		PrependCLS: cfg.Pooling == "cls", Shuffle: training, Seed: cfg.Seed, DropRemainder: training}
}

// writeRunStart writes what a new run (cfg: a Config or a PretrainConfig) starts from: its
// features (as file) and config.json; metrics.jsonl starts afresh.
func writeRunStart(outDir string, feat Features, file string, cfg any) error {
	if err := feat.Save(filepath.Join(outDir, file)); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(outDir, ConfigFile), cfg); err != nil {
		return err
	}
	os.Remove(filepath.Join(outDir, MetricsFile))
	return nil
}

// startRun prepares outDir for a run of cfg (a Config or a PretrainConfig): it creates it,
// checks that it is writable, and reports whether it holds a resumable run of the same
// configuration (another configuration is an error; what names the command), and, when that
// run has finished, its results (R: Results or PretrainResults).
func startRun[C, R any](cfg C, outDir, what string, progress io.Writer) (resuming bool, done *R, err error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return false, nil, fmt.Errorf("%s: cannot create the output directory: %w", what, err)
	}
	if err := checkWritable(outDir); err != nil {
		return false, nil, err
	}
	if _, err := os.Stat(filepath.Join(outDir, StateFile)); err != nil {
		return false, nil, nil
	}
	var saved C
	if err := readJSON(filepath.Join(outDir, ConfigFile), &saved); err != nil {
		return false, nil, err
	}
	a, _ := json.Marshal(saved)
	b, _ := json.Marshal(cfg)
	if string(a) != string(b) {
		return false, nil, fmt.Errorf("%s: %s holds a run with another configuration; use a new --out directory (or delete it)", what, outDir)
	}
	// A finished run of the same configuration: its results instead of a second run.
	var res R
	if readJSON(filepath.Join(outDir, ResultsFile), &res) == nil {
		fmt.Fprintf(progress, "already %sed: %s (use another output directory, or delete it, to %s again)\n", what, filepath.Join(outDir, ResultsFile), what)
		return true, &res, nil
	}
	return true, nil, nil
}

// openMetricsLog opens DIR/metrics.jsonl for appending; logLine writes one JSON line.
func openMetricsLog(outDir string) (logLine func(v any), closeLog func() error, err error) {
	f, err := os.OpenFile(filepath.Join(outDir, MetricsFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics log: %w", err)
	}
	return func(v any) {
		b, _ := json.Marshal(v)
		f.Write(append(b, '\n'))
	}, f.Close, nil
}

func lastSavedStep(outDir string) int {
	var st trainState
	if readJSON(filepath.Join(outDir, StateFile), &st) != nil {
		return 0
	}
	return st.Step
}

func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("train: the output directory %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return tokenize.WriteFileAtomic(path, append(b, '\n'))
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
