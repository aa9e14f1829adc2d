// Package tvsample draws the training examples of the tv-embedding (Johnson & Zhang 2015b,
// unsup-tv) from encoded reviews: regions of q words, each with the target words of the q words
// on its left and on its right (kept apart; stop words and words outside the vocabulary left
// out) labelled 1, and negatives drawn by frequency among the text's target words labelled 0.
// The graph that learns from them is model.RegionEmbedding, its loss loss.RegionTargets.
package tvsample

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"

	"github.com/sentiment-go/sentiment/sentimentlib/words"
)

// Options shape the examples: Region words a region (q), Regions drawn from each review of a
// batch, Negatives drawn for each positive target, weighted NegativeWeight.
type Options struct {
	Region, Regions, Negatives int
	NegativeWeight             float64
}

// Sampler draws tv-embedding examples from encoded reviews.
type Sampler struct {
	q, perReview, negatives int
	negativeWeight          float32
	vocab                   int       // ids; the targets of the right context are offset by it
	target                  []bool    // whether a word id is a target (not a stop word, in the vocabulary)
	cumulative              []float64 // of the target words' frequencies, for drawing negatives
}

// New returns the sampler of o over the vocabulary v, drawing negatives by the target words'
// frequencies in docs.
func New(o Options, v *words.Vocabulary, docs [][]int32) *Sampler {
	s := &Sampler{q: o.Region, perReview: o.Regions, negatives: o.Negatives,
		negativeWeight: float32(o.NegativeWeight), vocab: v.VocabSize(), target: make([]bool, v.VocabSize())}
	for id := int32(2); id < int32(v.VocabSize()); id++ {
		s.target[id] = !IsStopWord(v.Word(id))
	}
	counts := make([]float64, v.VocabSize())
	for _, d := range docs {
		for _, id := range d {
			if s.target[id] {
				counts[id]++
			}
		}
	}
	s.cumulative = make([]float64, len(counts))
	sum := 0.0
	for i, c := range counts {
		sum += c
		s.cumulative[i] = sum
	}
	return s
}

// slots is the number of targets of a region: up to q words on each side, and their negatives.
func (s *Sampler) slots() int { return 2 * s.q * (1 + s.negatives) }

// Batch is one batch of tv-embedding examples, row-major: Regions [Rows, Q] (word ids; 0 and 1
// read as nothing), Targets, Labels and Weights [Rows, Slots] (a slot of weight 0 is empty).
type Batch struct {
	Rows, Q, Slots   int
	Regions, Targets []int32
	Labels, Weights  []float32
}

// Train is the batch as the trainer takes it: inputs regions and targets, labels the labels
// and weights.
func (b *Batch) Train() train.Batch {
	return train.Batch{
		Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(b.Regions, b.Rows, b.Q), tensors.FromFlatDataAndDimensions(b.Targets, b.Rows, b.Slots)},
		Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(b.Labels, b.Rows, b.Slots), tensors.FromFlatDataAndDimensions(b.Weights, b.Rows, b.Slots)},
	}
}

// Batch draws the sampler's regions from each of the reviews in tokens (rows of a padded
// [reviews, L] matrix; padding is 0). A region centred on word c covers words c-(q-1)/2 on;
// its targets are the q words before it and the q words after it.
func (s *Sampler) Batch(rng *rand.Rand, tokens []int32, reviews int) *Batch {
	L := len(tokens) / reviews
	T := s.slots()
	b := &Batch{Rows: reviews * s.perReview, Q: s.q, Slots: T}
	b.Regions = make([]int32, b.Rows*s.q)
	b.Targets = make([]int32, b.Rows*T)
	b.Labels = make([]float32, b.Rows*T)
	b.Weights = make([]float32, b.Rows*T)
	for d := range reviews {
		doc := tokens[d*L : (d+1)*L]
		n := len(doc)
		for n > 0 && doc[n-1] == 0 {
			n--
		}
		doc = doc[:n]
		for k := range s.perReview {
			if n == 0 {
				continue // an empty review: the row keeps weight 0
			}
			s.fill(b, d*s.perReview+k, rng, doc)
		}
	}
	return b
}

// fill draws row r of b from doc: a region, its targets and their negatives.
func (s *Sampler) fill(b *Batch, r int, rng *rand.Rand, doc []int32) {
	T := b.Slots
	region, pos := s.Example(doc, rng.IntN(len(doc)))
	copy(b.Regions[r*s.q:], region)
	slot := r * T
	for _, t := range pos {
		b.Targets[slot], b.Labels[slot], b.Weights[slot] = t, 1, 1
		slot++
	}
	for range len(pos) * s.negatives {
		x := rng.Float64() * s.cumulative[len(s.cumulative)-1]
		id := int32(sort.Search(len(s.cumulative)-1, func(i int) bool { return s.cumulative[i] > x }))
		t := id + int32(rng.IntN(2)*s.vocab)
		if slices.Contains(pos, t) {
			continue
		}
		b.Targets[slot], b.Weights[slot] = t, s.negativeWeight
		slot++
	}
}

// Example is the region of doc centred on word centre (padding beyond the review) and its
// targets: the target words among the q words before the region, and, offset by the
// vocabulary size, among the q words after it, each once.
func (s *Sampler) Example(doc []int32, centre int) (region, targets []int32) {
	word := func(i int) int32 {
		if i < 0 || i >= len(doc) {
			return 0
		}
		return doc[i]
	}
	start := centre - (s.q-1)/2
	region = make([]int32, s.q)
	for j := range s.q {
		region[j] = word(start + j)
	}
	for side, from := range []int{start - s.q, start + s.q} {
		for j := range s.q {
			id := word(from + j)
			t := id + int32(side*s.vocab)
			if s.target[id] && !slices.Contains(targets, t) {
				targets = append(targets, t)
			}
		}
	}
	return region, targets
}

// IsStopWord reports the words the tv-embedding does not learn to predict: punctuation and the
// function words (articles, pronouns, prepositions, conjunctions, auxiliaries), as Johnson &
// Zhang's minstop list leaves out.
func IsStopWord(w string) bool {
	if stopWords[w] {
		return true
	}
	for _, r := range w {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 {
			return false
		}
	}
	return true // punctuation alone
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but nor so yet if then than as of in on at to from by for with about
		into onto over under between through during before after above below up down out off again further once
		i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself she her hers
		herself it its itself they them their theirs themselves what which who whom whose this that these those
		am is are was were be been being have has had having do does did doing will would shall should can could
		may might must 's 'd 'll 're 've 'm there here when where while because although it's i'm i've i'd i'll
		you're you've he's she's that's there's`) {
		m[w] = true
	}
	return m
}()
