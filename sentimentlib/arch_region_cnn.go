package sentimentlib

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/jsonfield"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
	"github.com/sentiment-go/sentiment/sentimentlib/words"
)

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
	// ExtraTVRegions and ExtraTVDims are the region sizes and widths of the further
	// tv-embeddings (Config.ExtraInits, set by AddInit), one entry each.
	ExtraTVRegions []int `json:"extra_tv_regions,omitempty"`
	ExtraTVDims    []int `json:"extra_tv_dims,omitempty"`
	// SparseTables trains the one-hot regions' tables by the rows each batch reads, with lazy
	// Adam (package rows), instead of AdamW over the whole tables at every step: the same model,
	// a fraction of the work and memory. The other variables keep AdamW.
	SparseTables bool `json:"sparse_tables,omitempty"`
}

// regionCNNName is the region CNN's name in config.json.
const regionCNNName = "region_cnn"

// The region CNN of Johnson & Zhang 2015a (seq2-CNN: one-hot regions of words in parallel
// convolutions), with --init from `sentiment pretrain --preset regions` the tv-embedding of
// each region as extra input (2015b).
func init() {
	register(&architecture{
		name: regionCNNName, graph: smodel.RegionCNNAttributions, features: wordFeatures,
		validate: validateRegions,
		quick: func(c *Config) {
			c.Regions.Vocab, c.Regions.Maps, c.MaxLen, c.HeadTokens, c.Epochs = 8000, 100, 256, 64, 3
		},
		explains:    "Integrated Gradients on the looked-up word vectors of the regions",
		pretraining: tvPretraining,
		initFrom: func(c *Config, pc PretrainConfig) {
			c.Regions.Vocab, c.Regions.TVRegion, c.Regions.TVDim = pc.Regions.Vocab, pc.Regions.TVRegion, pc.Regions.TVDim
		},
		initDiffs: tvDiffs,
		addInit: func(c *Config, pc PretrainConfig) {
			c.Regions.ExtraTVRegions = append(c.Regions.ExtraTVRegions, pc.Regions.TVRegion)
			c.Regions.ExtraTVDims = append(c.Regions.ExtraTVDims, pc.Regions.TVDim)
		},
		extraDiffs: func(c Config, pc PretrainConfig, i int) []string {
			r := c.Regions
			if i >= len(r.ExtraTVRegions) || i >= len(r.ExtraTVDims) {
				return []string{fmt.Sprintf("regions.extra_tv_regions %v and extra_tv_dims %v have no entry %d", r.ExtraTVRegions, r.ExtraTVDims, i)}
			}
			c.Regions.TVRegion, c.Regions.TVDim = r.ExtraTVRegions[i], r.ExtraTVDims[i] // side i as the first
			return tvDiffs(c, pc)
		},
		loadExtra: func(path string, i int) string {
			if rest, ok := strings.CutPrefix(path, "/model/"+smodel.TVScope+"/"); ok {
				return "/model/" + smodel.TVSideScope(i+1) + "/" + rest
			}
			return "" // not the tv-embedding
		},
		frozen:      isTVVariable, // the tv-embeddings stay as the unlabeled reviews shaped them
		rowsTrained: func(c Config) bool { return c.Regions.SparseTables },
	}, map[string]Config{
		// 300 feature maps a size (the paper's 1,000 do not fit 2 cores) over the first 128 and
		// last 384 words, and the learning rate and epochs chosen on validation (docs/regions.md).
		"regions": {
			Regions:       RegionConfig{Vocab: words.DefaultSize, Sizes: []int{2, 3}, Maps: 300, SparseTables: true},
			EncoderConfig: EncoderConfig{MaxLen: 512}, HeadTokens: 128, Dropout: 0.5, Epochs: 6, SelectMetric: "accuracy",
			OptimizerConfig: OptimizerConfig{BatchSize: 50, LearningRate: 0.01, WeightDecay: 0, WarmupSteps: 100, ClipNorm: 0},
		},
	})
}

// wordFeatures are the word vocabulary (words.Vocabulary, words.json) of the region models.
var wordFeatures = &featureKind{
	file: WordsFile,
	fit: func(data *imdb.Data, cfg Config) (Features, error) {
		return words.Fit(imdb.Texts(data.Train), cfg.Regions.Vocab)
	},
	load:     func(path string, _ Config) (Features, error) { return words.Load(path) },
	describe: func(f Features) string { return fmt.Sprintf("%d words", f.(*words.Vocabulary).Len()) },
	known: func(ids []int32) bool {
		return slices.ContainsFunc(ids, func(id int32) bool { return id > words.UnknownID })
	},
	// One id a word: the text's words, as the review was truncated.
	words: func(_ Features, opts batch.Options, text string, _ []int32, attr []float64) []WordAttribution {
		var out []WordAttribution
		ws := words.Split(text)
		index := make([]int32, len(ws))
		for i := range index {
			index[i] = int32(i)
		}
		for i, w := range opts.Truncation.Apply(index) {
			out = append(out, WordAttribution{Word: ws[w], Attribution: attr[i]})
		}
		return out
	},
	unkID: int(words.UnknownID),
	recipe: "words.json: the review's words: " + tokenize.WordsDescription + "; word i of \"words\" has id i+2, " +
		"a word outside it id 1; the ids are the words', in order",
}

// validateRegions checks a region_cnn configuration.
func validateRegions(c Config) error {
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
	case len(r.ExtraTVRegions) != len(c.ExtraInits) || len(r.ExtraTVDims) != len(c.ExtraInits):
		return fmt.Errorf("config: regions.extra_tv_regions %v and extra_tv_dims %v: want one entry for each of extra_inits %v (let train --init set them)", r.ExtraTVRegions, r.ExtraTVDims, c.ExtraInits)
	case len(r.ExtraTVRegions) > 0 && slices.Max(r.Sizes) > slices.Min(r.ExtraTVRegions):
		return fmt.Errorf("config: regions.sizes %v: each must be at most every tv-embedding's region (extra: %v)", r.Sizes, r.ExtraTVRegions)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("config: dropout %g out of range [0, 1)", c.Dropout)
	}
	return c.validateCommon()
}

// tvDiffs lists the settings of c's first tv-embedding (and words) that differ from the
// pretraining pc's.
func tvDiffs(c Config, pc PretrainConfig) []string {
	tv := func(r RegionConfig) RegionConfig {
		return RegionConfig{Vocab: r.Vocab, TVRegion: r.TVRegion, TVDim: r.TVDim}
	}
	return jsonfield.Diff(tv(c.Regions), tv(pc.Regions))
}

// isTVVariable reports the variables of the tv-embeddings (scopes tv, tv2, tv3, ...), the part
// of the region pretraining that the classifier takes.
func isTVVariable(path string) bool {
	rest, ok := strings.CutPrefix(path, "/model/"+smodel.TVScope)
	rest = strings.TrimLeft(rest, "0123456789")
	return ok && strings.HasPrefix(rest, "/")
}
