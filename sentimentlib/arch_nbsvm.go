package sentimentlib

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/ngrams"
)

// NBSVMConfig is the nbsvm architecture's configuration (model.NBSVM): its features (the
// n-gram vocabulary's max_n, max_features and alpha) and the a and s of its logit,
// b + sum_g (w_g + a) r_g / s. For nbsvm, max_len is the most n-grams a review keeps (the most
// frequent ones first).
type NBSVMConfig struct {
	ngrams.Options
	Offset float64 `json:"offset"`
	Scale  float64 `json:"scale"`
}

// nbsvm: NB-weighted uni+bi+trigrams (NBSVM++: Wang & Manning 2012, Howard 2018), a linear
// model over the naive-Bayes log-count ratios of the training split's n-grams.
func init() {
	register(&architecture{
		name: "nbsvm", graph: smodel.NBSVMAttributions, features: ngramFeatures,
		validate: validateNBSVM,
		quick: func(c *Config) { // fast already: a subset and a smaller vocabulary
			c.NBSVM.MaxFeatures, c.MaxLen, c.HeadTokens = 200_000, 2048, 2048
		},
		explains: "each n-gram's exact share of the logit, (w + a) r / s, spread evenly over its words",
		fix: func(store *model.Store, feat Features) error {
			return setNBRatios(store, feat.(*ngrams.Vocabulary))
		},
		checkFixed: func(store *model.Store, feat Features, featuresPath, checkpoint string) error {
			return checkNBRatios(store, feat.(*ngrams.Vocabulary), featuresPath, checkpoint)
		},
	}, map[string]Config{
		// The settings chosen on validation (docs/nbsvm.md; negation marking and the calibration
		// at the end: docs/short-texts.md). max_len 4096 keeps every n-gram of a review (the most
		// frequent ones first if there were more).
		"nbsvm": {
			Calibrate:     true,
			NBSVM:         NBSVMConfig{Options: ngrams.Options{Negation: true}.WithDefaults(), Offset: 0.4, Scale: 10},
			EncoderConfig: EncoderConfig{MaxLen: 4096}, HeadTokens: 4096, Epochs: 2, SelectMetric: "accuracy",
			OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 0.02, WeightDecay: 0.01},
		},
	})
}

// ngramFeatures are the n-gram vocabulary with its naive-Bayes ratios (ngrams.Vocabulary,
// ngrams.json).
var ngramFeatures = &featureKind{
	file: NgramsFile,
	fit: func(data *imdb.Data, cfg Config) (Features, error) {
		return ngrams.Fit(imdb.Texts(data.Train), imdb.Labels(data.Train), cfg.NBSVM.Options)
	},
	load: loadNgrams,
	describe: func(f Features) string {
		v := f.(*ngrams.Vocabulary)
		return fmt.Sprintf("%d n-grams (1 to %d words)", v.Len(), v.Options().MaxN)
	},
	known: func(ids []int32) bool { return len(ids) > 0 },
	words: func(f Features, _ batch.Options, text string, row []int32, attr []float64) []WordAttribution {
		var out []WordAttribution
		words, shares := f.(*ngrams.Vocabulary).Attribute(text, row, attr)
		for i, w := range words {
			out = append(out, WordAttribution{Word: w, Attribution: shares[i]})
		}
		return out
	},
	unkID: -1,
	recipe: "ngrams.json: split the review into words as its \"words\" field says; every n-gram of 1 to max_n words that is in " +
		"\"ngrams\" gives its index there plus 1; the ids are those, each once, sorted ascending",
}

// loadNgrams reads ngrams.json, refusing one fitted with other options than cfg's.
func loadNgrams(path string, cfg Config) (Features, error) {
	v, err := ngrams.Load(path)
	if err != nil {
		return nil, err
	}
	if got, want := v.Options(), cfg.NBSVM.Options; got != want {
		return nil, fmt.Errorf("load: %s was fitted with %+v, but %s says %+v: the files come from different runs; copy a run directory whole", path, got, filepath.Join(filepath.Dir(path), ConfigFile), want)
	}
	return v, nil
}

// validateNBSVM checks an nbsvm configuration: its own fields, and that it asks for nothing
// that belongs to the other architectures.
func validateNBSVM(c Config) error {
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

// setNBRatios puts the n-gram vocabulary's ratios into the store as the fixed (non-trainable)
// variable NBSVM reads.
func setNBRatios(store *model.Store, v *ngrams.Vocabulary) error {
	r := v.Ratios()
	variable, err := store.CreateVariable("/model/"+smodel.NBRatiosVariable, tensors.FromFlatDataAndDimensions(r, len(r)))
	if err != nil {
		return fmt.Errorf("nbsvm: %w", err)
	}
	variable.Trainable = false
	return nil
}

// checkNBRatios reports features whose ratios are not the ones the checkpoint's model was
// trained with: an ngrams.json from another run.
func checkNBRatios(store *model.Store, v *ngrams.Vocabulary, featuresPath, checkpoint string) error {
	variable := store.GetVariable("/model/" + smodel.NBRatiosVariable)
	if variable == nil {
		return fmt.Errorf("load: %s holds no n-gram ratios (%s): it is not an nbsvm checkpoint", checkpoint, smodel.NBRatiosVariable)
	}
	t, err := variable.Value()
	if err != nil {
		return err
	}
	if t.DType() != dtypes.Float32 || !slices.Equal(tensors.MustCopyFlatData[float32](t), v.Ratios()) {
		return fmt.Errorf("load: %s does not belong to %s (its %d n-gram ratios differ from the ones the model was trained with): it comes from another run; copy a run directory whole",
			featuresPath, checkpoint, v.Len())
	}
	return nil
}
