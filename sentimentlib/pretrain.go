package sentimentlib

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/trainloop"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
	"github.com/sentiment-go/sentiment/sentimentlib/mlm"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// EncoderCheckpoint is the pretrained encoder's weights (no MLM head, no optimizer state), the
// file `train --init DIR` loads.
const EncoderCheckpoint = "encoder.ckpt"

// PretrainConfig is everything a pretraining run depends on; it is saved as config.json of the
// run. The embedded parts' fields sit at the top level of config.json, as in Config.
type PretrainConfig struct {
	RunConfig
	// Architecture is what is pretrained: "" or "transformer" (the transformer encoder, with
	// the masked language model and the losses below), or "regions" (the tv-embedding of the
	// region CNN, see RegionPretraining).
	Architecture string     `json:"architecture,omitempty"`
	Data         DataConfig `json:"data"` // the vocabulary size is the pretrained tokenizer's
	// Text: the training split's reviews (validation carved out as in Train: the same split
	// seed and fraction) and the unlabeled ones; never validation or test text. HeldOut
	// unlabeled reviews are kept apart to measure the MLM loss and masked-token accuracy.
	MaxReviews int `json:"max_reviews,omitempty"` // 0: all
	HeldOut    int `json:"held_out"`

	// The encoder, as in Config (the MLM head is BERT's, with tied embeddings); reviews are cut
	// into pieces of at most max_len tokens.
	EncoderConfig
	Dropout float64 `json:"dropout"`

	MaskRate  float64 `json:"mask_rate"` // BERT: 0.15, with the 80/10/10 rule
	WholeWord bool    `json:"whole_word"`
	// DocumentWeight > 0 adds that times the document loss (model.MaskedLMAndDocument:
	// predicting the piece's masked words from its mean-pooled encoding) to the MLM loss.
	DocumentWeight float64 `json:"document_weight,omitempty"`
	// DocumentPool is what the document vector averages: "states" (the default, the encoder's
	// final states as the classifier pools them) or "embeddings" (the token embeddings, before
	// the transformer, as Doc2VecC does).
	DocumentPool string `json:"document_pool,omitempty"`
	// ContrastiveWeight > 0 adds that times the contrastive loss of the two halves of each
	// piece (model.Pretraining's halves: each half's mean-pooled encoding must pick out its
	// other half among the batch's) to the MLM loss. It needs local attention
	// (attention_window > 0), so the halves never see each other.
	ContrastiveWeight float64 `json:"contrastive_weight,omitempty"`
	// NoMLM drops the MLM loss (and its vocabulary projection, most of a step's cost on a
	// CPU): the contrastive loss alone trains the encoder, on the masked input all the same.
	NoMLM bool `json:"no_mlm,omitempty"`

	OptimizerConfig
	Steps int `json:"steps"`

	// Regions: the tv-embedding's words and shape, and how its pretraining samples.
	Regions           RegionConfig      `json:"regions,omitzero"`
	RegionPretraining RegionPretraining `json:"region_pretraining,omitzero"`
}

// pretrainPresets: "cpu" is the encoder of the default classifier preset (so fine-tuning it
// costs what training the default costs), sized to run in under an hour on 2 CPU cores; its
// vocabulary is 16,000 rather than the classifier's 30,000 because the MLM output layer, one
// row per vocabulary entry at every masked token, costs several times the encoder. "gpu" is the
// 4-layer, 256-wide encoder of the "gpu" classifier preset, for an accelerator, its pieces
// padded to one length (one compiled shape); raise --steps where GPU time allows.
// "cpu-contrastive" is "cpu" trained on the contrastive halves alone (contrastive_weight 1,
// no_mlm): without the vocabulary projection a step costs less, so it runs more of them.
var pretrainPresets = map[string]PretrainConfig{
	"cpu": {EncoderConfig: EncoderConfig{Dim: 64, Layers: 1, Heads: 4, FFNDim: 128, MaxLen: 768, AttentionWindow: 64}, Dropout: 0.1,
		MaskRate: 0.15, WholeWord: true, Steps: 3000, HeldOut: 1000, Data: DataConfig{VocabSize: 16000},
		OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 2e-3, WeightDecay: 0.01, WarmupSteps: 200, ClipNorm: 1, EvalEverySteps: 500}},
	"gpu": {EncoderConfig: EncoderConfig{Dim: 256, Layers: 4, Heads: 8, FFNDim: 1024, MaxLen: 512}, Dropout: 0.1,
		MaskRate: 0.15, WholeWord: true, Steps: 2500, HeldOut: 2000, Data: DataConfig{VocabSize: 30000},
		OptimizerConfig: OptimizerConfig{BatchSize: 64, LearningRate: 1e-3, WeightDecay: 0.01, WarmupSteps: 150, ClipNorm: 1, EvalEverySteps: 1250, LengthBuckets: 1}},
}

func init() {
	c := pretrainPresets["cpu"]
	c.ContrastiveWeight, c.NoMLM, c.Steps = 1, true, 5000
	pretrainPresets["cpu-contrastive"] = c
}

// PretrainPresets lists the pretraining presets.
func PretrainPresets() []string {
	var names []string
	for k := range pretrainPresets {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// PretrainPreset returns a named pretraining preset; quick shrinks it to a minute on 2 cores.
func PretrainPreset(name string, quick bool) (PretrainConfig, error) {
	c, ok := pretrainPresets[name]
	if !ok {
		return PretrainConfig{}, fmt.Errorf("unknown pretraining preset %q: want one of %v", name, PretrainPresets())
	}
	c.Preset, c.Seed, c.Quick = name, 1, quick
	if quick {
		c.MaxReviews, c.HeldOut, c.Data.VocabSize = 6000, 200, 8000
		c.Dim, c.FFNDim, c.MaxLen, c.Layers, c.Heads, c.AttentionWindow = 32, 64, 256, 1, 4, 64
		c.Steps, c.WarmupSteps, c.EvalEverySteps = 200, 20, 100
	}
	return c, nil
}

// Validate checks the configuration, with an error naming the field.
func (c PretrainConfig) Validate() error {
	switch c.Architecture {
	case "regions":
		return c.validateRegions()
	case "", "transformer":
	default:
		return fmt.Errorf("pretrain config: architecture %q: want transformer or regions", c.Architecture)
	}
	cl := c.classifierConfig()
	if err := cl.Validate(); err != nil {
		return fmt.Errorf("pretrain %w", err)
	}
	switch {
	case c.Steps < 1:
		return fmt.Errorf("pretrain config: steps %d must be >= 1", c.Steps)
	case c.HeldOut < 1:
		return fmt.Errorf("pretrain config: held_out %d must be >= 1 (unlabeled reviews to measure the MLM loss on)", c.HeldOut)
	case c.DocumentWeight < 0 || c.DocumentWeight > 100:
		return fmt.Errorf("pretrain config: document_weight %g out of range [0, 100] (0: MLM only)", c.DocumentWeight)
	case c.DocumentPool != "" && c.DocumentPool != "states" && c.DocumentPool != "embeddings":
		return fmt.Errorf("pretrain config: document_pool %q: want \"states\" (the default) or \"embeddings\"", c.DocumentPool)
	case c.DocumentPool != "" && c.DocumentWeight == 0:
		return fmt.Errorf("pretrain config: document_pool %q needs the document loss: set document_weight > 0", c.DocumentPool)
	case c.ContrastiveWeight < 0 || c.ContrastiveWeight > 100:
		return fmt.Errorf("pretrain config: contrastive_weight %g out of range [0, 100] (0: no contrastive loss)", c.ContrastiveWeight)
	case c.ContrastiveWeight > 0 && c.AttentionWindow <= 0:
		return fmt.Errorf("pretrain config: contrastive_weight needs local attention (attention_window > 0), or the two halves of a piece would see each other; use the cpu preset or set attention_window")
	case c.NoMLM && (c.ContrastiveWeight == 0 || c.DocumentWeight > 0):
		return fmt.Errorf("pretrain config: no_mlm trains on the contrastive loss alone: set contrastive_weight > 0 (and document_weight 0)")
	case c.MaskRate <= 0 || c.MaskRate > 0.5:
		return fmt.Errorf("pretrain config: mask_rate %g out of range (0, 0.5]", c.MaskRate)
	}
	return nil
}

// Set overrides one field by its JSON name (see Config.Set).
func (c *PretrainConfig) Set(name, value string) error {
	out, err := setJSONField(*c, name, value)
	if err != nil {
		return err
	}
	out.Data.CacheDir, out.Data.Offline = c.Data.CacheDir, c.Data.Offline // not in JSON
	*c = out
	return nil
}

// classifierConfig is the classifier configuration with this encoder, used to build the store
// (hyperparameters, learning-rate schedule) the same way Train does.
func (c PretrainConfig) classifierConfig() Config {
	return Config{RunConfig: c.RunConfig, Data: c.Data, Architecture: "transformer", EncoderConfig: c.EncoderConfig, Dropout: c.Dropout,
		Pooling: "mean", HeadTokens: c.MaxLen, OptimizerConfig: c.OptimizerConfig, Epochs: 1, SelectMetric: "accuracy"}
}

// PretrainResults is results.json of a pretraining run.
type PretrainResults struct {
	Preset       string         `json:"preset"`
	Seed         uint64         `json:"seed"`
	Config       PretrainConfig `json:"config"`
	Steps        int            `json:"steps"`
	TrainSeconds float64        `json:"train_seconds"`
	Sequences    int            `json:"sequences"` // training pieces of at most max_len tokens
	Tokens       int            `json:"tokens"`    // in those pieces
	HeldOut      MLMMetrics     `json:"held_out"`
	Backend      string         `json:"backend"`
}

// MLMMetrics is the masked-language-model loss (mean cross-entropy per masked token, nats) and
// the share of masked tokens predicted exactly, on held-out text.
type MLMMetrics struct {
	Loss     float64 `json:"mlm_loss"`
	Accuracy float64 `json:"mlm_accuracy"`
	Masked   int     `json:"masked_tokens"`
	// DocumentLoss is the document loss (see PretrainConfig.DocumentWeight) on the same masked
	// tokens, when the run trains it.
	DocumentLoss float64 `json:"document_loss,omitempty"`
	// With the contrastive loss (PretrainConfig.ContrastiveWeight): its held-out value, the
	// share of pieces whose first half ranks its own second half first among the batch's
	// (chance: one in the batch size), and how many pieces took part.
	ContrastiveLoss float64 `json:"contrastive_loss,omitempty"`
	// RegionLoss is the tv-embedding's loss (regions pretraining).
	RegionLoss          float64 `json:"region_loss,omitempty"`
	ContrastiveAccuracy float64 `json:"contrastive_accuracy,omitempty"`
	ContrastivePieces   int     `json:"contrastive_pieces,omitempty"`
}

// pretrainTexts returns the pretraining text, the training split's reviews (validation already
// carved out of it) and the unlabeled ones, and the held-out unlabeled reviews; validation and
// test text never enter either.
func pretrainTexts(data *imdb.Data, cfg PretrainConfig) (texts, heldOut []string, err error) {
	unlabeled := append([]imdb.Review(nil), data.Unsupervised...)
	rand.New(rand.NewPCG(cfg.Seed, 0x11ab)).Shuffle(len(unlabeled), func(i, j int) { unlabeled[i], unlabeled[j] = unlabeled[j], unlabeled[i] })
	if len(unlabeled) <= cfg.HeldOut {
		return nil, nil, fmt.Errorf("pretrain: %d unlabeled reviews, not more than held_out %d: the cache lacks the unsupervised split", len(unlabeled), cfg.HeldOut)
	}
	texts = append(imdb.Texts(data.Train), imdb.Texts(unlabeled[cfg.HeldOut:])...)
	if cfg.MaxReviews > 0 && len(texts) > cfg.MaxReviews {
		rand.New(rand.NewPCG(cfg.Seed, 0x7e47)).Shuffle(len(texts), func(i, j int) { texts[i], texts[j] = texts[j], texts[i] })
		texts = texts[:cfg.MaxReviews]
	}
	return texts, imdb.Texts(unlabeled[:cfg.HeldOut]), nil
}

// pieces cuts encoded reviews into consecutive pieces of at most maxLen tokens, so long reviews
// are used whole; a tail piece under 8 tokens is dropped (short reviews are kept).
func pieces(ids [][]int32, maxLen int) [][]int32 {
	var out [][]int32
	for _, x := range ids {
		for at := 0; at < len(x); at += maxLen {
			piece := x[at:min(at+maxLen, len(x))]
			if len(piece) >= 8 || at == 0 {
				out = append(out, piece)
			}
		}
	}
	return out
}

// newMasker returns the BERT masker for tok.
func newMasker(c PretrainConfig, tok *tokenize.Tokenizer) *mlm.Masker {
	return &mlm.Masker{Rate: c.MaskRate, MaskProb: 0.8, RandomProb: 0.1, WholeWord: c.WholeWord, MaskID: tokenize.MaskID,
		VocabSize: tok.VocabSize(),
		Special:   func(id int32) bool { return id <= tokenize.MaskID },
		Continuation: func(id int32) bool {
			return strings.HasPrefix(tok.Token(id), "##")
		}}
}

func maskedTensors(b *mlm.Batch) []*tensors.Tensor {
	return []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(b.Inputs, b.Rows, b.Len),
		tensors.FromFlatDataAndDimensions(b.Positions, b.Rows, b.Slots),
		tensors.FromFlatDataAndDimensions(b.Targets, b.Rows, b.Slots),
		tensors.FromFlatDataAndDimensions(b.Weights, b.Rows, b.Slots),
	}
}

// Pretrain pretrains the transformer encoder into outDir (masked language model, and the
// document or contrastive losses cfg adds): config.json, tokenizer.json (trained on the
// pretraining text), last.ckpt (resume: rerun with the same configuration), metrics.jsonl
// (training loss; held-out losses every eval_every_steps), and at the end encoder.ckpt and
// results.json. A finished run returns its results.
func Pretrain(ctx context.Context, cfg PretrainConfig, outDir string, progress io.Writer) (_ *PretrainResults, err error) {
	if progress == nil {
		progress = io.Discard
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	created := !rundir.Exists(outDir)
	defer func() {
		if err != nil {
			rundir.Discard(outDir, created)
		}
	}()
	resuming, done, err := rundir.Start[PretrainConfig, PretrainResults](cfg, outDir, "pretrain", progress)
	if err != nil || done != nil {
		return done, err
	}
	if cfg.Architecture == "regions" {
		return pretrainRegions(ctx, cfg, outDir, resuming, progress)
	}
	tok, seqs, held, err := pretrainingData(ctx, cfg, outDir, resuming, progress)
	if err != nil {
		return nil, err
	}
	opts := batch.Options{BatchSize: cfg.BatchSize, Truncation: batch.Truncation{MaxLen: cfg.MaxLen, Head: cfg.MaxLen},
		Buckets: batch.Buckets(cfg.MaxLen, cmp.Or(cfg.LengthBuckets, 8)), Shuffle: true, Seed: cfg.Seed, DropRemainder: true}
	trainDS, err := batch.New("pretrain", seqs, make([]int, len(seqs)), opts)
	if err != nil {
		return nil, err
	}
	opts.Shuffle, opts.DropRemainder = false, false
	heldDS, err := batch.New("held-out", held, make([]int, len(held)), opts)
	if err != nil {
		return nil, err
	}
	backend, err := compute.New()
	if err != nil {
		return nil, fmt.Errorf("pretrain: no GoMLX backend: %w", err)
	}
	masker := newMasker(cfg, tok)
	if err := masker.Validate(); err != nil {
		return nil, err
	}
	trainer, store := newPretrainer(backend, cfg, tok.VocabSize())
	run := &trainloop.Run{Name: "pretrain", Dir: outDir, Store: store, Trainer: trainer, Batches: trainDS, Steps: cfg.Steps,
		EvalEvery: cfg.EvalEverySteps, LossName: pretrainHeads(cfg).name(), Progress: progress,
		Make: func(p batch.Planned, step int) train.Batch {
			in := maskedTensors(masker.MaskBatch(rand.New(rand.NewPCG(cfg.Seed, uint64(step)+1)), trainDS.Tokens(p), cfg.BatchSize, p.Len))
			return train.Batch{Inputs: in[:2], Labels: in[2:], Spec: p.Len}
		}}
	var last MLMMetrics
	run.Evaluate = heldOutEvaluation(cfg, backend, store, run, masker, heldDS, &last, progress)
	st, err := runPretraining(ctx, run, resuming, isEncoderVariable)
	if err != nil {
		return nil, err
	}
	res := &PretrainResults{Preset: cfg.Preset, Seed: cfg.Seed, Config: cfg, Steps: st.Step, TrainSeconds: st.Seconds,
		Sequences: len(seqs), Tokens: countTokens(seqs), HeldOut: last, Backend: backend.Name()}
	if err := rundir.WriteJSON(filepath.Join(outDir, ResultsFile), res); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "pretrained %d steps in %.0f s: held-out %s; encoder in %s\n", st.Step, st.Seconds, last.describe(pretrainHeads(cfg)), filepath.Join(outDir, EncoderCheckpoint))
	return res, nil
}

// runPretraining resumes run when its directory holds one, runs its loop to the end, and saves
// the variables keep accepts, those a classifier takes, as encoder.ckpt.
func runPretraining(ctx context.Context, run *trainloop.Run, resuming bool, keep func(path string) bool) (rundir.State, error) {
	var st rundir.State
	if resuming {
		if err := run.Resume(&st); err != nil {
			return st, err
		}
	}
	if err := run.Loop(ctx, &st); err != nil {
		return st, err
	}
	return st, rundir.SaveCheckpointFiltered(run.Store, filepath.Join(run.Dir, EncoderCheckpoint), keep, nil)
}

// countTokens is the number of ids in seqs.
func countTokens(seqs [][]int32) int {
	n := 0
	for _, s := range seqs {
		n += len(s)
	}
	return n
}

// pretrainingData reads the pretraining text (training split and unlabeled reviews) and the
// held-out unlabeled reviews, trains the tokenizer on the first (reloads it when resuming), and
// cuts both into pieces of at most max_len tokens; a new run writes its tokenizer and config.
func pretrainingData(ctx context.Context, cfg PretrainConfig, outDir string, resuming bool, progress io.Writer) (tok *tokenize.Tokenizer, seqs, held [][]int32, err error) {
	data, err := cfg.Data.load(ctx, true)
	if err != nil {
		return nil, nil, nil, err
	}
	texts, heldOut, err := pretrainTexts(data, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	if resuming {
		tok, err = tokenize.Load(filepath.Join(outDir, TokenizerFile))
	} else {
		tok, err = tokenize.Train(texts, tokenize.TrainOptions{VocabSize: cfg.Data.VocabSize})
	}
	if err != nil {
		return nil, nil, nil, err
	}
	seqs, held = pieces(tok.EncodeAll(texts), cfg.MaxLen), pieces(tok.EncodeAll(heldOut), cfg.MaxLen)
	fmt.Fprintf(progress, "pretraining text: %d reviews (train split without validation, unlabeled) -> %d pieces, %d tokens; held out: %d unlabeled reviews; vocabulary %d\n",
		len(texts), len(seqs), countTokens(seqs), len(heldOut), tok.VocabSize())
	if !resuming {
		err = writeRunStart(outDir, tok, TokenizerFile, cfg)
	}
	return tok, seqs, held, err
}

// heads is what a pretraining run trains, with the weights of the added losses.
type heads struct {
	smodel.PretrainHeads
	documentWeight, contrastiveWeight float64
}

func pretrainHeads(cfg PretrainConfig) heads {
	return heads{smodel.PretrainHeads{MLM: !cfg.NoMLM, Document: cfg.DocumentWeight > 0, Contrastive: cfg.ContrastiveWeight > 0},
		cfg.DocumentWeight, cfg.ContrastiveWeight}
}

// name is the trained loss in the progress line ("MLM + contrastive loss").
func (h heads) name() string {
	var names []string
	for _, n := range []struct {
		on   bool
		name string
	}{{h.MLM, "MLM"}, {h.Document, "document"}, {h.Contrastive, "contrastive"}} {
		if n.on {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, " + ") + " loss"
}

// newPretrainer builds the store of cfg's encoder and the trainer of its pretraining heads:
// the model returns the MLM logits, the document logits and the contrastive loss (a constant
// for those not built), the loss adds the asked-for ones with their weights.
func newPretrainer(backend compute.Backend, cfg PretrainConfig, vocab int) (*train.Trainer, *model.Store) {
	cl := cfg.classifierConfig()
	store := newStore(cl, vocab, cfg.Steps)
	store.SetParams(map[string]any{smodel.ParamDocumentPool: cmp.Or(cfg.DocumentPool, "states")})
	h := pretrainHeads(cfg)
	modelFn := func(scope *model.Scope, tokens, positions *Node) (logits, document, contrastive *Node) {
		g := tokens.Graph()
		if scope.IsTraining(g) {
			addSchedule(scope, g, cl)
		}
		out := smodel.Pretraining(scope.In("model"), tokens, positions, h.PretrainHeads)
		zero := ScalarZero(g, smodel.DType)
		return cmp.Or(out.Logits, zero), cmp.Or(out.Document, zero), cmp.Or(out.Contrastive, zero)
	}
	lossFn := func(labels, predictions []*Node) *Node {
		l := ScalarZero(predictions[0].Graph(), smodel.DType)
		if h.MLM {
			l, _ = loss.MLM(predictions[0], labels[0], labels[1])
		}
		if h.Document {
			l = Add(l, MulScalar(loss.Document(predictions[1], labels[0], labels[1]), h.documentWeight))
		}
		if h.Contrastive {
			l = Add(l, MulScalar(predictions[2], h.contrastiveWeight))
		}
		return l
	}
	return train.NewTrainer(backend, store, modelFn, lossFn, clippedOptimizer{optimizer.FromStore(store), cfg.ClipNorm, nil}, nil, nil), store
}

// heldOutEvaluation measures the held-out losses with a fixed masking (the same corruption at
// every evaluation, made once), logs and prints them, and keeps them in *last.
func heldOutEvaluation(cfg PretrainConfig, backend compute.Backend, store *model.Store, run *trainloop.Run, masker *mlm.Masker,
	held *batch.Dataset, last *MLMMetrics, progress io.Writer) func(*rundir.State, bool) (bool, error) {
	h := pretrainHeads(cfg)
	var batches []*mlm.Batch
	return func(st *rundir.State, _ bool) (bool, error) {
		if batches == nil {
			for i, planned := range held.Plan(0) {
				batches = append(batches, masker.MaskBatch(rand.New(rand.NewPCG(0xe7a1, uint64(i))), held.Tokens(planned), cfg.BatchSize, planned.Len))
			}
		}
		// A fresh executor per evaluation, as in Train (a cached one can see stale weights).
		exec, err := model.NewExec(backend, store, func(scope *model.Scope, tokens, positions, targets, weights *Node) []*Node {
			return heldOutSums(smodel.Pretraining(scope.In("model"), tokens, positions, h.PretrainHeads), h, targets, weights)
		})
		if err != nil {
			return false, err
		}
		var sums [nHeldOutSums]float64
		for _, mb := range batches {
			out, err := exec.Exec(maskedTensors(mb))
			if err != nil {
				return false, fmt.Errorf("pretrain: evaluation: %w", err)
			}
			for i := range sums {
				sums[i] += float64(tensors.MustCopyFlatData[float32](out[i])[0])
			}
		}
		*last = MLMMetrics{Loss: sums[0] / max(sums[2], 1), Accuracy: sums[1] / max(sums[2], 1), Masked: int(sums[2]),
			DocumentLoss: sums[3] / max(sums[2], 1), ContrastiveLoss: sums[4] / max(sums[6], 1),
			ContrastiveAccuracy: sums[5] / max(sums[6], 1), ContrastivePieces: int(sums[6])}
		run.Log(map[string]any{"type": "validation", "step": st.Step, "seconds": st.Seconds, "held_out": *last})
		fmt.Fprintf(progress, "\nstep %d: held-out %s\n", st.Step, last.describe(h))
		return false, nil
	}
}

// nHeldOutSums are heldOutSums' outputs: the MLM loss, masked-token hits and masked tokens,
// the document loss, the contrastive loss, its hits and the pieces it scored, each loss
// weighted by what it averages over, so that they add up over batches.
const nHeldOutSums = 7

func heldOutSums(out smodel.PretrainOutputs, h heads, targets, weights *Node) []*Node {
	g := targets.Graph()
	sums := make([]*Node, nHeldOutSums)
	for i := range sums {
		sums[i] = ScalarZero(g, smodel.DType)
	}
	count := ReduceAllSum(weights)
	weight := Max(count, OnesLike(count))
	if h.MLM {
		l, correct := loss.MLM(out.Logits, targets, weights)
		sums[0], sums[1], sums[2] = Mul(l, weight), correct, count
	}
	if h.Document {
		sums[3] = Mul(loss.Document(out.Document, targets, weights), weight)
	}
	if h.Contrastive {
		sums[4], sums[5], sums[6] = Mul(out.Contrastive, out.ContrastiveCount), out.ContrastiveCorrect, out.ContrastiveCount
	}
	return sums
}

// describe is the held-out metrics of the trained heads, for progress lines.
func (m MLMMetrics) describe(h heads) string {
	var parts []string
	if h.MLM {
		parts = append(parts, fmt.Sprintf("MLM loss %.4f, masked-token accuracy %.4f (%d masked tokens)", m.Loss, m.Accuracy, m.Masked))
	}
	if h.Document {
		parts = append(parts, fmt.Sprintf("document loss %.4f", m.DocumentLoss))
	}
	if h.Contrastive {
		parts = append(parts, fmt.Sprintf("contrastive loss %.4f, halves matched %.4f (%d pieces)", m.ContrastiveLoss, m.ContrastiveAccuracy, m.ContrastivePieces))
	}
	return strings.Join(parts, "; ")
}

// isEncoderVariable reports the variables a fine-tuned classifier takes from pretraining: the
// model's weights, without the MLM head (and without optimizer state or step counters).
func isEncoderVariable(path string) bool {
	return strings.HasPrefix(path, "/model/") && !strings.HasPrefix(path, "/model/"+smodel.MLMHeadScope+"/")
}
