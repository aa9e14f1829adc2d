package sentimentlib

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/jsonfield"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/trainloop"
)

// PretrainConfig is everything a pretraining run depends on; it is saved as config.json of the
// run. The embedded parts' fields sit at the top level of config.json, as in Config.
type PretrainConfig struct {
	RunConfig
	// Architecture is the kind of pretraining: empty or transformer (the transformer's encoder,
	// with the masked language model and the losses below: pretrain_mlm.go), or regions (the
	// region CNN's tv-embedding, see RegionPretraining: pretrain_tv.go).
	Architecture string     `json:"architecture,omitempty"`
	Data         DataConfig `json:"data"` // the vocabulary size is the pretrained tokenizer's
	// Text: the training split's reviews (validation carved out as in Train: the same split
	// seed and fraction) and the unlabeled ones; never validation or test text. HeldOut
	// unlabeled reviews are kept apart to measure the MLM loss and masked-token accuracy.
	MaxReviews int `json:"max_reviews,omitempty"` // 0: all
	HeldOut    int `json:"held_out"`
	// Refit adds the validation reviews to the text (and to the vocabulary's): the pretraining
	// of a refit classifier (Config.Refit), which trains on them too. A classifier that chooses
	// on validation refuses such a pretraining.
	Refit bool `json:"refit,omitempty"`

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

// PretrainPresets lists the pretraining presets.
func PretrainPresets() []string { return slices.Sorted(maps.Keys(pretrainPresets)) }

// PretrainPreset returns a named pretraining preset; quick shrinks it to a minute on 2 cores.
func PretrainPreset(name string, quick bool) (PretrainConfig, error) {
	c, err := named(pretrainPresets, "pretraining preset", name)
	if err != nil {
		return c, err
	}
	c.Preset, c.Seed, c.Quick = name, 1, quick
	if quick {
		c.MaxReviews, c.HeldOut, c.Data.VocabSize = 6000, 200, 8000
		c.Dim, c.FFNDim, c.MaxLen, c.Layers, c.Heads, c.AttentionWindow = 32, 64, 256, 1, 4, 64
		c.Steps, c.WarmupSteps, c.EvalEverySteps = 200, 20, 100
	}
	return c, nil
}

// Validate checks the configuration, with an error naming the field: its kind's own checks.
func (c PretrainConfig) Validate() error {
	if err := finite("pretrain config", c); err != nil {
		return err
	}
	k, ok := pretrainings[c.kind()]
	if !ok {
		return fmt.Errorf("pretrain config: architecture %q: want one of %s", c.Architecture, strings.Join(slices.Sorted(maps.Keys(pretrainings)), ", "))
	}
	return k.validate(c)
}

// Set overrides one field by its JSON name (see Config.Set).
func (c *PretrainConfig) Set(name, value string) error {
	if err := notSettable(name); err != nil {
		return err
	}
	out, err := jsonfield.Set(*c, name, value)
	if err != nil {
		return err
	}
	out.Data.CacheDir, out.Data.Offline = c.Data.CacheDir, c.Data.Offline // not in JSON
	*c = out
	return nil
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

// trainText says which labelled reviews the pretraining text holds.
func (cfg PretrainConfig) trainText() string {
	if cfg.Refit {
		return "the whole train split, validation included: refit"
	}
	return "train split without validation"
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

// A pretraining is one kind of pretraining (PretrainConfig's architecture: the transformer's
// encoder, or the region CNN's tv-embedding), registered from a file of its own (pretrain_*.go)
// with its presets; the architecture it feeds names it (architecture.pretraining).
type pretraining struct {
	name     string
	validate func(c PretrainConfig) error
	// run pretrains in the opened run directory (resuming: from its last checkpoint).
	run func(ctx context.Context, cfg PretrainConfig, outDir string, resuming bool, progress io.Writer) (*PretrainResults, error)
	// finetune is the classifier preset that fine-tunes the result (train --preset P --init);
	// heldOut says its held-out metrics in a few words.
	finetune string
	heldOut  func(m MLMMetrics) string
}

// pretrainings by name and the pretraining presets, filled by registerPretraining.
var (
	pretrainings    = map[string]*pretraining{}
	pretrainPresets = map[string]PretrainConfig{}
)

func registerPretraining(k *pretraining, presets map[string]PretrainConfig) {
	pretrainings[k.name] = k
	maps.Copy(pretrainPresets, presets)
}

// FineTunePreset is the classifier preset that fine-tunes what c pretrains
// (train --preset P --init DIR); empty for a configuration Validate refuses.
func (c PretrainConfig) FineTunePreset() string {
	if k, ok := pretrainings[c.kind()]; ok {
		return k.finetune
	}
	return ""
}

// Summary says the run's held-out metrics in a few words.
func (r *PretrainResults) Summary() string {
	if k, ok := pretrainings[r.Config.kind()]; ok {
		return k.heldOut(r.HeldOut)
	}
	return fmt.Sprintf("held-out %+v", r.HeldOut)
}

// kind is the name of the configuration's pretraining ("" is the transformer's).
func (c PretrainConfig) kind() string { return cmp.Or(c.Architecture, transformerName) }

// Pretrain pretrains into outDir as cfg says (the transformer's encoder: masked language model
// and the document or contrastive losses cfg adds; or the region CNN's tv-embedding):
// config.json, the features (tokenizer.json or words.json), last.ckpt (resume: rerun with the
// same configuration), metrics.jsonl (training loss; held-out losses every eval_every_steps),
// and at the end encoder.ckpt and results.json. A finished run returns its results.
func Pretrain(ctx context.Context, cfg PretrainConfig, outDir string, progress io.Writer) (*PretrainResults, error) {
	progress = cmp.Or[io.Writer](progress, io.Discard)
	return rundir.Run(cfg, outDir, "pretrain", progress, func(resuming bool) (*PretrainResults, error) {
		return pretrainings[cfg.kind()].run(ctx, cfg, outDir, resuming, progress)
	})
}

// pretrainingText reads the pretraining text and the held-out reviews (pretrainTexts) and the
// features: reloaded from outDir's file when resuming, else fitted by fit and written with
// config.json.
func pretrainingText(ctx context.Context, cfg PretrainConfig, outDir string, resuming bool, kind *featureKind,
	fit func(data *imdb.Data, texts []string) (Features, error)) (feat Features, texts, heldOut []string, err error) {
	data, err := cfg.Data.load(ctx, true)
	if err != nil {
		return nil, nil, nil, err
	}
	if cfg.Refit {
		refitSplit(data)
	}
	if texts, heldOut, err = pretrainTexts(data, cfg); err != nil {
		return nil, nil, nil, err
	}
	if resuming {
		feat, err = kind.load(filepath.Join(outDir, kind.file), Config{})
		return feat, texts, heldOut, err
	}
	if feat, err = fit(data, texts); err != nil {
		return nil, nil, nil, err
	}
	return feat, texts, heldOut, writeRunStart(outDir, feat, kind.file, cfg)
}

// pretrainBatches are the batches of the training text (shuffled, full batches only) and of
// the held-out text (in order, all of it).
func pretrainBatches(seqs, held [][]int32, opts batch.Options) (train, heldOut *batch.Dataset, err error) {
	opts.Shuffle, opts.DropRemainder = true, true
	if train, err = batch.New("pretrain", seqs, make([]int, len(seqs)), opts); err != nil {
		return nil, nil, err
	}
	opts.Shuffle, opts.DropRemainder = false, false
	heldOut, err = batch.New("held-out", held, make([]int, len(held)), opts)
	return train, heldOut, err
}

// pretrainRun is one pretraining as its kind built it, for finish to run.
type pretrainRun struct {
	loop *trainloop.Run
	eval *heldOut
	sync func() error // puts the weights of a trainer outside GoMLX into the store (nil: none)
	seqs [][]int32    // the training pieces or reviews (results.json's sequences and tokens)
	// keep reports the variables encoder.ckpt holds, which saved names in the last line.
	keep  func(path string) bool
	saved string
}

// finish runs the loop (resuming when asked), saves encoder.ckpt and writes results.json.
func (r *pretrainRun) finish(ctx context.Context, cfg PretrainConfig, resuming bool, progress io.Writer) (*PretrainResults, error) {
	r.loop.Evaluate = r.eval.evaluate
	if r.sync != nil {
		r.loop.Evaluate = func(st *rundir.State, epochDone bool) (bool, error) {
			if err := r.sync(); err != nil {
				return false, err
			}
			return r.eval.evaluate(st, epochDone)
		}
	}
	var st rundir.State
	if err := r.loop.Train(ctx, &st, resuming, nil); err != nil {
		return nil, err
	}
	if err := rundir.SaveCheckpointFiltered(r.loop.Store, filepath.Join(r.loop.Dir, EncoderCheckpoint), r.keep, nil); err != nil {
		return nil, err
	}
	res := &PretrainResults{Preset: cfg.Preset, Seed: cfg.Seed, Config: cfg, Steps: st.Step, TrainSeconds: st.Seconds,
		Sequences: len(r.seqs), Tokens: countTokens(r.seqs), HeldOut: r.eval.last, Backend: r.eval.backend.Name()}
	if err := rundir.WriteJSON(filepath.Join(r.loop.Dir, ResultsFile), res); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "pretrained %d steps in %.0f s: held-out %s; %s in %s\n", st.Step, st.Seconds, r.eval.text, r.saved, filepath.Join(r.loop.Dir, EncoderCheckpoint))
	return res, nil
}

// countTokens is the number of ids in seqs.
func countTokens(seqs [][]int32) int {
	n := 0
	for _, s := range seqs {
		n += len(s)
	}
	return n
}

// heldOut is a pretraining's evaluator: its held-out losses on batches made once (the same
// masking or regions at every evaluation), by a fresh executor each time (see
// Predictor.Sync), logged and printed. The graph returns sums over a batch, which add up over
// batches; report turns their totals into the metrics and the progress line's words.
type heldOut struct {
	run      *trainloop.Run
	backend  compute.Backend
	batches  func() [][]*tensors.Tensor // the inputs of each batch, made at the first evaluation
	graph    func(scope *model.Scope, inputs []*Node) []*Node
	report   func(sums []float64) (MLMMetrics, string)
	progress io.Writer

	inputs [][]*tensors.Tensor
	last   MLMMetrics // of the last evaluation
	text   string
}

func (h *heldOut) evaluate(st *rundir.State, _ bool) (bool, error) {
	if h.inputs == nil {
		h.inputs = h.batches()
	}
	exec, err := model.NewExec(h.backend, h.run.Store, h.graph)
	if err != nil {
		return false, err
	}
	var sums []float64
	for _, in := range h.inputs {
		args := make([]any, len(in))
		for i, t := range in {
			args[i] = t
		}
		out, err := exec.Exec(args...)
		if err != nil {
			return false, fmt.Errorf("pretrain: evaluation: %w", err)
		}
		if sums == nil {
			sums = make([]float64, len(out))
		}
		for i := range out {
			sums[i] += float64(tensors.MustCopyFlatData[float32](out[i])[0])
		}
	}
	h.last, h.text = h.report(sums)
	h.run.Log(map[string]any{"type": "validation", "step": st.Step, "seconds": st.Seconds, "held_out": h.last})
	fmt.Fprintf(h.progress, "\nstep %d: held-out %s\n", st.Step, h.text)
	return false, nil
}
