package sentimentlib

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/jsonfield"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
)

// RunConfig names a run: its preset, its seed (weights, dropout and data order) and whether it
// is a --quick run.
type RunConfig struct {
	Preset string `json:"preset"`
	Seed   uint64 `json:"seed"`
	Quick  bool   `json:"quick"`
}

// EncoderConfig is the transformer encoder's shape, shared by the classifier and its
// pretraining: a pretrained encoder fits a classifier with the same EncoderConfig.
type EncoderConfig struct {
	Dim    int `json:"model_dim"`
	Layers int `json:"num_layers"`
	Heads  int `json:"num_heads"`
	FFNDim int `json:"ffn_dim"`
	// MaxLen tokens per review ([CLS] included) or pretraining piece: the positions.
	MaxLen int `json:"max_len"`
	// AttentionWindow > 0: block-local attention over windows of that many tokens (0: global).
	AttentionWindow int `json:"attention_window,omitempty"`
}

// OptimizerConfig is how a run optimises: AdamW, linear warmup then cosine decay, gradient
// clipping by global norm, batches padded to LengthBuckets lengths, and a validation pass every
// EvalEverySteps steps (0: only at the end of each epoch).
type OptimizerConfig struct {
	BatchSize      int     `json:"batch_size"`
	LearningRate   float64 `json:"learning_rate"`
	WeightDecay    float64 `json:"weight_decay"`
	WarmupSteps    int     `json:"warmup_steps"`
	ClipNorm       float64 `json:"clip_norm"`
	EvalEverySteps int     `json:"eval_every_steps"`
	// LengthBuckets: sequences are padded to one of this many lengths (0: 4 for the classifier,
	// 8 for pretraining), each a compiled shape: an accelerator, where compiling costs seconds
	// and padding little, wants few.
	LengthBuckets int `json:"length_buckets,omitempty"`
}

// Config is everything a training run depends on; it is saved as config.json beside the model.
// The embedded parts' fields sit at the top level of config.json.
type Config struct {
	RunConfig
	Data DataConfig `json:"data"`
	// MaxTrainReviews limits the training reviews (0: all); --quick uses it.
	MaxTrainReviews int `json:"max_train_reviews,omitempty"`
	// MaxEvalReviews limits validation and test reviews (0: all); only --quick uses it.
	MaxEvalReviews int `json:"max_eval_reviews,omitempty"`
	// NoTest skips the test split: results.json's test metrics stay empty. For tuning runs, so
	// that choosing settings on validation never shows a test number.
	NoTest bool `json:"no_test,omitempty"`
	// Calibrate fits the calibration on validation at the end of training (as `sentiment
	// calibrate` does: a temperature that depends on the input's length), so that the run
	// answers short and long texts with calibrated probabilities; the nbsvm preset does.
	Calibrate bool `json:"calibrate,omitempty"`
	// Refit trains on the whole training split, the validation reviews included (IMDB's 25,000),
	// for exactly Epochs epochs, and keeps the last step: there is no validation to choose a
	// step, to stop early or to calibrate on. Only for settings already chosen on validation by
	// the same configuration without refit (its twin), as the papers' final runs do.
	Refit bool `json:"refit,omitempty"`
	// PositiveFraction in (0, 1) keeps only that fraction of the training split's positive
	// reviews (the first ones of the seeded shuffle), for experiments on imbalanced data;
	// validation and test stay as they are. 0 keeps them all.
	PositiveFraction float64 `json:"positive_fraction,omitempty"`

	// Architecture is one of Architectures(); EncoderConfig, Dropout and Pooling shape the
	// transformer (the n-gram bag uses model_dim, dropout and NgramBuckets), NBSVM the nbsvm.
	Architecture string `json:"architecture"`
	EncoderConfig
	Dropout      float64      `json:"dropout"`
	Pooling      string       `json:"pooling"`
	NgramBuckets int          `json:"ngram_buckets,omitempty"`
	NBSVM        NBSVMConfig  `json:"nbsvm,omitzero"`
	Regions      RegionConfig `json:"regions,omitzero"`
	// HeadTokens of the MaxLen tokens come from the start of a long review, the rest from its end.
	HeadTokens int `json:"head_tokens"`

	OptimizerConfig
	Epochs int `json:"epochs"`
	// Early stopping after Patience evaluations without improvement of SelectMetric
	// ("accuracy", "f1", "roc_auc" or "nll"), which also picks the best checkpoint.
	Patience     int    `json:"patience"`
	SelectMetric string `json:"select_metric"`

	Loss loss.Config `json:"loss"`

	// Init is a pretraining directory (sentiment pretrain): the run starts from its encoder
	// weights and uses its tokenizer; the classifier head starts fresh. See InitFrom.
	Init string `json:"init,omitempty"`
	// ExtraInits are more pretraining directories of the same kind, words and split as Init,
	// whose encoders join Init's as further frozen inputs (the region CNN's three tv-embeddings
	// of Johnson & Zhang 2015b: train --init A --init B --init C). See AddInit.
	ExtraInits []string `json:"extra_inits,omitempty"`
	// FreezeEncoderSteps > 0 trains only the head for that many steps first (fine-tuning).
	FreezeEncoderSteps int `json:"freeze_encoder_steps,omitempty"`
	// LayerLRDecay in (0, 1) is layer-wise learning-rate decay (the "discriminative fine-tuning"
	// of Howard & Ruder 2018): the head learns at the learning rate, encoder layer l of L at
	// LayerLRDecay^(L-l) times it and the embeddings at LayerLRDecay^(L+1) times it, so the
	// lower, more general pretrained layers move least. 0 or 1: off.
	LayerLRDecay float64 `json:"layer_lr_decay,omitempty"`
	// InitScale in (0, 1) multiplies the pretrained encoder's residual stream when Init loads
	// it (see ScaleResidualStream): its weights become as small as a fresh model's, and they
	// move faster, relative to their size, under AdamW's fixed-size steps. 0 or 1: off.
	InitScale float64 `json:"init_scale,omitempty"`
}

// InitFrom makes the configuration fine-tune the encoder pretrained in dir: it sets Init and
// the architecture that reads it, copies the pretrained settings, which must match the weights
// (the encoder's shape and vocabulary), and the train/validation split whose training text the
// encoder read.
func (c *Config) InitFrom(dir string) error {
	pc, a, err := readFinishedPretraining(dir)
	if err != nil {
		return err
	}
	c.Data.ValidationFraction, c.Data.SplitSeed, c.Data.ValidationBlock = pc.Data.ValidationFraction, pc.Data.SplitSeed, pc.Data.ValidationBlock
	c.Init, c.Architecture = dir, a.name
	a.initFrom(c, pc)
	return nil
}

// AddInit adds the encoder pretrained in dir as one more input beside Init's (ExtraInits):
// InitFrom must have set Init, the architecture must take several (the region CNN), and dir
// must be a pretraining of the same kind, vocabulary and split; its shape goes to the
// architecture's settings (addInit).
func (c *Config) AddInit(dir string) error {
	if c.Init == "" {
		return fmt.Errorf("init: %s: a second pretraining joins the first: give --init FIRST before it", dir)
	}
	a := c.arch()
	if a == nil || a.addInit == nil {
		return fmt.Errorf("init: %s: architecture %q reads one pretrained encoder; give --init once", dir, c.Architecture)
	}
	pc, pa, err := readFinishedPretraining(dir)
	if err != nil {
		return err
	}
	if pa != a {
		return fmt.Errorf("init: %s holds a %q pretraining; the first (%s) is %q: give pretrainings of one kind", dir, pc.kind(), c.Init, a.pretraining)
	}
	c.ExtraInits = append(c.ExtraInits, dir)
	a.addInit(c, pc)
	return nil
}

// readFinishedPretraining is readPretrained for a pretraining that has written its encoder.
func readFinishedPretraining(dir string) (PretrainConfig, *architecture, error) {
	pc, a, err := readPretrained(dir)
	if err != nil {
		return pc, nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, EncoderCheckpoint)); err != nil {
		return pc, nil, fmt.Errorf("init: %s has no %s: its pretraining has not finished (rerun sentiment pretrain to resume it)", dir, EncoderCheckpoint)
	}
	return pc, a, nil
}

// readPretrained reads the configuration of the pretraining in dir and the architecture that
// fine-tunes its encoder.
func readPretrained(dir string) (PretrainConfig, *architecture, error) {
	var pc PretrainConfig
	if err := rundir.ReadJSON(filepath.Join(dir, ConfigFile), &pc); err != nil {
		return pc, nil, fmt.Errorf("init: %w (is %s a directory written by sentiment pretrain?)", err, dir)
	}
	kind := pc.kind()
	for _, a := range architectures {
		if a.pretraining == kind {
			return pc, a, nil
		}
	}
	return pc, nil, fmt.Errorf("init: %s holds a %q pretraining, which no architecture fine-tunes", dir, kind)
}

// checkInit reports a configuration that cannot take the pretrained encoders of c.Init and
// c.ExtraInits.
func (c Config) checkInit() error {
	if err := c.checkOneInit(c.Init, 0); err != nil {
		return err
	}
	if len(c.ExtraInits) == 0 {
		return nil
	}
	// The ids the classifier reads are the first pretraining's: each must have read the same.
	file := c.arch().features.file
	first, err := os.ReadFile(filepath.Join(c.Init, file))
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	for i, dir := range c.ExtraInits {
		if err := c.checkOneInit(dir, i+1); err != nil {
			return err
		}
		if other, err := os.ReadFile(filepath.Join(dir, file)); err != nil || !bytes.Equal(other, first) {
			return fmt.Errorf("init: %s and %s hold different %s: the pretrainings read other words; pretrain each with the same vocabulary, split and data", dir, c.Init, file)
		}
	}
	return nil
}

// checkOneInit reports a configuration that cannot take the pretrained encoder in dir as its
// input side (0: Init; i > 0: ExtraInits[i-1]).
func (c Config) checkOneInit(dir string, side int) error {
	pc, a, err := readPretrained(dir)
	if err != nil {
		return err
	}
	var diffs []string
	if side == 0 {
		diffs = a.initDiffs(c, pc)
	} else if a.extraDiffs != nil {
		diffs = a.extraDiffs(c, pc, side-1)
	}
	if c.Architecture != a.name {
		diffs = append(diffs, fmt.Sprintf("architecture %q (pretrained: %s)", c.Architecture, a.name))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("init: the configuration does not fit the encoder pretrained in %s: %s; let InitFrom (train --init) set them", dir, strings.Join(diffs, ", "))
	}
	// The encoder read the training split's text: it must be this run's training split, or
	// it has read this run's validation reviews.
	split := func(d DataConfig) string {
		return fmt.Sprintf("validation_fraction %g, split_seed %d, validation_block %d", cmp.Or(d.ValidationFraction, imdb.DefaultValidationFraction),
			cmp.Or(d.SplitSeed, imdb.DefaultSeed), d.ValidationBlock)
	}
	if pc.Refit && !c.Refit {
		return fmt.Errorf("init: the encoder in %s was pretrained for a refit (refit: its text holds the validation reviews), so this run's validation metrics would not be held out; fine-tune it with --set refit=true, or start from a pretraining without refit", dir)
	}
	if got, want := split(c.Data), split(pc.Data); got != want {
		return fmt.Errorf("init: the encoder in %s was pretrained on the training split of another train/validation split (%s; this run: %s), so it has read some of this run's validation reviews; fine-tune with its split's data.* settings, or pretrain again with this run's", dir, want, got)
	}
	return nil
}

// Presets lists the preset names.
func Presets() []string { return slices.Sorted(maps.Keys(presets)) }

// named returns m[name], or an error naming what it is ("preset") and listing the names.
func named[C any](m map[string]C, what, name string) (C, error) {
	c, ok := m[name]
	if !ok {
		return c, fmt.Errorf("unknown %s %q: want one of %v", what, name, slices.Sorted(maps.Keys(m)))
	}
	return c, nil
}

// Preset returns a named preset; quick shrinks it to a small subset and model that finish in
// about a minute on 2 cores (for tests and CI).
func Preset(name string, quick bool) (Config, error) {
	c, err := named(presets, "preset", name)
	if err != nil {
		return c, err
	}
	c.Preset, c.Seed, c.Quick = name, 1, quick
	if !quick {
		return c, nil
	}
	c.MaxTrainReviews, c.MaxEvalReviews = 6000, 1000
	c.arch().quick(&c)
	return c, nil
}

// Validate checks the configuration, with an error naming the field and a valid range: the
// architecture's own checks (architecture.validate), which include validateCommon.
func (c Config) Validate() error {
	if err := finite("config", c); err != nil {
		return err
	}
	a, err := lookup(c.Architecture)
	if err != nil {
		return err
	}
	return a.validate(c)
}

// finite refuses a setting that is not a finite number (a NaN or an infinity given to a flag or
// --set would pass every range check, and fail much later).
func finite(what string, cfg any) error {
	values := jsonfield.Values(cfg)
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if x, ok := values[name].(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
			return fmt.Errorf("%s: %s %v: want a finite number", what, name, x)
		}
	}
	return nil
}

// validateFineTuning checks the settings of fine-tuning a pretrained encoder.
func (c Config) validateFineTuning() error {
	switch {
	case c.LayerLRDecay < 0 || c.LayerLRDecay > 1:
		return fmt.Errorf("config: layer_lr_decay %g out of range [0, 1] (0 or 1: off; 0.8 is common)", c.LayerLRDecay)
	case c.LayerLRDecay > 0 && c.LayerLRDecay < 1 && c.arch().depth == nil:
		return fmt.Errorf("config: layer_lr_decay %g applies to the transformer's layers; architecture %q has none (set it to 0)", c.LayerLRDecay, c.Architecture)
	case c.InitScale < 0 || c.InitScale > 1:
		return fmt.Errorf("config: init_scale %g out of range [0, 1] (0 or 1: off; it shrinks a pretrained encoder)", c.InitScale)
	case c.InitScale > 0 && c.InitScale < 1 && c.Init == "":
		return fmt.Errorf("config: init_scale %g rescales a pretrained encoder, and there is none: add --init DIR or drop it", c.InitScale)
	}
	return nil
}

// The largest max_len and batch_size a configuration may ask for: IMDB's longest review has
// about 2,500 words (13,000 n-grams), and a larger batch than the training split trains no step.
const maxLength, maxBatch = 1 << 16, 25_000

// validateCommon checks the fields every architecture uses: lengths, optimisation, selection
// and the loss.
func (c Config) validateCommon() error {
	switch {
	case c.MaxLen < 8 || c.MaxLen > maxLength:
		return fmt.Errorf("config: max_len %d out of range [8, %d]", c.MaxLen, maxLength)
	case c.HeadTokens < 0 || c.HeadTokens > c.MaxLen:
		return fmt.Errorf("config: head_tokens %d: it must be between 0 and max_len (%d)", c.HeadTokens, c.MaxLen)
	case c.LengthBuckets < 0 || c.LengthBuckets > 64:
		return fmt.Errorf("config: length_buckets %d out of range [0, 64] (0: the default, 4 to train, 8 to pretrain)", c.LengthBuckets)
	case c.BatchSize < 1 || c.BatchSize > maxBatch:
		return fmt.Errorf("config: batch_size %d out of range [1, %d]", c.BatchSize, maxBatch)
	case c.Epochs < 1:
		return fmt.Errorf("config: epochs %d: it must be at least 1", c.Epochs)
	case c.LearningRate <= 0 || c.LearningRate > 1:
		return fmt.Errorf("config: learning_rate %g out of range (0, 1]", c.LearningRate)
	case c.PositiveFraction < 0 || c.PositiveFraction > 1:
		return fmt.Errorf("config: positive_fraction %g out of range [0, 1] (0: keep all)", c.PositiveFraction)
	case c.SelectMetric != "accuracy" && c.SelectMetric != "f1" && c.SelectMetric != "roc_auc" && c.SelectMetric != "nll":
		return fmt.Errorf("config: select_metric %q: want accuracy, f1, roc_auc or nll", c.SelectMetric)
	case c.Data.ValidationBlock < 0:
		return fmt.Errorf("config: data.validation_block %d must be 0 (single reviews) or positive (for example 250)", c.Data.ValidationBlock)
	case len(c.ExtraInits) > 0 && c.Init == "":
		return fmt.Errorf("config: extra_inits %v join a first pretrained encoder, and there is none: add --init DIR first", c.ExtraInits)
	case len(c.ExtraInits) > 0 && c.arch().addInit == nil:
		return fmt.Errorf("config: extra_inits %v: architecture %q reads one pretrained encoder; drop them", c.ExtraInits, c.Architecture)
	}
	l := c.Loss
	if l.ClassBeta > 0 && l.NegativeCount == 0 && l.PositiveCount == 0 {
		l.NegativeCount, l.PositiveCount = 1, 1 // unset: Train counts the training split's labels
	}
	return l.Validate()
}

// notSettable refuses the fields that name a run rather than set it: its preset and --quick
// (a --set preset=nbsvm once trained a transformer whose results said nbsvm).
func notSettable(name string) error {
	if name == "preset" || name == "quick" {
		return fmt.Errorf("config: %s names the run and cannot be set: use --%s", name, name)
	}
	return nil
}

// Set overrides one configuration field by its JSON name (as config.json spells it, for
// example "max_len", "dropout", "loss.confidence_gamma"), parsing value as JSON (a bare word is
// taken as a string). The command line's --set name=value calls it.
func (c *Config) Set(name, value string) error {
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
