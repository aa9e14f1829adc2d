package sentimentlib

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/ngrams"
)

// Config is everything a training run depends on; it is saved as config.json beside the model.
type Config struct {
	Preset string `json:"preset"`
	Seed   uint64 `json:"seed"`
	Quick  bool   `json:"quick"`

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

	// Model.
	Architecture string  `json:"architecture"` // "transformer", "ngrams" or "nbsvm" (model.Architectures)
	Dim          int     `json:"model_dim"`
	Layers       int     `json:"num_layers"`
	Heads        int     `json:"num_heads"`
	FFNDim       int     `json:"ffn_dim"`
	Dropout      float64 `json:"dropout"`
	Pooling      string  `json:"pooling"`
	// AttentionWindow > 0: block-local attention over windows of that many tokens (0: global).
	AttentionWindow int `json:"attention_window,omitempty"`
	NgramBuckets    int `json:"ngram_buckets,omitempty"`
	// NBSVM configures the nbsvm architecture (its n-gram features and its form); unused by
	// the others.
	NBSVM NBSVMConfig `json:"nbsvm,omitzero"`
	// MaxLen tokens per review ([CLS] included), HeadTokens of them from the start.
	MaxLen     int `json:"max_len"`
	HeadTokens int `json:"head_tokens"`
	// LengthBuckets: reviews are padded to one of this many lengths (quarters of MaxLen by
	// default, 0: 4), each a compiled shape. On a GPU, where XLA compiles each shape for
	// seconds and padding costs little, fewer are faster.
	LengthBuckets int `json:"length_buckets,omitempty"`

	// Optimisation: AdamW, linear warmup then cosine decay, gradient clipping by global norm.
	BatchSize    int     `json:"batch_size"`
	Epochs       int     `json:"epochs"`
	LearningRate float64 `json:"learning_rate"`
	WeightDecay  float64 `json:"weight_decay"`
	WarmupSteps  int     `json:"warmup_steps"`
	ClipNorm     float64 `json:"clip_norm"`

	// Validation every epoch, and every EvalEverySteps steps if > 0; early stopping after
	// Patience evaluations without improvement of SelectMetric ("accuracy", "f1", "roc_auc" or
	// "nll").
	EvalEverySteps int    `json:"eval_every_steps"`
	Patience       int    `json:"patience"`
	SelectMetric   string `json:"select_metric"`

	Loss loss.Config `json:"loss"`

	// Init is a pretraining directory (sentiment pretrain): the run starts from its encoder
	// weights and uses its tokenizer; the classifier head starts fresh. See InitFrom.
	Init string `json:"init,omitempty"`
	// FreezeEncoderSteps > 0 trains only the head for that many steps first (fine-tuning).
	FreezeEncoderSteps int `json:"freeze_encoder_steps,omitempty"`
	// LayerLRDecay in (0, 1) is layer-wise learning-rate decay (the "discriminative fine-tuning"
	// of Howard & Ruder 2018; Clark et al. 2020, ELECTRA): the head and the final norm learn at
	// the learning rate, encoder layer l of L (counted from 0 at the bottom) at
	// LayerLRDecay^(L-l) times it, and the token and position embeddings at LayerLRDecay^(L+1)
	// times it, so the lower, more general pretrained layers move least. 0 or 1: off.
	LayerLRDecay float64 `json:"layer_lr_decay,omitempty"`
	// InitScale in (0, 1) multiplies the pretrained encoder's residual stream when Init loads
	// it: the token and position embeddings and each layer's attention-output and FFN-output
	// projections (weights and biases), everything that writes to the residual stream. Only
	// LayerNorms read that stream, so the function changes only through their epsilon (1e-3),
	// a sizeable part of a small stream's variance: a from-scratch model (token embeddings'
	// RMS 0.011 at init, 0.02 trained, variance about 3e-3 with the positions) works in that
	// regime, where a token's embedding norm weighs it in the mean pool, and MLM pretraining
	// (RMS 0.08 after 3,000 steps) leaves it. Smaller weights also move faster, relative to
	// their size, under AdamW's fixed-size steps. 0 or 1: off. (It did not help here: README.)
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

// InitFrom makes the configuration fine-tune the encoder pretrained in dir: it sets Init and
// copies the encoder's shape (width, layers, heads, FFN width, positions, attention window) and
// vocabulary size, which must match the pretrained weights, and the train/validation split
// whose training text the encoder read (validation_fraction, split_seed, validation_block).
func (c *Config) InitFrom(dir string) error {
	var pc PretrainConfig
	if err := readJSON(filepath.Join(dir, ConfigFile), &pc); err != nil {
		return fmt.Errorf("init: %w (is %s a directory written by sentiment pretrain?)", err, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, EncoderCheckpoint)); err != nil {
		return fmt.Errorf("init: %s has no %s: its pretraining has not finished (rerun sentiment pretrain to resume it)", dir, EncoderCheckpoint)
	}
	c.Init, c.Architecture = dir, "transformer"
	c.Dim, c.Layers, c.Heads, c.FFNDim = pc.Dim, pc.Layers, pc.Heads, pc.FFNDim
	c.MaxLen, c.AttentionWindow, c.Data.VocabSize = pc.MaxLen, pc.AttentionWindow, pc.Data.VocabSize
	c.Data.ValidationFraction, c.Data.SplitSeed, c.Data.ValidationBlock = pc.Data.ValidationFraction, pc.Data.SplitSeed, pc.Data.ValidationBlock
	c.HeadTokens = min(c.HeadTokens, c.MaxLen)
	return nil
}

// checkInit reports a configuration that cannot take the pretrained encoder of c.Init.
func (c Config) checkInit() error {
	var pc PretrainConfig
	if err := readJSON(filepath.Join(c.Init, ConfigFile), &pc); err != nil {
		return fmt.Errorf("init: %w (is %s a directory written by sentiment pretrain?)", err, c.Init)
	}
	var diffs []string
	for _, f := range []struct {
		name      string
		got, want int
	}{{"model_dim", c.Dim, pc.Dim}, {"num_layers", c.Layers, pc.Layers}, {"num_heads", c.Heads, pc.Heads},
		{"ffn_dim", c.FFNDim, pc.FFNDim}, {"max_len", c.MaxLen, pc.MaxLen}} {
		if f.got != f.want {
			diffs = append(diffs, fmt.Sprintf("%s %d (pretrained: %d)", f.name, f.got, f.want))
		}
	}
	if c.Architecture != "transformer" {
		diffs = append(diffs, fmt.Sprintf("architecture %q (pretrained: transformer)", c.Architecture))
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
	// Tuned on validation accuracy (seed 1, this 2-core machine; see README): reading more of
	// each review through 64-token attention windows beat global attention over 192 or 256
	// tokens (validation 0.881 -> 0.891) at about the same cost per step, and 2 epochs with
	// dropout 0.2 overfit less than 3 with 0.1.
	"default": {
		Architecture: "transformer", Dim: 64, Layers: 1, Heads: 4, FFNDim: 128, Dropout: 0.2, Pooling: "mean",
		MaxLen: 768, HeadTokens: 128, AttentionWindow: 64, BatchSize: 32, Epochs: 2, LearningRate: 1e-3, WeightDecay: 0.05,
		WarmupSteps: 200, ClipNorm: 1, Patience: 2, SelectMetric: "accuracy",
		Data: DataConfig{VocabSize: 30000}, Loss: loss.Config{},
	},
	// The loss comparison's preset: the default architecture at quick size (d32, 256 tokens in
	// 64-token windows, vocabulary 8,000) on 10,000 training reviews for 2 epochs, scored on
	// the full validation and test splits. A run takes about 100 s on 2 cores, so the grid of
	// 10 settings x 3 seeds fits in under an hour.
	"compare": {
		Architecture: "transformer", Dim: 32, Layers: 1, Heads: 4, FFNDim: 64, Dropout: 0.2, Pooling: "mean",
		MaxLen: 256, HeadTokens: 64, AttentionWindow: 64, BatchSize: 32, Epochs: 2, LearningRate: 1e-3, WeightDecay: 0.05,
		WarmupSteps: 30, ClipNorm: 1, Patience: 2, SelectMetric: "accuracy", MaxTrainReviews: 10000,
		Data: DataConfig{VocabSize: 8000},
	},
	// The classifier with the shape of the "gpu" pretraining preset (4 layers, 256 wide, global
	// attention over 512 tokens), for an accelerator: trained from scratch as it stands, or
	// fine-tuned with --init from `sentiment pretrain --preset gpu`; the two differ only in
	// their initialisation, so they compare at equal fine-tuning budget.
	"gpu": {
		Architecture: "transformer", Dim: 256, Layers: 4, Heads: 8, FFNDim: 1024, Dropout: 0.1, Pooling: "mean",
		MaxLen: 512, HeadTokens: 128, LengthBuckets: 2, BatchSize: 32, Epochs: 2, LearningRate: 3e-4, WeightDecay: 0.01,
		WarmupSteps: 200, ClipNorm: 1, Patience: 2, SelectMetric: "accuracy",
		Data: DataConfig{VocabSize: 30000},
	},
	// NB-weighted uni+bi+trigrams (NBSVM++: Wang & Manning 2012, Howard 2018) on the training
	// split, with the word split, learning rate, epochs and weight decay chosen on validation
	// (docs/nbsvm.md). A review has at most about 3,400 of the 800,000 n-grams, so max_len 4096
	// keeps them all (the most frequent first otherwise). Training takes seconds.
	"nbsvm": {
		Architecture: "nbsvm", NBSVM: NBSVMConfig{Options: ngrams.Options{MaxN: 3, MaxFeatures: 800_000, Alpha: 1}, Offset: 0.4, Scale: 10},
		MaxLen: 4096, HeadTokens: 4096, BatchSize: 32, Epochs: 2, LearningRate: 0.02, WeightDecay: 0.01,
		WarmupSteps: 0, ClipNorm: 0, Patience: 0, SelectMetric: "accuracy",
	},
	"ngrams": {
		Architecture: "ngrams", Dim: 32, NgramBuckets: 1 << 19, Dropout: 0.2, Pooling: "mean",
		MaxLen: 512, HeadTokens: 128, BatchSize: 32, Epochs: 4, LearningRate: 5e-3, WeightDecay: 0,
		WarmupSteps: 50, ClipNorm: 1, Patience: 2, SelectMetric: "accuracy",
		Data: DataConfig{VocabSize: 30000},
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
	if quick && c.Architecture == "nbsvm" {
		// Fast already: a subset and a smaller vocabulary.
		c.MaxTrainReviews, c.MaxEvalReviews = 6000, 1000
		c.NBSVM.MaxFeatures, c.MaxLen, c.HeadTokens = 200_000, 2048, 2048
	} else if quick {
		c.MaxTrainReviews, c.MaxEvalReviews = 6000, 1000
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
	case c.MaxLen < 8 || c.HeadTokens < 0 || c.HeadTokens > c.MaxLen:
		return fmt.Errorf("config: max_len %d (>= 8) and head_tokens %d (0..max_len) invalid", c.MaxLen, c.HeadTokens)
	case c.LengthBuckets < 0 || c.LengthBuckets > 64:
		return fmt.Errorf("config: length_buckets %d out of range [0, 64] (0: 4)", c.LengthBuckets)
	case c.BatchSize < 1 || c.Epochs < 1:
		return fmt.Errorf("config: batch_size %d and epochs %d must be >= 1", c.BatchSize, c.Epochs)
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
	out, err := setJSONField(*c, name, value, c.optionalField)
	if err != nil {
		return err
	}
	out.Data.CacheDir, out.Data.Offline = c.Data.CacheDir, c.Data.Offline // not in JSON
	*c = out
	return nil
}

// setJSONField returns v with one field replaced, named by its JSON path ("a.b"), parsing value
// as JSON (a bare word is taken as a string). optional reports fields JSON omits when zero.
func setJSONField[T any](v T, name, value string, optional func(string) bool) (T, error) {
	var zero T
	b, err := json.Marshal(v)
	if err != nil {
		return zero, err
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		return zero, err
	}
	path := strings.Split(name, ".")
	m := root
	for _, p := range path[:len(path)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok {
			return zero, fmt.Errorf("config: no field group %q in %q; fields: %s", p, name, strings.Join(sortedKeys(root), ", "))
		}
		m = sub
	}
	last := path[len(path)-1]
	if _, ok := m[last]; !ok && !optional(name) {
		return zero, fmt.Errorf("config: no field %q; fields: %s", name, strings.Join(sortedKeys(m), ", "))
	}
	var x any
	if err := json.Unmarshal([]byte(value), &x); err != nil {
		x = value
	}
	m[last] = x
	b, _ = json.Marshal(root)
	var out T
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return zero, fmt.Errorf("config: %s=%s: %v", name, value, err)
	}
	return out, nil
}

// optionalField reports fields that JSON omits when zero (omitempty) but Set may still set.
func (c *Config) optionalField(name string) bool {
	switch name {
	case "max_train_reviews", "max_eval_reviews", "no_test", "ngram_buckets", "length_buckets", "attention_window", "positive_fraction", "init", "freeze_encoder_steps", "layer_lr_decay", "init_scale":
		return true
	}
	return strings.HasPrefix(name, "loss.") || strings.HasPrefix(name, "data.") || strings.HasPrefix(name, "nbsvm.")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
