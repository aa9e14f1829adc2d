package tokenize

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"unicode/utf8"
)

// TrainOptions configure Train. Zero values take the defaults.
type TrainOptions struct {
	// VocabSize is the target vocabulary size, special tokens included (default 30,000).
	VocabSize int
	// MinWordFreq is the minimum count for a whole word to enter the vocabulary (default 3).
	MinWordFreq int
	// MinCharFreq is the minimum count for a character to enter the vocabulary (default 5):
	// rarer characters (stray symbols, other scripts) become [UNK].
	MinCharFreq int
	// SubwordFraction of the non-character budget given to prefixes and "##" suffixes of rare
	// words (default 0.2).
	SubwordFraction float64
}

func (o *TrainOptions) defaults() {
	if o.VocabSize == 0 {
		o.VocabSize = 30_000
	}
	if o.MinWordFreq == 0 {
		o.MinWordFreq = 3
	}
	if o.MinCharFreq == 0 {
		o.MinCharFreq = 5
	}
	if o.SubwordFraction == 0 {
		o.SubwordFraction = 0.2
	}
}

// CountWords counts the normalized, pre-tokenized words of texts, in parallel.
func CountWords(texts []string) map[string]int {
	return CountWordsWith(texts, func(buf []byte, text string, fn func([]byte)) []byte {
		buf = normalize(buf[:0], text)
		splitWords(buf, fn)
		return buf
	})
}

// CountWordsWith counts the words that appendWords (AppendWords, or a function like it) finds
// in texts, in parallel.
func CountWordsWith(texts []string, appendWords func(buf []byte, text string, fn func(word []byte)) []byte) map[string]int {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(texts)/64))
	partial := make([]map[string]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			counts := make(map[string]int, 1<<16)
			var buf []byte
			for i := w; i < len(texts); i += workers {
				buf = appendWords(buf, texts[i], func(word []byte) { counts[string(word)]++ })
			}
			partial[w] = counts
		})
	}
	wg.Wait()
	total := partial[0]
	for _, p := range partial[1:] {
		for k, v := range p {
			total[k] += v
		}
	}
	return total
}

type tokenCount struct {
	tok   string
	count int
}

// sortedCounts sorts by count descending, then token ascending: training is deterministic.
func sortedCounts(m map[string]int) []tokenCount {
	out := make([]tokenCount, 0, len(m))
	for k, v := range m {
		out = append(out, tokenCount{k, v})
	}
	slices.SortFunc(out, func(a, b tokenCount) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return cmp.Compare(a.tok, b.tok)
	})
	return out
}

// Train builds a tokenizer from texts, which must be training-split text only: the vocabulary
// must never see validation or test reviews.
func Train(texts []string, opts TrainOptions) (*Tokenizer, error) {
	opts.defaults()
	if len(texts) == 0 {
		return nil, fmt.Errorf("tokenize: no training text given")
	}
	if opts.VocabSize < 100 {
		return nil, fmt.Errorf("tokenize: vocabulary size %d is too small, use at least 100", opts.VocabSize)
	}
	words := CountWords(texts)
	tokens := slices.Clone(SpecialTokens)
	seen := map[string]bool{}
	for _, s := range tokens {
		seen[s] = true
	}
	add := func(tok string) bool {
		if seen[tok] || len(tokens) >= opts.VocabSize {
			return false
		}
		seen[tok] = true
		tokens = append(tokens, tok)
		return true
	}

	// 1. Characters, as word starts and as continuations.
	chars := map[string]int{}
	for w, c := range words {
		for _, r := range w {
			chars[string(r)] += c
		}
	}
	for _, tc := range sortedCounts(chars) {
		if tc.count < opts.MinCharFreq {
			break
		}
		add(tc.tok)
		add(ContinuationPrefix + tc.tok)
	}

	// 2. Whole words, most frequent first, leaving room for subword pieces.
	budget := opts.VocabSize - len(tokens)
	wordBudget := budget - int(float64(budget)*opts.SubwordFraction)
	sortedWords := sortedCounts(words)
	var rare []tokenCount
	for _, tc := range sortedWords {
		if tc.count >= opts.MinWordFreq && wordBudget > 0 && utf8.RuneCountInString(tc.tok) <= MaxInputCharsPerWord {
			if add(tc.tok) {
				wordBudget--
			}
			continue
		}
		if !seen[tc.tok] {
			rare = append(rare, tc)
		}
	}

	// 3. Prefixes (2-6 characters) and "##" suffixes (1-6 characters) of the words left out,
	// weighted by how often those words occur.
	pieces := map[string]int{}
	for _, tc := range rare {
		runes := []rune(tc.tok)
		n := len(runes)
		if n < 3 || n > 40 {
			continue
		}
		for k := 2; k <= min(6, n-1); k++ {
			pieces[string(runes[:k])] += tc.count
		}
		for k := 1; k <= min(6, n-2); k++ {
			pieces[ContinuationPrefix+string(runes[n-k:])] += tc.count
		}
	}
	for _, tc := range sortedCounts(pieces) {
		if len(tokens) >= opts.VocabSize || tc.count < opts.MinWordFreq {
			break
		}
		add(tc.tok)
	}
	// 4. Fill any remaining room with the next most frequent words.
	for _, tc := range rare {
		if len(tokens) >= opts.VocabSize || tc.count < 2 {
			break
		}
		add(tc.tok)
	}
	return newFromTokens(tokens)
}
