package ngrams

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// Fitting runs in three parallel passes over the training reviews: words (each worker numbers
// the words of its share of the reviews, then one merge ranks them all), n-gram review counts
// (each worker counts the n-grams of one hash partition over every review, so no two workers
// touch one map and nothing is merged), and the selection of the most frequent n-grams.

// indexWords splits texts into words and numbers them from 1, most frequent first (ties in
// byte order), at most maxWords of them (rarer words get 0). It returns the words in id order
// and each text's word ids; with negation, words in a negation's scope are marked (negations).
func indexWords(texts []string, negation bool) (wordList []string, docs [][]uint32) {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(texts)/64))
	docs = make([][]uint32, len(texts))
	type local struct {
		ids    map[string]uint32
		words  []string
		counts []int64
	}
	locals := make([]local, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			l := local{ids: make(map[string]uint32, 1<<16)}
			var buf []byte
			for i := w * len(texts) / workers; i < (w+1)*len(texts)/workers; i++ {
				var doc []uint32
				buf = tokenize.AppendWords(buf, texts[i], negations(negation, func(_, word []byte) {
					id, ok := l.ids[string(word)]
					if !ok {
						id = uint32(len(l.words))
						s := string(word)
						l.ids[s] = id
						l.words = append(l.words, s)
						l.counts = append(l.counts, 0)
					}
					l.counts[id]++
					doc = append(doc, id)
				}))
				docs[i] = doc
			}
			locals[w] = l
		})
	}
	wg.Wait()
	total := make(map[string]int64, len(locals[0].words))
	for _, l := range locals {
		for i, w := range l.words {
			total[w] += l.counts[i]
		}
	}
	wordList = make([]string, 0, len(total))
	for w := range total {
		wordList = append(wordList, w)
	}
	slices.SortFunc(wordList, func(a, b string) int {
		return cmp.Or(cmp.Compare(total[b], total[a]), cmp.Compare(a, b))
	})
	if len(wordList) > maxWords {
		wordList = wordList[:maxWords]
	}
	global := make(map[string]uint32, len(wordList))
	for i, w := range wordList {
		global[w] = uint32(i + 1)
	}
	for w := range workers {
		wg.Go(func() {
			remap := make([]uint32, len(locals[w].words))
			for i, word := range locals[w].words {
				remap[i] = global[word] // 0 for a word past maxWords
			}
			for i := w * len(texts) / workers; i < (w+1)*len(texts)/workers; i++ {
				for j, id := range docs[i] {
					docs[i][j] = remap[id]
				}
			}
		})
	}
	wg.Wait()
	return wordList, docs
}

// partition of an n-gram key among n workers (a multiplicative hash, so that frequent and rare
// n-grams spread evenly).
func partition(key uint64, n int) int {
	return int((key * 0x9E3779B97F4A7C15 >> 32) % uint64(n))
}

// countNgrams counts, for every n-gram of 1 to maxN words (none holding a 0 word id), the
// positive and the negative reviews containing it: the map values hold the positive count in
// their high 32 bits and the negative count in the low 32. It returns one map per partition.
func countNgrams(docs [][]uint32, labels []int, maxN int) []map[uint64]uint64 {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(docs)/64))
	parts := make([]map[uint64]uint64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			m := make(map[uint64]uint64, 1<<20)
			var keys []uint64
			for i, doc := range docs {
				keys = keys[:0]
				for j := range doc {
					var key uint64
					for n := 1; n <= maxN && j+n <= len(doc); n++ {
						id := doc[j+n-1]
						if id == 0 {
							break
						}
						key = key<<wordBits | uint64(id)
						if partition(key, workers) == w {
							keys = append(keys, key)
						}
					}
				}
				slices.Sort(keys)
				inc := uint64(1)
				if labels[i] == 1 {
					inc = 1 << 32
				}
				for _, k := range slices.Compact(keys) {
					m[k] += inc
				}
			}
			parts[w] = m
		})
	}
	wg.Wait()
	return parts
}

// counted is one n-gram's key and its packed review counts.
type counted struct {
	key, count uint64
}

func reviews(count uint64) uint64 { return count>>32 + count&math.MaxUint32 }

// selectTop returns the k n-grams found in the most reviews, ties broken by key, most
// frequent first.
func selectTop(parts []map[uint64]uint64, k int) []counted {
	var hist []int // hist[d]: n-grams found in d reviews
	for _, m := range parts {
		for _, c := range m {
			d := int(reviews(c))
			if d >= len(hist) {
				hist = append(hist, make([]int, d+1-len(hist))...)
			}
			hist[d]++
		}
	}
	// cutoff: every n-gram above it is kept, and some of those at it.
	cutoff, above := 0, 0
	for d := len(hist) - 1; d > 0; d-- {
		if above+hist[d] >= k {
			cutoff = d
			break
		}
		above += hist[d]
	}
	var kept, ties []counted
	for _, m := range parts {
		for key, c := range m {
			switch d := int(reviews(c)); {
			case d > cutoff:
				kept = append(kept, counted{key, c})
			case d == cutoff:
				ties = append(ties, counted{key, c})
			}
		}
	}
	slices.SortFunc(ties, func(a, b counted) int { return cmp.Compare(a.key, b.key) })
	kept = append(kept, ties[:min(len(ties), k-len(kept))]...)
	slices.SortFunc(kept, func(a, b counted) int {
		return cmp.Or(cmp.Compare(reviews(b.count), reviews(a.count)), cmp.Compare(a.key, b.key))
	})
	return kept
}
