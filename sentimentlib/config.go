package sentimentlib

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/ngrams"
	"github.com/sentiment-go/sentiment/sentimentlib/words"
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
	// PositiveFraction in (0, 1) keeps only that fraction of the training split's positive
	// reviews (the first ones of the seeded shuffle), for experiments on imbalanced data;
	// validation and test stay as they are. 0 keeps them all.
	PositiveFraction float64 `json:"positive_fraction,omitempty"`

	// Architecture is one of model.Architectures; EncoderConfig, Dropout and Pooling shape the
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

// NBSVMConfig is the nbsvm architecture's configuration (model.NBSVM): its features (the
// n-gram vocabulary's max_n, max_features and alpha) and the a and s of its logit,
// b + sum_g (w_g + a) r_g / s. For nbsvm, max_len is the most n-grams a review keeps (the most
// frequent ones first).
type NBSVMConfig struct {
	ngrams.Options
	Offset float64 `json:"offset"`
	Scale  float64 `json:"scale"`
}

// RegionConfig shapes the region CNN (architecture region_cnn, model.RegionCNN) and its
// pretraining (sentiment pretrain --preset regions): the word vocabulary (the most frequent
// words of the training split), the region sizes of its parallel convolutions and their
// feature maps, and the tv-embedding learned from the unlabeled reviews (its region size and
// width), which --init sets.
type RegionConfig struct {
	Vocab    int   `json:"vocab"`
	Sizes    []int `json:"sizes,omitempty"`
	Maps     int   `json:"maps,omitempty"`
	TVRegion int   `json:"tv_region,omitempty"`
	TVDim    int   `json:"tv_dim,omitempty"`
}

// InitFrom makes the configuration fine-tune the encoder pretrained in dir: it sets Init and
// copies the encoder's shape and vocabulary size, which must match the pretrained weights, and
// the train/validation split whose training text the encoder read.
func (c *Config) InitFrom(dir string) error {
	var pc PretrainConfig
	if err := rundir.ReadJSON(filepath.Join(dir, ConfigFile), &pc); err != nil {
		return fmt.Errorf("init: %w (is %s a directory written by sentiment pretrain?)", err, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, EncoderCheckpoint)); err != nil {
		return fmt.Errorf("init: %s has no %s: its pretraining has not finished (rerun sentiment pretrain to resume it)", dir, EncoderCheckpoint)
	}
	c.Data.ValidationFraction, c.Data.SplitSeed, c.Data.ValidationBlock = pc.Data.ValidationFraction, pc.Data.SplitSeed, pc.Data.ValidationBlock
	c.Init = dir
	if pc.Architecture == "regions" {
		c.Architecture = "region_cnn"
		c.Regions.Vocab, c.Regions.TVRegion, c.Regions.TVDim = pc.Regions.Vocab, pc.Regions.TVRegion, pc.Regions.TVDim
		return nil
	}
	c.Architecture, c.EncoderConfig, c.Data.VocabSize = "transformer", pc.EncoderConfig, pc.Data.VocabSize
	c.HeadTokens = min(c.HeadTokens, c.MaxLen)
	return nil
}

// checkInit reports a configuration that cannot take the pretrained encoder of c.Init.
func (c Config) checkInit() error {
	var pc PretrainConfig
	if err := rundir.ReadJSON(filepath.Join(c.Init, ConfigFile), &pc); err != nil {
		return fmt.Errorf("init: %w (is %s a directory written by sentiment pretrain?)", err, c.Init)
	}
	want, diffs := "transformer", jsonDiff(c.EncoderConfig, pc.EncoderConfig)
	if pc.Architecture == "regions" {
		tv := func(r RegionConfig) RegionConfig {
			return RegionConfig{Vocab: r.Vocab, TVRegion: r.TVRegion, TVDim: r.TVDim}
		}
		want, diffs = "region_cnn", jsonDiff(tv(c.Regions), tv(pc.Regions))
	}
	if c.Architecture != want {
		diffs = append(diffs, fmt.Sprintf("architecture %q (pretrained: %s)", c.Architecture, want))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("init: the configuration does not fit the encoder pretrained in %s: %s; let InitFrom (train --init) set them", c.Init, strings.Join(diffs, ", "))
	}
	// The encoder read the training split's text: it must be this run's training split, or
	// it has read this run's validation reviews.
	split := func(d DataConfig) string {
		return fmt.Sprintf("validation_fraction %g, split_seed %d, validation_block %d", cmp.Or(d.ValidationFraction, imdb.DefaultValidationFraction),
			cmp.Or(d.SplitSeed, imdb.DefaultSeed), d.ValidationBlock)
	}
	if got, want := split(c.Data), split(pc.Data); got != want {
		return fmt.Errorf("init: the encoder in %s was pretrained on the training split of another train/validation split (%s; this run: %s), so it has read some of this run's validation reviews; fine-tune with its split's data.* settings, or pretrain again with this run's", c.Init, want, got)
	}
	return nil
}

// presets by name. "default" is the transformer that must train on 2 CPU cores within 20 minutes.
var presets = map[string]Config{
	// Chosen on validation accuracy (docs/transformer.md): 64-token attention windows over 768 tokens, 2
	// epochs, dropout 0.2.
	"default": {
		Architecture: "transformer", EncoderConfig: EncoderConfig{Dim: 64, Layers: 1, Heads: 4, FFNDim: 128, MaxLen: 768, AttentionWindow: 64},
		Dropout: 0.2, Pooling: "mean", HeadTokens: 128, Epochs: 2, Patience: 2, SelectMetric: "accuracy",
		OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 1e-3, WeightDecay: 0.05, WarmupSteps: 200, ClipNorm: 1},
		Data:            DataConfig{VocabSize: 30000},
	},
	// The loss comparison's preset: the default architecture at quick size on 10,000 training
	// reviews for 2 epochs, scored on the full validation and test splits, so that a grid of
	// 10 settings x 3 seeds fits in under an hour on 2 cores.
	"compare": {
		Architecture: "transformer", EncoderConfig: EncoderConfig{Dim: 32, Layers: 1, Heads: 4, FFNDim: 64, MaxLen: 256, AttentionWindow: 64},
		Dropout: 0.2, Pooling: "mean", HeadTokens: 64, Epochs: 2, Patience: 2, SelectMetric: "accuracy", MaxTrainReviews: 10000,
		OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 1e-3, WeightDecay: 0.05, WarmupSteps: 30, ClipNorm: 1},
		Data:            DataConfig{VocabSize: 8000},
	},
	// The classifier with the shape of the "gpu" pretraining preset (4 layers, 256 wide, global
	// attention over 512 tokens), for an accelerator: from scratch, or fine-tuned with --init
	// from `sentiment pretrain --preset gpu` at the same fine-tuning budget.
	"gpu": {
		Architecture: "transformer", EncoderConfig: EncoderConfig{Dim: 256, Layers: 4, Heads: 8, FFNDim: 1024, MaxLen: 512},
		Dropout: 0.1, Pooling: "mean", HeadTokens: 128, Epochs: 2, Patience: 2, SelectMetric: "accuracy",
		OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 3e-4, WeightDecay: 0.01, WarmupSteps: 200, ClipNorm: 1, LengthBuckets: 2},
		Data:            DataConfig{VocabSize: 30000},
	},
	// NB-weighted uni+bi+trigrams (NBSVM++: Wang & Manning 2012, Howard 2018) on the training
	// split, with the settings chosen on validation (docs/nbsvm.md). max_len 4096 keeps every
	// n-gram of a review (the most frequent ones first if there were more).
	"nbsvm": {
		Architecture: "nbsvm", NBSVM: NBSVMConfig{Options: ngrams.Options{}.WithDefaults(), Offset: 0.4, Scale: 10},
		EncoderConfig: EncoderConfig{MaxLen: 4096}, HeadTokens: 4096, Epochs: 2, SelectMetric: "accuracy",
		OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 0.02, WeightDecay: 0.01},
	},
	// The region CNN of Johnson & Zhang 2015a (seq2-CNN: one-hot regions of 2 and 3 words in
	// parallel) on the 30,000 most frequent training words; with --init from `sentiment
	// pretrain --preset regions`, the tv-embedding of each region as extra input (2015b). 300
	// feature maps a size (the paper's 1,000 do not fit 2 cores) over the first 128 and last 384
	// words, and the learning rate and epochs chosen on validation (docs/regions.md).
	"regions": {
		Architecture: "region_cnn", Regions: RegionConfig{Vocab: words.DefaultSize, Sizes: []int{2, 3}, Maps: 300},
		EncoderConfig: EncoderConfig{MaxLen: 512}, HeadTokens: 128, Dropout: 0.5, Epochs: 6, SelectMetric: "accuracy",
		OptimizerConfig: OptimizerConfig{BatchSize: 50, LearningRate: 0.01, WeightDecay: 0, WarmupSteps: 100, ClipNorm: 0},
	},
	// The fastText-style bag: unigram and hashed bigram embeddings, averaged, then linear.
	"ngrams": {
		Architecture: "ngrams", EncoderConfig: EncoderConfig{Dim: 32, MaxLen: 512}, NgramBuckets: 1 << 19, Dropout: 0.2, Pooling: "mean",
		HeadTokens: 128, Epochs: 4, Patience: 2, SelectMetric: "accuracy",
		OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 5e-3, WarmupSteps: 50, ClipNorm: 1},
		Data:            DataConfig{VocabSize: 30000},
	},
}

// Presets lists the preset names.
func Presets() []string {
	var names []string
	for k := range presets {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Preset returns a named preset; quick shrinks it to a small subset and model that finish in
// about a minute on 2 cores (for tests and CI).
func Preset(name string, quick bool) (Config, error) {
	c, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("unknown preset %q: want one of %v", name, Presets())
	}
	c.Preset, c.Seed, c.Quick = name, 1, quick
	if !quick {
		return c, nil
	}
	c.MaxTrainReviews, c.MaxEvalReviews = 6000, 1000
	switch c.Architecture {
	case "region_cnn":
		c.Regions.Vocab, c.Regions.Maps, c.MaxLen, c.HeadTokens, c.Epochs = 8000, 100, 256, 64, 3
	case "nbsvm": // fast already: a subset and a smaller vocabulary
		c.NBSVM.MaxFeatures, c.MaxLen, c.HeadTokens = 200_000, 2048, 2048
	default:
		c.Data.VocabSize = 8000
		c.MaxLen, c.HeadTokens = 256, 64
		c.Epochs, c.WarmupSteps = 3, 30
		if c.Architecture == "transformer" {
			c.Dim, c.FFNDim = 32, 64
		}
	}
	return c, nil
}

// Validate checks the configuration, with an error naming the field and a valid range.
func (c Config) Validate() error {
	switch {
	case !slices.Contains(smodel.Architectures, c.Architecture):
		return fmt.Errorf("config: architecture %q: want one of %s", c.Architecture, strings.Join(smodel.Architectures, ", "))
	case c.Architecture == "nbsvm":
		return c.validateNBSVM()
	case c.Architecture == "region_cnn":
		return c.validateRegions()
	case c.Dim < 4 || c.Dim > 4096:
		return fmt.Errorf("config: model_dim %d out of range [4, 4096]", c.Dim)
	case c.Architecture == "transformer" && (c.Heads < 1 || c.Dim%c.Heads != 0):
		return fmt.Errorf("config: num_heads %d must be >= 1 and divide model_dim %d", c.Heads, c.Dim)
	case c.Architecture == "transformer" && (c.Layers < 1 || c.Layers > 48):
		return fmt.Errorf("config: num_layers %d out of range [1, 48]", c.Layers)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("config: dropout %g out of range [0, 1)", c.Dropout)
	}
	if err := c.validateCommon(); err != nil {
		return err
	}
	switch {
	case c.AttentionWindow < 0 || (c.AttentionWindow > 0 && c.MaxLen%c.AttentionWindow != 0):
		return fmt.Errorf("config: attention_window %d must be 0 (global) or divide max_len %d", c.AttentionWindow, c.MaxLen)
	case c.LayerLRDecay < 0 || c.LayerLRDecay > 1:
		return fmt.Errorf("config: layer_lr_decay %g out of range [0, 1] (0 or 1: off; 0.8 is common)", c.LayerLRDecay)
	case c.LayerLRDecay > 0 && c.LayerLRDecay < 1 && c.Architecture != "transformer":
		return fmt.Errorf("config: layer_lr_decay %g applies to the transformer's layers; architecture %q has none (set it to 0)", c.LayerLRDecay, c.Architecture)
	case c.InitScale < 0 || c.InitScale > 1:
		return fmt.Errorf("config: init_scale %g out of range [0, 1] (0 or 1: off; it shrinks a pretrained encoder)", c.InitScale)
	case c.InitScale > 0 && c.InitScale < 1 && c.Init == "":
		return fmt.Errorf("config: init_scale %g rescales a pretrained encoder, and there is none: add --init DIR or drop it", c.InitScale)
	case c.Architecture == "transformer" && !slices.Contains(smodel.Poolings, c.Pooling):
		return fmt.Errorf("config: pooling %q: want one of %s", c.Pooling, strings.Join(smodel.Poolings, ", "))
	}
	return nil
}

// validateCommon checks the fields every architecture uses: lengths, optimisation, selection
// and the loss.
func (c Config) validateCommon() error {
	switch {
	case c.MaxLen < 8:
		return fmt.Errorf("config: max_len %d: it must be at least 8", c.MaxLen)
	case c.HeadTokens < 0 || c.HeadTokens > c.MaxLen:
		return fmt.Errorf("config: head_tokens %d: it must be between 0 and max_len (%d)", c.HeadTokens, c.MaxLen)
	case c.LengthBuckets < 0 || c.LengthBuckets > 64:
		return fmt.Errorf("config: length_buckets %d out of range [0, 64] (0: the default, 4 to train, 8 to pretrain)", c.LengthBuckets)
	case c.BatchSize < 1:
		return fmt.Errorf("config: batch_size %d: it must be at least 1", c.BatchSize)
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
	}
	l := c.Loss
	if l.ClassBeta > 0 && l.NegativeCount == 0 && l.PositiveCount == 0 {
		l.NegativeCount, l.PositiveCount = 1, 1 // unset: Train counts the training split's labels
	}
	return l.Validate()
}

// validateRegions checks a region_cnn configuration.
func (c Config) validateRegions() error {
	r := c.Regions
	switch {
	case r.Vocab < 1:
		return fmt.Errorf("config: regions.vocab %d must be >= 1 (for example 30000)", r.Vocab)
	case len(r.Sizes) == 0 || slices.ContainsFunc(r.Sizes, func(p int) bool { return p < 1 || p > 10 }):
		return fmt.Errorf("config: regions.sizes %v: want one or more region sizes in [1, 10], for example [3] or [2,3]", r.Sizes)
	case r.Maps < 1 || r.Maps > 10000:
		return fmt.Errorf("config: regions.maps %d out of range [1, 10000]", r.Maps)
	case r.TVRegion > 0 && c.Init == "":
		return fmt.Errorf("config: regions.tv_region %d reads a pretrained tv-embedding, and there is none: add --init DIR (sentiment pretrain --preset regions) or set it to 0", r.TVRegion)
	case r.TVRegion > 0 && slices.Max(r.Sizes) > r.TVRegion:
		return fmt.Errorf("config: regions.sizes %v: each must be at most the tv-embedding's region (%d)", r.Sizes, r.TVRegion)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("config: dropout %g out of range [0, 1)", c.Dropout)
	}
	return c.validateCommon()
}

// validateNBSVM checks an nbsvm configuration: its own fields, and that it asks for nothing
// that belongs to the other architectures.
func (c Config) validateNBSVM() error {
	n := c.NBSVM
	if err := n.Options.Validate(); err != nil {
		return fmt.Errorf("config: nbsvm.%s", strings.TrimPrefix(err.Error(), "ngrams: "))
	}
	switch {
	case !(n.Scale > 0):
		return fmt.Errorf("config: nbsvm.scale %g must be positive (s in (w + a) r / s; for example 10)", n.Scale)
	case math.IsNaN(n.Offset) || math.IsInf(n.Offset, 0):
		return fmt.Errorf("config: nbsvm.offset %g must be a number (a in (w + a) r / s; for example 0.4)", n.Offset)
	case c.Init != "":
		return fmt.Errorf("config: init %q: nbsvm has no encoder to initialise (drop --init)", c.Init)
	}
	return c.validateCommon()
}

// Set overrides one configuration field by its JSON name (as config.json spells it, for
// example "max_len", "dropout", "loss.confidence_gamma"), parsing value as JSON (a bare word is
// taken as a string). The command line's --set name=value calls it.
func (c *Config) Set(name, value string) error {
	out, err := setJSONField(*c, name, value)
	if err != nil {
		return err
	}
	out.Data.CacheDir, out.Data.Offline = c.Data.CacheDir, c.Data.Offline // not in JSON
	*c = out
	return nil
}
