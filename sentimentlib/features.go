package sentimentlib

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
