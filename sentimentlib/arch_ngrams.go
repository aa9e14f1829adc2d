package sentimentlib

import (
	"fmt"

	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
)

// The fastText-style bag (model.BagOfNgrams): unigram and hashed bigram embeddings of the
// WordPiece tokens, averaged, then linear.
func init() {
	register(&architecture{
		name: "ngrams", graph: smodel.BagOfNgramsAttributions, features: tokenizerFeatures,
		validate: func(c Config) error {
			if c.NgramBuckets < 1 || c.NgramBuckets > 1<<26 {
				return fmt.Errorf("config: ngram_buckets %d out of range [1, %d] (the hashed bigram table's rows)", c.NgramBuckets, 1<<26)
			}
			return validateTokenModel(c, false)
		},
		quick:    quickTokenModel,
		explains: "Integrated Gradients on the token embeddings",
	}, map[string]Config{
		"ngrams": {
			EncoderConfig: EncoderConfig{Dim: 32, MaxLen: 512}, NgramBuckets: 1 << 19, Dropout: 0.2, Pooling: "mean",
			HeadTokens: 128, Epochs: 4, Patience: 2, SelectMetric: "accuracy",
			OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 5e-3, WarmupSteps: 50, ClipNorm: 1},
			Data:            DataConfig{VocabSize: 30000},
		},
	})
}
