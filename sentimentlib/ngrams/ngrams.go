// Package ngrams is the text featurizer of the nbsvm model: binarized word n-grams (one to MaxN
// words) of normalized review text, a vocabulary of the MaxFeatures n-grams found in the most
// training reviews, and each n-gram's naive-Bayes log-count ratio (Wang & Manning 2012,
// "Baselines and Bigrams: Simple, Good Sentiment and Topic Classification"):
//
//	r = log((p / |p|_1) / (q / |q|_1))
//
// where p holds, for each vocabulary n-gram, Alpha plus the number of positive training reviews
// that contain it, and q the same for negative reviews. r > 0 leans positive, r < 0 negative.
//
// A review is encoded as the sorted ids of the vocabulary n-grams it contains, each once
// (binarized, as NBSVM: whether an n-gram occurs, not how often), with ids from 1 so that 0 is
// padding, as for the tokenizer. The words are tokenize.AppendWords': the tokenizer's
// normalization (lowercase, "<br />" removed), words and single punctuation marks, apostrophes
// kept inside words.
//
// The vocabulary and the ratios are fitted on the training split only (Fit). Save writes them
// as JSON (ngrams.json) that any language reads: the n-grams in id order, their ratios and
// their review counts.
package ngrams

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/par"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// Defaults of Options.
const (
	DefaultMaxN        = 3
	DefaultMaxFeatures = 800_000
	DefaultAlpha       = 1.0
)

// Format names the layout of the saved vocabulary.
const Format = "sentiment-ngrams-v1"

// An n-gram is packed into a uint64 key as up to three word ids of wordBits bits each (ids
// start at 1, so a shorter n-gram's leading slots are 0 and keys never collide).
const (
	wordBits = 21
	maxWords = 1<<wordBits - 1
	maxN     = 3
)

// Options of the featurizer, saved with it.
type Options struct {
	// MaxN is the longest n-gram, in words (1 to 3; default 3: uni-, bi- and trigrams).
	MaxN int `json:"max_n"`
	// MaxFeatures is the vocabulary size limit: the n-grams found in the most training reviews
	// are kept (default 800,000).
	MaxFeatures int `json:"max_features"`
	// Alpha is the naive-Bayes smoothing count added to each n-gram's review counts (default 1).
	Alpha float64 `json:"alpha"`
	// Negation marks the words in the scope of a negation ("didn't like it": didn't, not_like,
	// not_it; see NegationPrefix), so negated words get their own ratios.
	Negation bool `json:"negation,omitempty"`
}

// WithDefaults fills the zero fields with the defaults.
func (o Options) WithDefaults() Options {
	o.MaxN = cmp.Or(o.MaxN, DefaultMaxN)
	o.MaxFeatures = cmp.Or(o.MaxFeatures, DefaultMaxFeatures)
	o.Alpha = cmp.Or(o.Alpha, DefaultAlpha)
	return o
}

// Validate checks the options (after WithDefaults), with an error naming the field.
func (o Options) Validate() error {
	switch {
	case o.MaxN < 1 || o.MaxN > maxN:
		return fmt.Errorf("ngrams: max_n %d out of range [1, %d]", o.MaxN, maxN)
	case o.MaxFeatures < 1:
		return fmt.Errorf("ngrams: max_features %d must be >= 1 (for example 800000)", o.MaxFeatures)
	case !(o.Alpha > 0) || math.IsInf(o.Alpha, 0):
		return fmt.Errorf("ngrams: alpha %g must be a positive smoothing count (for example 1)", o.Alpha)
	}
	return nil
}

// Vocabulary is a fitted featurizer: the n-grams, their ratios and review counts. It is safe
// for concurrent use.
type Vocabulary struct {
	opts   Options
	ngrams []string  // id-1 -> the n-gram's words joined by single spaces
	ratios []float32 // id-1 -> naive-Bayes log-count ratio
	// positive, negative: id-1 -> training reviews of that label containing the n-gram.
	positive, negative []int32
	words              map[string]uint64 // word -> word id (from 1) of the words of the n-grams
	index              map[uint64]int32  // packed n-gram -> feature id (from 1)
}

// Fit builds the vocabulary and the ratios from training reviews and their labels (0 negative,
// 1 positive). Only these texts shape them: pass the training split, never validation or test.
func Fit(texts []string, labels []int, opts Options) (*Vocabulary, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(texts) != len(labels) {
		return nil, fmt.Errorf("ngrams: %d texts but %d labels", len(texts), len(labels))
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("ngrams: no training reviews to fit the vocabulary on")
	}
	for i, l := range labels {
		if l != 0 && l != 1 {
			return nil, fmt.Errorf("ngrams: review %d has label %d: the ratios need labelled reviews (0 or 1)", i, l)
		}
	}
	wordList, docs := indexWords(texts, opts.Negation)
	counts := countNgrams(docs, labels, opts.MaxN)
	kept := selectTop(counts, opts.MaxFeatures)
	ngrams := make([]string, len(kept))
	pos, neg := make([]int32, len(kept)), make([]int32, len(kept))
	var parts []string
	for i, c := range kept {
		parts = parts[:0]
		for _, id := range unpack(c.key) {
			parts = append(parts, wordList[id-1])
		}
		ngrams[i] = strings.Join(parts, " ")
		pos[i], neg[i] = int32(c.count>>32), int32(c.count&math.MaxUint32)
	}
	return newVocabulary(opts, ngrams, Ratios(pos, neg, opts.Alpha), pos, neg)
}

// Ratios are the naive-Bayes log-count ratios of n-grams found in pos[i] positive and neg[i]
// negative reviews, with smoothing alpha: log((p_i/|p|_1) / (q_i/|q|_1)), p = alpha + pos,
// q = alpha + neg.
func Ratios(pos, neg []int32, alpha float64) []float32 {
	var sp, sq float64
	for i := range pos {
		sp += alpha + float64(pos[i])
		sq += alpha + float64(neg[i])
	}
	out := make([]float32, len(pos))
	for i := range pos {
		out[i] = float32(math.Log((alpha+float64(pos[i]))/sp) - math.Log((alpha+float64(neg[i]))/sq))
	}
	return out
}

// newVocabulary indexes n-grams (in id order) for encoding. Fit and Load both build through it,
// so a saved and reloaded vocabulary encodes exactly as the fitted one.
func newVocabulary(opts Options, ngrams []string, ratios []float32, pos, neg []int32) (*Vocabulary, error) {
	if len(ratios) != len(ngrams) || len(pos) != len(ngrams) || len(neg) != len(ngrams) {
		return nil, fmt.Errorf("ngrams: %d n-grams but %d ratios and %d/%d review counts", len(ngrams), len(ratios), len(pos), len(neg))
	}
	v := &Vocabulary{opts: opts, ngrams: ngrams, ratios: ratios, positive: pos, negative: neg,
		words: make(map[string]uint64), index: make(map[uint64]int32, len(ngrams))}
	var ids [maxN]uint64
	for i, g := range ngrams {
		ws := strings.Split(g, " ")
		if len(ws) > opts.MaxN || slices.Contains(ws, "") {
			return nil, fmt.Errorf("ngrams: n-gram %d %q is not 1 to %d words separated by single spaces", i+1, g, opts.MaxN)
		}
		if math.IsNaN(float64(ratios[i])) || math.IsInf(float64(ratios[i]), 0) {
			return nil, fmt.Errorf("ngrams: n-gram %d %q has ratio %v", i+1, g, ratios[i])
		}
		for j, w := range ws {
			id, ok := v.words[w]
			if !ok {
				if len(v.words) == maxWords {
					return nil, fmt.Errorf("ngrams: more than %d distinct words in the n-grams", maxWords)
				}
				id = uint64(len(v.words) + 1)
				v.words[w] = id
			}
			ids[j] = id
		}
		key := pack(ids[:len(ws)])
		if _, dup := v.index[key]; dup {
			return nil, fmt.Errorf("ngrams: n-gram %q appears twice", g)
		}
		v.index[key] = int32(i + 1)
	}
	return v, nil
}

func pack(ids []uint64) uint64 {
	var k uint64
	for _, id := range ids {
		k = k<<wordBits | id
	}
	return k
}

func unpack(key uint64) []uint64 {
	var ids []uint64
	for ; key != 0; key >>= wordBits {
		ids = append(ids, key&maxWords)
	}
	slices.Reverse(ids)
	return ids
}

// Options returns the options the vocabulary was fitted with.
func (v *Vocabulary) Options() Options { return v.opts }

// Len is the number of n-grams.
func (v *Vocabulary) Len() int { return len(v.ngrams) }

// VocabSize is the number of ids, padding included: Len()+1.
func (v *Vocabulary) VocabSize() int { return len(v.ngrams) + 1 }

// NGram returns the n-gram of an id ("" for 0 and ids out of range).
func (v *Vocabulary) NGram(id int32) string {
	if id < 1 || int(id) > len(v.ngrams) {
		return ""
	}
	return v.ngrams[id-1]
}

// ID returns the id of an n-gram (its words joined by single spaces), and whether it is in the
// vocabulary.
func (v *Vocabulary) ID(ngram string) (int32, bool) {
	var ids [maxN]uint64
	ws := strings.Split(ngram, " ")
	if len(ws) > maxN {
		return 0, false
	}
	for j, w := range ws {
		id, ok := v.words[w]
		if !ok {
			return 0, false
		}
		ids[j] = id
	}
	id, ok := v.index[pack(ids[:len(ws)])]
	return id, ok
}

// Ratios returns the ratio of each id, index 0 (padding) being 0: the table the model scales
// its weights with. The slice is new.
func (v *Vocabulary) Ratios() []float32 {
	return append([]float32{0}, v.ratios...)
}

// Counts returns how many positive and negative training reviews contain the n-gram of id.
func (v *Vocabulary) Counts(id int32) (positive, negative int) {
	if id < 1 || int(id) > len(v.ngrams) {
		return 0, 0
	}
	return int(v.positive[id-1]), int(v.negative[id-1])
}

// encoder holds one goroutine's buffers.
type encoder struct {
	buf  []byte
	wids []uint64
}

// words appends text's word ids to e.wids (0 for words outside the vocabulary's n-grams).
func (e *encoder) words(v *Vocabulary, text string) {
	e.wids = e.wids[:0]
	e.buf = tokenize.AppendWords(e.buf, text, negations(v.opts.Negation, func(_, key []byte) {
		e.wids = append(e.wids, v.words[string(key)])
	}))
}

// each calls fn with every vocabulary n-gram occurrence of the word ids in e.wids: its id, the
// position of its first word and its length.
func (e *encoder) each(v *Vocabulary, fn func(id int32, start, n int)) {
	w := e.wids
	for i := range w {
		var key uint64
		for n := 1; n <= v.opts.MaxN && i+n <= len(w); n++ {
			if w[i+n-1] == 0 {
				break // no n-gram holds an unknown word
			}
			key = key<<wordBits | w[i+n-1]
			if id, ok := v.index[key]; ok {
				fn(id, i, n)
			}
		}
	}
}

func (e *encoder) encode(v *Vocabulary, text string) []int32 {
	e.words(v, text)
	var ids []int32
	e.each(v, func(id int32, _, _ int) { ids = append(ids, id) })
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Encode returns the sorted ids of the vocabulary n-grams in text, each once. Text with no
// vocabulary n-gram (empty, or only unknown words) gives no ids. It never panics.
func (v *Vocabulary) Encode(text string) []int32 {
	var e encoder
	return e.encode(v, text)
}

// EncodeAll encodes texts in parallel (one goroutine per CPU).
func (v *Vocabulary) EncodeAll(texts []string) [][]int32 {
	out := make([][]int32, len(texts))
	par.Chunks(len(texts), func(lo, hi int) {
		var e encoder
		for i := lo; i < hi; i++ {
			out[i] = e.encode(v, texts[i])
		}
	})
	return out
}

// Attribute spreads values over the words of text: values[i] belongs to the n-gram ids[i]
// (ids as Encode returns them, or a subset; 0 is skipped), and each n-gram's value is divided
// evenly among its occurrences in text and, within one, among its words. It returns text's
// words (as the featurizer splits them) and each word's share, which add up to the sum of the
// values of the n-grams that occur in text. Since the nbsvm logit is a sum over its n-grams,
// this maps its exact per-n-gram contributions back to the words.
func (v *Vocabulary) Attribute(text string, ids []int32, values []float64) (words []string, shares []float64) {
	var e encoder
	e.buf = tokenize.AppendWords(e.buf, text, negations(v.opts.Negation, func(w, key []byte) {
		words = append(words, string(w))
		e.wids = append(e.wids, v.words[string(key)])
	}))
	value := make(map[int32]float64, len(ids))
	for i, id := range ids {
		if id != 0 && i < len(values) {
			value[id] += values[i]
		}
	}
	occurrences := make(map[int32]int, len(ids))
	e.each(v, func(id int32, _, _ int) {
		if _, ok := value[id]; ok {
			occurrences[id]++
		}
	})
	shares = make([]float64, len(words))
	e.each(v, func(id int32, start, n int) {
		if c := occurrences[id]; c > 0 {
			share := value[id] / float64(c*n)
			for j := start; j < start+n; j++ {
				shares[j] += share
			}
		}
	})
	return words, shares
}

// file is the saved form of a Vocabulary.
type file struct {
	Format string `json:"format"`
	Options
	// Words says how the text is split into words, for readers in other languages.
	Words    string    `json:"words"`
	NGrams   []string  `json:"ngrams"`
	Ratios   []float32 `json:"ratios"`
	Positive []int32   `json:"positive_reviews"`
	Negative []int32   `json:"negative_reviews"`
}

// WordsDescription is the "words" field of the saved file.
const WordsDescription = tokenize.WordsDescription + `; an n-gram is its words joined by single spaces, and its id is its index in "ngrams" plus 1 (0 is padding)`

// Save writes the vocabulary to path as JSON, atomically.
func (v *Vocabulary) Save(path string) error {
	words := WordsDescription
	if v.opts.Negation {
		words += NegationDescription
	}
	b, err := json.Marshal(file{Format: Format, Options: v.opts, Words: words, NGrams: v.ngrams,
		Ratios: v.ratios, Positive: v.positive, Negative: v.negative})
	if err != nil {
		return fmt.Errorf("ngrams: %w", err)
	}
	return rundir.WriteFileAtomic(path, b)
}

// Load reads a vocabulary saved by Save.
func Load(path string) (*Vocabulary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ngrams: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("ngrams: %s is not an n-gram vocabulary: %w", path, err)
	}
	if f.Format != Format {
		return nil, fmt.Errorf("ngrams: %s has format %q, want %q (is it an n-gram vocabulary written by sentiment train?)", path, f.Format, Format)
	}
	if err := f.Options.Validate(); err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	v, err := newVocabulary(f.Options, f.NGrams, f.Ratios, f.Positive, f.Negative)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return v, nil
}
