package sentimentlib

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
)

// An architecture is one kind of classifier, and everything the rest of this package needs to
// know of it: each registers itself, from a file of its own (arch_*.go), with its presets. The
// front door looks architectures up by config.json's "architecture" and never compares names.
type architecture struct {
	name string
	// graph gives the logits [B] and per-token attributions [B, L] of ids [B, L] (package model;
	// alphas scale the inputs along the Integrated Gradients path, nil at inference).
	graph    func(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node)
	features *featureKind
	// validate checks a configuration of this architecture (validateCommon included).
	validate func(c Config) error
	// quick shrinks one of its presets to a --quick run (after the common subset).
	quick func(c *Config)
	// explains says in a few words how Explain attributes its decisions (for the demo page).
	explains string
	// fix puts what the fitted features fix into a new store (nbsvm's ratios), and checkFixed
	// refuses a loaded checkpoint whose fixed tables are not the features' (nil: none).
	fix        func(store *model.Store, feat Features) error
	checkFixed func(store *model.Store, feat Features, featuresPath, checkpoint string) error
	// depth is how many layers below the head a variable lies (layer-wise learning-rate
	// decay); nil: the architecture has no layers to decay.
	depth func(path string, layers int) int
	// pretraining is the kind of pretraining (PretrainConfig's architecture) whose encoder.ckpt
	// `train --init` loads into this architecture ("": none); initFrom copies the pretrained
	// settings into c, initDiffs lists those of c that do not fit, and frozen reports the
	// pretrained variables that stay fixed in fine-tuning (nil: none).
	pretraining string
	initFrom    func(c *Config, pc PretrainConfig)
	initDiffs   func(c Config, pc PretrainConfig) []string
	frozen      func(path string) bool
	// addInit copies the shape of one more pretrained encoder (Config.ExtraInits) into c, and
	// extraDiffs lists the settings of c that do not fit extra encoder i (nil: the
	// architecture reads one); loadExtra maps a variable of that encoder's checkpoint to the
	// classifier's.
	addInit    func(c *Config, pc PretrainConfig)
	extraDiffs func(c Config, pc PretrainConfig, i int) []string
	loadExtra  func(path string, i int) string
	// rowsTrained reports whether c trains the model's embedding tables by the rows a batch
	// reads (rows.Open): the training batches then carry their distinct ids (nil: never).
	rowsTrained func(c Config) bool
}

// Features turn review text into the ids a model reads, fitted on the training split only and
// saved beside the model. Each architecture names its kind (featureKind): the WordPiece
// tokenizer (*tokenize.Tokenizer, tokenizer.json) for the transformer and the n-gram bag, the
// n-gram vocabulary with its naive-Bayes ratios (*ngrams.Vocabulary, ngrams.json) for nbsvm,
// the word vocabulary (*words.Vocabulary, words.json) for the region CNN.
type Features interface {
	// Encode returns the ids of one text (no padding); EncodeAll encodes many in parallel.
	Encode(text string) []int32
	EncodeAll(texts []string) [][]int32
	// VocabSize is the number of ids, padding (0) included.
	VocabSize() int
	Save(path string) error
}

// A featureKind is one kind of Features: how it is fitted, saved and read back, and what the
// predictor, the explanations and the export need to know of it.
type featureKind struct {
	file     string // in a model directory
	fit      func(data *imdb.Data, cfg Config) (Features, error)
	load     func(path string, cfg Config) (Features, error)
	describe func(f Features) string // for progress lines
	// known reports whether encoded ids hold anything the model knows (Prediction.Unknown).
	known func(ids []int32) bool
	// words maps the attributions of the ids in row (padded, truncated as opts says) to the
	// words of text.
	words func(f Features, opts batch.Options, text string, row []int32, attr []float64) []WordAttribution
	// For the ONNX export: the id of an unknown word (-1: none), how a client in another
	// language gets the ids from the file, and whether the browser page can (it tokenizes with
	// @huggingface/tokenizers).
	unkID  int
	recipe string
	web    bool
}

// architectures by name, and the classifier presets, filled by register.
var (
	architectures = map[string]*architecture{}
	presets       = map[string]Config{}
)

// register adds an architecture and its presets (by name; each preset's Architecture is set).
func register(a *architecture, named map[string]Config) {
	architectures[a.name] = a
	for name, c := range named {
		c.Architecture = a.name
		presets[name] = c
	}
}

// Architectures lists the architectures' names.
func Architectures() []string { return slices.Sorted(maps.Keys(architectures)) }

// lookup returns the architecture of a configuration.
func lookup(name string) (*architecture, error) {
	if a, ok := architectures[name]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("config: architecture %q: want one of %s", name, strings.Join(Architectures(), ", "))
}

// arch is the architecture of a configuration that Validate accepted.
func (c Config) arch() *architecture { return architectures[c.Architecture] }
