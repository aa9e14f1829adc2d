package sentimentlib

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/ngrams"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
	"github.com/sentiment-go/sentiment/sentimentlib/words"
)

// NgramsFile is the n-gram vocabulary and naive-Bayes ratios of an nbsvm model (package ngrams).
const NgramsFile = "ngrams.json"

// Features turn review text into the ids a model reads, fitted on the training split only and
// saved beside the model: the WordPiece tokenizer (*tokenize.Tokenizer, tokenizer.json) for the
// transformer and the n-gram bag, the n-gram vocabulary with its naive-Bayes ratios
// (*ngrams.Vocabulary, ngrams.json) for nbsvm, the word vocabulary (*words.Vocabulary,
// words.json) for the region CNN.
type Features interface {
	// Encode returns the ids of one text (no padding); EncodeAll encodes many in parallel.
	Encode(text string) []int32
	EncodeAll(texts []string) [][]int32
	// VocabSize is the number of ids, padding (0) included.
	VocabSize() int
	Save(path string) error
}

// featuresFile is the file name of cfg's features in a model directory.
func featuresFile(cfg Config) string {
	switch cfg.Architecture {
	case "nbsvm":
		return NgramsFile
	case "region_cnn":
		return WordsFile
	}
	return TokenizerFile
}

// fitFeatures fits cfg's features on the training split of data, and only on it.
func fitFeatures(data *imdb.Data, cfg Config) (Features, error) {
	switch cfg.Architecture {
	case "nbsvm":
		return ngrams.Fit(imdb.Texts(data.Train), imdb.Labels(data.Train), cfg.NBSVM.Options)
	case "region_cnn":
		return words.Fit(imdb.Texts(data.Train), cfg.Regions.Vocab)
	}
	return TrainTokenizer(data, cfg.Data.VocabSize)
}

// loadFeatures reads the features of cfg's architecture from a model directory.
func loadFeatures(dir string, cfg Config) (Features, error) {
	path := filepath.Join(dir, featuresFile(cfg))
	if cfg.Architecture == "nbsvm" {
		v, err := ngrams.Load(path)
		if err != nil {
			return nil, err
		}
		if got, want := v.Options(), cfg.NBSVM.Options; got != want {
			return nil, fmt.Errorf("load: %s was fitted with %+v, but %s says %+v: the files come from different runs; copy a run directory whole", path, got, filepath.Join(dir, ConfigFile), want)
		}
		return v, nil
	}
	if cfg.Architecture == "region_cnn" {
		return words.Load(path)
	}
	return tokenize.Load(path)
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
