package sentimentlib

import (
	"context"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// DataConfig selects the data: where the Hugging Face cache is, how the validation split is
// carved, and the tokenizer's vocabulary size.
type DataConfig struct {
	// CacheDir of the Hugging Face hub; empty means $HF_HUB_CACHE, $HF_HOME/hub, or the default.
	CacheDir string `json:"-"`
	// ValidationFraction of the training reviews held out (default 0.1).
	ValidationFraction float64 `json:"validation_fraction"`
	// SplitSeed of the stratified train/validation split (default imdb.DefaultSeed).
	SplitSeed uint64 `json:"split_seed"`
	// ValidationBlock > 0 holds out runs of that many consecutive training reviews instead of
	// single ones (imdb.BlockSplit), so validation, like test, holds mostly movies that training
	// does not (0: single reviews, as before).
	ValidationBlock int `json:"validation_block,omitempty"`
	// VocabSize of the tokenizer (default 30,000).
	VocabSize int `json:"vocab_size"`
	// WithUnsupervised also reads and encodes the 50,000 unlabeled reviews.
	WithUnsupervised bool `json:"with_unsupervised"`
	// TrainSentences adds each training review's first and last sentence of three words or
	// more (ReviewSentences), labelled by the review, as training examples of their own, so
	// that the model also learns from short texts. Validation and test are untouched.
	TrainSentences bool `json:"train_sentences,omitempty"`
	// Offline never downloads.
	Offline bool `json:"-"`
}

// Prepared is the data ready for batching: the splits, the features fitted on the training
// split only, and every review encoded once (ids kept in memory).
type Prepared struct {
	Data     *imdb.Data
	Features Features
	// Tokenizer is Features when they are the WordPiece tokenizer (nil otherwise).
	Tokenizer *tokenize.Tokenizer
	// Encoded token ids of each split, in the order of Data's splits.
	Train, Validation, Test, Unsupervised [][]int32
}

// load reads IMDB as the configuration says: its cache, train/validation split and offline
// mode, with the unlabeled reviews when unlabeled is true.
func (cfg DataConfig) load(ctx context.Context, unlabeled bool) (*imdb.Data, error) {
	return imdb.Load(ctx, imdb.Options{CacheDir: cfg.CacheDir, ValidationFraction: cfg.ValidationFraction, Seed: cfg.SplitSeed,
		ValidationBlock: cfg.ValidationBlock, SkipUnsupervised: !unlabeled, Offline: cfg.Offline})
}

// PrepareData loads IMDB, trains the tokenizer on the training split only, and encodes every
// split in parallel.
func PrepareData(ctx context.Context, cfg DataConfig) (*Prepared, error) {
	data, err := cfg.load(ctx, cfg.WithUnsupervised)
	if err != nil {
		return nil, err
	}
	tok, err := TrainTokenizer(data, cfg.VocabSize)
	if err != nil {
		return nil, err
	}
	return Encode(data, tok), nil
}

// TrainTokenizer trains a tokenizer on the training split of data, and only on it: validation,
// test and unlabeled text never shape the vocabulary.
func TrainTokenizer(data *imdb.Data, vocabSize int) (*tokenize.Tokenizer, error) {
	return tokenize.Train(imdb.Texts(data.Train), tokenize.TrainOptions{VocabSize: vocabSize})
}

// Encode encodes every split of data with the features f.
func Encode(data *imdb.Data, f Features) *Prepared {
	sizes := []int{len(data.Train), len(data.Validation), len(data.Test), len(data.Unsupervised)}
	var texts []string
	for _, s := range [][]imdb.Review{data.Train, data.Validation, data.Test, data.Unsupervised} {
		texts = append(texts, imdb.Texts(s)...)
	}
	ids := f.EncodeAll(texts)
	p := &Prepared{Data: data, Features: f}
	p.Tokenizer, _ = f.(*tokenize.Tokenizer)
	parts := []*[][]int32{&p.Train, &p.Validation, &p.Test, &p.Unsupervised}
	at := 0
	for i, n := range sizes {
		*parts[i] = ids[at : at+n : at+n]
		at += n
	}
	return p
}
