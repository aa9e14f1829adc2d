package sentimentlib

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/trainloop"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/optim"
	"github.com/sentiment-go/sentiment/sentimentlib/sparse"
	"github.com/sentiment-go/sentiment/sentimentlib/tvsample"
	"github.com/sentiment-go/sentiment/sentimentlib/words"
)

// RegionPretraining is how the tv-embedding's pretraining samples its training examples
// (Johnson & Zhang 2015b, unsup-tv): Regions regions of tv_region words a review per batch,
// each trained to score the words of the tv_region words on its left and on its right (kept
// apart; stop words and words outside the vocabulary left out) towards 1, and Negatives words
// for each of those, drawn by frequency among the pretraining text's target words, towards 0
// with weight NegativeWeight.
type RegionPretraining struct {
	Regions        int     `json:"regions"`
	Negatives      int     `json:"negatives"`
	NegativeWeight float64 `json:"negative_weight"`
	// Optimizer is "" (AdamW on the GoMLX graph, updating the whole tables at every step),
	// "sparse-sgd": minibatch SGD over only the rows a batch reads (package sparse), on the same
	// loss, with learning_rate's own scale (SGD's step is the gradient times it), or
	// "sparse-adam": lazy Adam over the rows a batch reads (AdamW's learning rates; the rows a
	// batch does not read, and their moments, wait). The sparse ones clip nothing (clip_norm
	// does not apply to them) and have no weight decay (weight_decay must be 0).
	Optimizer string `json:"optimizer,omitempty"`
	// Momentum, in [0, 1), makes sparse-sgd heavy-ball SGD (v = momentum v + g, w -= lr v; the
	// paper's 0.9), its velocities applied lazily to the rows a step does not read (package
	// sparse) and saved in last.ckpt. 0: plain SGD. With momentum mu, a learning rate moves the
	// weights about as far as 1/(1-mu) times it does without.
	Momentum float64 `json:"momentum,omitempty"`
}

// RegionPretraining.Optimizer's sparse choices.
const (
	sparseSGD  = "sparse-sgd"
	sparseAdam = "sparse-adam"
)

// tvPretraining is the name of the tv-embedding's pretraining (PretrainConfig's architecture).
const tvPretraining = "regions"

func init() {
	// The tv-embedding of Johnson & Zhang 2015b for IMDB: regions of 5 words, 100 wide, the
	// 30,000 most frequent training words; 16 reviews of 128 regions a step, trained by lazy
	// Adam over the rows each step reads (docs/regions.md: a lower held-out loss than AdamW on
	// the graph, in a quarter of the time).
	registerPretraining(&pretraining{name: tvPretraining, validate: validateTV, run: pretrainTV, finetune: "regions",
		heldOut: func(m MLMMetrics) string { return fmt.Sprintf("held-out region loss %.4f", m.RegionLoss) },
	}, map[string]PretrainConfig{
		"regions": {Architecture: tvPretraining, HeldOut: 1000,
			Regions:           RegionConfig{Vocab: words.DefaultSize, TVRegion: 5, TVDim: 100},
			RegionPretraining: RegionPretraining{Regions: 128, Negatives: 5, NegativeWeight: 0.2, Optimizer: sparseAdam},
			OptimizerConfig:   OptimizerConfig{BatchSize: 16, LearningRate: 0.01, WarmupSteps: 200, ClipNorm: 1, EvalEverySteps: 2000},
			Steps:             20000},
	})
}

// validateTV checks a configuration of the tv-embedding's pretraining.
func validateTV(c PretrainConfig) error {
	r, s := c.Regions, c.RegionPretraining
	switch {
	case r.Vocab < 1:
		return fmt.Errorf("pretrain config: regions.vocab %d must be >= 1 (for example 30000)", r.Vocab)
	case r.TVRegion < 1 || r.TVRegion > 20:
		return fmt.Errorf("pretrain config: regions.tv_region %d out of range [1, 20] (for example 5)", r.TVRegion)
	case r.TVDim < 1 || r.TVDim > 2000:
		return fmt.Errorf("pretrain config: regions.tv_dim %d out of range [1, 2000] (for example 100)", r.TVDim)
	case s.Regions < 1 || s.Negatives < 0 || s.NegativeWeight < 0:
		return fmt.Errorf("pretrain config: region_pretraining %+v: regions >= 1, negatives and negative_weight >= 0", s)
	case c.BatchSize < 1 || c.Steps < 1 || c.HeldOut < 1 || c.EvalEverySteps < 0:
		return fmt.Errorf("pretrain config: batch_size %d, steps %d and held_out %d must be >= 1", c.BatchSize, c.Steps, c.HeldOut)
	case s.Optimizer != "" && s.Optimizer != sparseSGD && s.Optimizer != sparseAdam:
		return fmt.Errorf("pretrain config: region_pretraining.optimizer %q: want %q, %q or leave it out (AdamW)", s.Optimizer, sparseSGD, sparseAdam)
	case s.Optimizer != sparseSGD && (c.LearningRate <= 0 || c.LearningRate > 1):
		return fmt.Errorf("pretrain config: learning_rate %g out of range (0, 1]", c.LearningRate)
	case s.Momentum < 0 || s.Momentum >= 1:
		return fmt.Errorf("pretrain config: region_pretraining.momentum %g out of range [0, 1) (for example 0.9)", s.Momentum)
	case s.Momentum != 0 && s.Optimizer != sparseSGD:
		return fmt.Errorf("pretrain config: region_pretraining.momentum %g applies to optimizer %q only (AdamW has its own moments): set region_pretraining.optimizer=%s or leave momentum out", s.Momentum, sparseSGD, sparseSGD)
	case s.Optimizer != "" && c.WeightDecay != 0:
		return fmt.Errorf("pretrain config: weight_decay %g: %s has no weight decay (set it to 0)", c.WeightDecay, s.Optimizer)
	case s.Optimizer == sparseSGD && (c.LearningRate <= 0 || c.LearningRate > 10_000):
		return fmt.Errorf("pretrain config: learning_rate %g out of range (0, 10000] for sparse-sgd", c.LearningRate)
	}
	return nil
}

// regionConfig is the classifier configuration that builds the pretraining's store and
// learning-rate schedule.
func (c PretrainConfig) regionConfig() Config {
	return Config{RunConfig: c.RunConfig, Data: c.Data, Architecture: regionCNNName, Regions: c.Regions,
		OptimizerConfig: c.OptimizerConfig, Epochs: 1, SelectMetric: "accuracy"}
}

// pretrainTV pretrains the tv-embedding (see Pretrain): the word vocabulary is fitted on the
// training split, the pretraining text is the training split and the unlabeled reviews (never
// validation or test), and encoder.ckpt holds the tv-embedding alone (model.TVScope).
func pretrainTV(ctx context.Context, cfg PretrainConfig, outDir string, resuming bool, progress io.Writer) (*PretrainResults, error) {
	vocab, docs, held, err := regionData(ctx, cfg, outDir, resuming, progress)
	if err != nil {
		return nil, err
	}
	trainDS, heldDS, err := pretrainBatches(docs, held, batch.Options{BatchSize: cfg.BatchSize, Truncation: batch.Truncation{MaxLen: 2048, Head: 1024},
		Buckets: []int{2048}, Seed: cfg.Seed})
	if err != nil {
		return nil, err
	}
	r := cfg.RegionPretraining
	sampler := tvsample.New(tvsample.Options{Region: cfg.Regions.TVRegion, Regions: r.Regions, Negatives: r.Negatives, NegativeWeight: r.NegativeWeight}, vocab, docs)
	backend, err := newBackend("pretrain")
	if err != nil {
		return nil, err
	}
	rc := cfg.regionConfig()
	store := newStore(rc, vocab.VocabSize(), cfg.Steps)
	modelFn := func(scope *model.Scope, regions, targets *Node) *Node {
		addSchedule(scope, regions.Graph(), rc)
		return smodel.RegionEmbedding(scope.In("model"), regions, targets)
	}
	lossFn := func(labels, predictions []*Node) *Node {
		return loss.RegionTargets(predictions[0], labels[0], labels[1])
	}
	draw := func(p batch.Planned, step int) *tvsample.Batch {
		return sampler.Batch(rand.New(rand.NewPCG(cfg.Seed, uint64(step)+1)), trainDS.Tokens(p), cfg.BatchSize)
	}
	run := &trainloop.Run{Name: "pretrain", Dir: outDir, Store: store, Batches: trainDS, Steps: cfg.Steps,
		EvalEvery: cfg.EvalEverySteps, LossName: "region loss", Progress: progress}
	var sync func() error
	if r.Optimizer != "" {
		var sp *sparseTV
		if sp, err = newSparseTV(cfg, store, vocab.VocabSize()); err != nil {
			return nil, err
		}
		run.Step, sync = func(p batch.Planned, step int) (float64, error) { return sp.step(draw(p, step), step) }, sp.sync
	} else {
		run.Trainer = train.NewTrainer(backend, store, modelFn, lossFn, optim.New(store, cfg.ClipNorm, nil), nil, nil)
		run.Make = func(p batch.Planned, step int) train.Batch { return draw(p, step).Train() }
	}
	eval := &heldOut{run: run, backend: backend, progress: progress,
		batches: func() (out [][]*tensors.Tensor) {
			for i, planned := range heldDS.Plan(0) {
				b := sampler.Batch(rand.New(rand.NewPCG(0xe7a1, uint64(i))), heldDS.Tokens(planned), cfg.BatchSize).Train()
				out = append(out, append(b.Inputs, b.Labels...))
			}
			return out
		},
		// The loss times the rows, and the rows: a mean over all held-out regions.
		graph: func(scope *model.Scope, in []*Node) []*Node {
			rows := in[0].Shape().Dimensions[0]
			l := loss.RegionTargets(smodel.RegionEmbedding(scope.In("model"), in[0], in[1]), in[2], in[3])
			return []*Node{MulScalar(l, float64(rows)), Scalar(in[0].Graph(), smodel.DType, rows)}
		},
		report: func(sums []float64) (MLMMetrics, string) {
			m := MLMMetrics{RegionLoss: sums[0] / max(sums[1], 1)}
			return m, fmt.Sprintf("region loss %.4f", m.RegionLoss)
		}}
	return (&pretrainRun{loop: run, eval: eval, sync: sync, seqs: docs, keep: isTVVariable, saved: "tv-embedding"}).finish(ctx, cfg, resuming, progress)
}

// regionData reads the pretraining text (the training split and the unlabeled reviews, the
// held-out unlabeled reviews apart), fits the word vocabulary on the training split (reloads
// it when resuming) and encodes both; a new run writes the vocabulary and config.json.
func regionData(ctx context.Context, cfg PretrainConfig, outDir string, resuming bool, progress io.Writer) (*words.Vocabulary, [][]int32, [][]int32, error) {
	feat, texts, heldOut, err := pretrainingText(ctx, cfg, outDir, resuming, wordFeatures, func(data *imdb.Data, _ []string) (Features, error) {
		return words.Fit(imdb.Texts(data.Train), cfg.Regions.Vocab)
	})
	if err != nil {
		return nil, nil, nil, err
	}
	vocab := feat.(*words.Vocabulary)
	docs, held := vocab.EncodeAll(texts), vocab.EncodeAll(heldOut)
	fmt.Fprintf(progress, "pretraining text: %d reviews (%s, unlabeled); held out: %d unlabeled reviews; %d words\n",
		len(texts), cfg.trainText(), len(heldOut), vocab.Len())
	return vocab, docs, held, nil
}

// sparseTV trains the tv-embedding with package sparse: its tables (and, with momentum, their
// velocities) are the store's variables, read from the store at the first step (fresh, or as a
// resume restored them) and written back, flushed, before each evaluation and checkpoint.
type sparseTV struct {
	cfg   PretrainConfig
	store *model.Store
	vocab int
	tv    *sparse.TV
}

// tvPaths are the variables of model.RegionEmbedding, in sparse.TV's order U, B, W, C, and
// velocityPaths and secondPaths the sparse optimizer's state of each, which no model reads:
// momentum's velocities or Adam's first moments (sparse.TV's VU, VB, VW, VC), and Adam's second
// moments (SU, SB, SW, SC).
var (
	tvPaths = []string{"/model/" + smodel.TVScope + "/embeddings/embeddings", "/model/" + smodel.TVScope + "/bias",
		"/model/" + smodel.TVOutputScope + "/weights", "/model/" + smodel.TVOutputScope + "/bias"}
	velocityPaths = []string{"/sparse_momentum/u", "/sparse_momentum/b", "/sparse_momentum/w", "/sparse_momentum/c"}
	secondPaths   = []string{"/sparse_adam/u2", "/sparse_adam/b2", "/sparse_adam/w2", "/sparse_adam/c2"}
)

// newSparseTV creates the tables in the store as model.RegionEmbedding initialises them (the
// vectors normal with deviation 0.01, seeded by the run's seed; the biases zero).
func newSparseTV(cfg PretrainConfig, store *model.Store, vocab int) (*sparseTV, error) {
	dim := cfg.Regions.TVDim
	tv := sparse.NewTV(vocab, dim, rand.New(rand.NewPCG(cfg.Seed, 0x7e5a)))
	dims := [][]int{{vocab, dim}, {dim}, {2 * vocab, dim}, {2 * vocab}}
	for i, x := range [][]float32{tv.U, tv.B, tv.W, tv.C} {
		if _, err := store.CreateVariable(tvPaths[i], tensors.FromFlatDataAndDimensions(x, dims[i]...)); err != nil {
			return nil, fmt.Errorf("pretrain: %w", err)
		}
	}
	sp := &sparseTV{cfg: cfg, store: store, vocab: vocab}
	for i, path := range sp.paths()[len(tvPaths):] { // the optimizer's state, zero
		v, err := store.CreateVariable(path, tensors.FromShape(shapes.Make(smodel.DType, dims[i%4]...)))
		if err != nil {
			return nil, fmt.Errorf("pretrain: %w", err)
		}
		v.Trainable = false
	}
	return sp, nil
}

// step takes the sparse step of the batch at the learning rate of the schedule (linear warmup,
// then cosine decay to a hundredth, like the graph's: optim.Schedule).
func (s *sparseTV) step(b *tvsample.Batch, step int) (float64, error) {
	if s.tv == nil {
		s.tv = &sparse.TV{Vocab: s.vocab, Dim: s.cfg.Regions.TVDim, Momentum: float32(s.cfg.RegionPretraining.Momentum),
			Adam: s.cfg.RegionPretraining.Optimizer == sparseAdam, AdamSteps: step}
		for i, dst := range s.tables() {
			t, err := s.store.GetVariable(s.paths()[i]).Value()
			if err != nil {
				return 0, err
			}
			*dst = tensors.MustCopyFlatData[float32](t)
		}
	}
	return s.tv.Step(b, float32(optim.Schedule(s.cfg.LearningRate, s.cfg.WarmupSteps, s.cfg.Steps, step)), 0)
}

// tables are sparse.TV's tables and its optimizer's state, in the order of paths.
func (s *sparseTV) tables() []*[]float32 {
	all := []*[]float32{&s.tv.U, &s.tv.B, &s.tv.W, &s.tv.C, &s.tv.VU, &s.tv.VB, &s.tv.VW, &s.tv.VC, &s.tv.SU, &s.tv.SB, &s.tv.SW, &s.tv.SC}
	return all[:len(s.paths())]
}

// paths are the store's variables of tables, in its order.
func (s *sparseTV) paths() []string {
	p := slices.Clone(tvPaths)
	r := s.cfg.RegionPretraining
	if r.Momentum != 0 || r.Optimizer == sparseAdam {
		p = append(p, velocityPaths...)
	}
	if r.Optimizer == sparseAdam {
		p = append(p, secondPaths...)
	}
	return p
}

// sync flushes the pending momentum and writes the tables back into the store.
func (s *sparseTV) sync() error {
	if s.tv == nil {
		return nil
	}
	s.tv.Flush(runtime.GOMAXPROCS(0))
	for i, x := range s.tables() {
		v := s.store.GetVariable(s.paths()[i])
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(slices.Clone(*x), v.Shape().Dimensions...)); err != nil {
			return fmt.Errorf("pretrain: %w", err)
		}
	}
	return nil
}
