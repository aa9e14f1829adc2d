// Package mlm holds the host side of masked-language-model pretraining: choosing the tokens to
// predict and corrupting the input, BERT-style (Devlin et al. 2019, "BERT: Pre-training of Deep
// Bidirectional Transformers"), with whole-word masking.
//
// For each sequence, Rate (15%) of its maskable tokens are chosen; each chosen token is replaced
// by [MASK] with probability 0.8, by a random ordinary token with probability 0.1, and kept with
// probability 0.1 (the "80/10/10 rule": the model cannot assume that only [MASK] positions
// matter, and must keep a good representation of every token). Padding and special tokens
// ([PAD], [UNK], [CLS], [SEP], [MASK]) are never chosen, and never used as random replacements.
// With whole-word masking, a word's WordPiece continuation pieces ("##...") are chosen together
// with its first piece, so the model cannot fill in "##able" from "unbeliev".
package mlm

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Masker masks token sequences.
type Masker struct {
	Rate       float64 // share of the maskable tokens to predict (default 0.15)
	MaskProb   float64 // of a chosen token: replaced by MaskID (default 0.8)
	RandomProb float64 // of a chosen token: replaced by a random ordinary token (default 0.1); kept otherwise
	WholeWord  bool
	MaskID     int32
	VocabSize  int
	// Special reports the ids never chosen and never used as replacements (padding included).
	Special func(id int32) bool
	// Continuation reports WordPiece continuation pieces ("##..."), for whole-word masking.
	Continuation func(id int32) bool
}

// Slots is the number of prediction slots per sequence of length seqLen: Rate of the tokens,
// plus 3 for a first whole word longer than the budget (Row never overshoots otherwise). Every
// slot costs a row of the vocabulary projection, so there are no more than needed.
func (m *Masker) Slots(seqLen int) int {
	return int(math.Ceil(m.rate()*float64(seqLen))) + 3
}

func (m *Masker) rate() float64 {
	if m.Rate == 0 {
		return 0.15
	}
	return m.Rate
}

// Validate checks the masker's settings.
func (m *Masker) Validate() error {
	switch {
	case m.Rate < 0 || m.Rate > 0.5:
		return fmt.Errorf("mlm: mask rate %g out of range (0, 0.5]", m.Rate)
	case m.MaskProb < 0 || m.RandomProb < 0 || m.MaskProb+m.RandomProb > 1:
		return fmt.Errorf("mlm: mask probability %g and random probability %g must be >= 0 and add up to at most 1", m.MaskProb, m.RandomProb)
	case m.VocabSize < 2 || m.Special == nil:
		return fmt.Errorf("mlm: masker needs the vocabulary size and the special tokens")
	}
	return nil
}

// Row masks one sequence. It writes the corrupted sequence into out (len(out) == len(ids)), and
// returns the positions chosen and their original ids, at most slots of them, in increasing
// order of position.
func (m *Masker) Row(rng *rand.Rand, ids, out []int32, slots int) (positions, targets []int32) {
	copy(out, ids)
	// Units: a word (its first piece and its continuation pieces) or a single piece.
	type unit struct{ start, n int }
	var units []unit
	maskable := 0
	for i := 0; i < len(ids); i++ {
		if m.Special(ids[i]) {
			continue
		}
		maskable++
		if m.WholeWord && m.Continuation != nil && len(units) > 0 && m.Continuation(ids[i]) {
			if u := &units[len(units)-1]; u.start+u.n == i {
				u.n++
				continue
			}
		}
		units = append(units, unit{i, 1})
	}
	if maskable == 0 {
		return nil, nil
	}
	want := min(slots, max(1, int(math.Round(m.rate()*float64(maskable)))))
	rng.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
	chosen := make([]bool, len(ids))
	n := 0
	for _, u := range units {
		if n >= want {
			break
		}
		if n+u.n > want && n > 0 {
			continue // a whole word would overshoot: try a shorter one (as BERT's script does)
		}
		if n+u.n > slots {
			continue
		}
		for i := u.start; i < u.start+u.n; i++ {
			chosen[i] = true
		}
		n += u.n
	}
	maskProb, randomProb := m.MaskProb, m.RandomProb
	if maskProb == 0 && randomProb == 0 {
		maskProb, randomProb = 0.8, 0.1
	}
	for i, c := range chosen {
		if !c {
			continue
		}
		positions, targets = append(positions, int32(i)), append(targets, ids[i])
		switch r := rng.Float64(); {
		case r < maskProb:
			out[i] = m.MaskID
		case r < maskProb+randomProb:
			out[i] = m.randomToken(rng)
		}
	}
	return positions, targets
}

func (m *Masker) randomToken(rng *rand.Rand) int32 {
	for {
		if id := int32(rng.IntN(m.VocabSize)); !m.Special(id) {
			return id
		}
	}
}

// Batch is a masked batch: Inputs [B, L] (corrupted), Positions, Targets [B, K] (int32, 0 in
// empty slots) and Weights [B, K] (1 for a real slot, 0 for an empty one), flattened row-major.
type Batch struct {
	Rows, Len, Slots           int
	Inputs, Positions, Targets []int32
	Weights                    []float32
}

// MaskBatch masks rows of padded token ids (rows x seqLen, row-major).
func (m *Masker) MaskBatch(rng *rand.Rand, tokens []int32, rows, seqLen int) *Batch {
	k := m.Slots(seqLen)
	b := &Batch{Rows: rows, Len: seqLen, Slots: k, Inputs: make([]int32, rows*seqLen),
		Positions: make([]int32, rows*k), Targets: make([]int32, rows*k), Weights: make([]float32, rows*k)}
	for r := range rows {
		pos, tgt := m.Row(rng, tokens[r*seqLen:(r+1)*seqLen], b.Inputs[r*seqLen:(r+1)*seqLen], k)
		copy(b.Positions[r*k:], pos)
		copy(b.Targets[r*k:], tgt)
		for j := range pos {
			b.Weights[r*k+j] = 1
		}
	}
	return b
}
