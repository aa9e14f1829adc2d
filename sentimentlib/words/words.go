// Package words is the text featurizer of the region models (Johnson & Zhang 2015): a review
// becomes the sequence of its words' ids, in order, from a vocabulary of the most frequent
// words of the training split. Id 0 is padding and id 1 stands for every word outside the
// vocabulary, which the models read as nothing (a zero vector), as the paper does. The words
// are tokenize.AppendWords': the tokenizer's normalization, punctuation marks as words,
// apostrophes kept inside words. Save writes the vocabulary as JSON (words.json).
package words

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/par"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// Special ids.
const (
	PadID     int32 = 0
	UnknownID int32 = 1
)

// Format names the layout of the saved vocabulary.
const Format = "sentiment-words-v1"

// DefaultSize is the vocabulary size of Johnson & Zhang's IMDB experiments.
const DefaultSize = 30_000

// Vocabulary maps words to ids. It is safe for concurrent use.
type Vocabulary struct {
	words []string // id-2 -> word
	ids   map[string]int32
}

// Fit keeps the size most frequent words of texts (ties in byte order). Pass the training
// split only.
func Fit(texts []string, size int) (*Vocabulary, error) {
	if size < 1 {
		return nil, fmt.Errorf("words: vocabulary size %d must be >= 1 (for example %d)", size, DefaultSize)
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("words: no training reviews to fit the vocabulary on")
	}
	counts := tokenize.CountWordsWith(texts, tokenize.AppendWords)
	all := make([]string, 0, len(counts))
	for w := range counts {
		all = append(all, w)
	}
	slices.SortFunc(all, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b)) })
	return newVocabulary(all[:min(size, len(all))])
}

func newVocabulary(words []string) (*Vocabulary, error) {
	v := &Vocabulary{words: words, ids: make(map[string]int32, len(words))}
	for i, w := range words {
		if _, dup := v.ids[w]; dup || w == "" {
			return nil, fmt.Errorf("words: word %d %q is empty or appears twice", i, w)
		}
		v.ids[w] = int32(i + 2)
	}
	return v, nil
}

// VocabSize is the number of ids: the words, padding and the unknown id.
func (v *Vocabulary) VocabSize() int { return len(v.words) + 2 }

// Len is the number of words.
func (v *Vocabulary) Len() int { return len(v.words) }

// Word returns the word of an id ("" for padding and the unknown id).
func (v *Vocabulary) Word(id int32) string {
	if id < 2 || int(id) >= len(v.words)+2 {
		return ""
	}
	return v.words[id-2]
}

// ID returns the id of a word: UnknownID outside the vocabulary.
func (v *Vocabulary) ID(word string) int32 {
	if id, ok := v.ids[word]; ok {
		return id
	}
	return UnknownID
}

// Encode returns the ids of text's words, in order. It never panics.
func (v *Vocabulary) Encode(text string) []int32 {
	var buf []byte
	return v.encode(&buf, text)
}

func (v *Vocabulary) encode(buf *[]byte, text string) []int32 {
	var ids []int32
	*buf = tokenize.AppendWords(*buf, text, func(w []byte) { ids = append(ids, v.ID(string(w))) })
	return ids
}

// EncodeAll encodes texts in parallel (one goroutine per CPU).
func (v *Vocabulary) EncodeAll(texts []string) [][]int32 {
	out := make([][]int32, len(texts))
	par.Chunks(len(texts), func(lo, hi int) {
		var buf []byte
		for i := lo; i < hi; i++ {
			out[i] = v.encode(&buf, texts[i])
		}
	})
	return out
}

// Split returns text's words as the featurizer splits them, one per id of Encode.
func Split(text string) []string {
	var out []string
	tokenize.AppendWords(nil, text, func(w []byte) { out = append(out, string(w)) })
	return out
}

type file struct {
	Format string   `json:"format"`
	Words  []string `json:"words"` // id i+2 is Words[i]; 0 is padding, 1 any other word
}

// Save writes the vocabulary to path as JSON, atomically.
func (v *Vocabulary) Save(path string) error {
	b, err := json.Marshal(file{Format: Format, Words: v.words})
	if err != nil {
		return err
	}
	return rundir.WriteFileAtomic(path, b)
}

// Load reads a vocabulary saved by Save.
func Load(path string) (*Vocabulary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("words: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil || f.Format != Format {
		return nil, fmt.Errorf("words: %s is not a word vocabulary written by sentiment (format %q, %v)", path, f.Format, err)
	}
	v, err := newVocabulary(f.Words)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return v, nil
}
