package mlm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// A toy vocabulary: 0..4 special (0 padding, 4 [MASK]), 5..99 word starts, 100..199
// continuation pieces ("##...").
func toyMasker(wholeWord bool) *Masker {
	return &Masker{Rate: 0.15, MaskProb: 0.8, RandomProb: 0.1, WholeWord: wholeWord, MaskID: 4, VocabSize: 200,
		Special:      func(id int32) bool { return id <= 4 },
		Continuation: func(id int32) bool { return id >= 100 }}
}

// toyRow is a sequence of n real tokens (words of 1-3 pieces, some [UNK]/[CLS]), then padding.
func toyRow(rng *rand.Rand, n, padTo int) []int32 {
	var row []int32
	for len(row) < n {
		switch rng.IntN(10) {
		case 0:
			row = append(row, int32(1+rng.IntN(3))) // [UNK], [CLS] or [SEP]
		default:
			row = append(row, int32(5+rng.IntN(95)))
			for range rng.IntN(3) {
				row = append(row, int32(100+rng.IntN(100)))
			}
		}
	}
	row = row[:n]
	return append(row, make([]int32, padTo-n)...)
}

// TestMaskingRule checks the BERT rule over 2,000 rows: 15% of the maskable tokens chosen,
// 80/10/10 among them, special tokens and padding never chosen or changed, replacements never
// special, unchosen tokens unchanged, targets the original ids.
func TestMaskingRule(t *testing.T) {
	for _, wholeWord := range []bool{false, true} {
		m := toyMasker(wholeWord)
		rng := rand.New(rand.NewPCG(1, 2))
		var maskable, chosen, toMask, toRandom, kept int
		for range 2000 {
			n := 20 + rng.IntN(100)
			ids := toyRow(rng, n, 128)
			out := make([]int32, len(ids))
			pos, tgt := m.Row(rng, ids, out, m.Slots(len(ids)))
			if len(pos) > m.Slots(len(ids)) || !slices.IsSorted(pos) {
				t.Fatalf("positions %v: more than %d slots, or unsorted", pos, m.Slots(len(ids)))
			}
			isChosen := map[int32]bool{}
			for j, p := range pos {
				isChosen[p] = true
				if tgt[j] != ids[p] {
					t.Fatalf("target %d at %d, original %d", tgt[j], p, ids[p])
				}
				if m.Special(ids[p]) {
					t.Fatalf("special or padding token %d chosen at %d", ids[p], p)
				}
				switch {
				case out[p] == m.MaskID:
					toMask++
				case out[p] == ids[p]:
					kept++
				default:
					toRandom++
					if m.Special(out[p]) {
						t.Fatalf("replacement %d is a special token", out[p])
					}
				}
			}
			for i, id := range ids {
				if !m.Special(id) {
					maskable++
				}
				if !isChosen[int32(i)] && out[i] != id {
					t.Fatalf("unchosen position %d changed %d -> %d", i, id, out[i])
				}
				if wholeWord && id >= 100 && i > 0 && ids[i-1] != 0 && !m.Special(ids[i-1]) && isChosen[int32(i)] != isChosen[int32(i-1)] {
					t.Fatalf("whole-word masking split a word at %d: %v", i, ids[max(0, i-3):min(len(ids), i+3)])
				}
			}
			chosen += len(pos)
		}
		rate := float64(chosen) / float64(maskable)
		if math.Abs(rate-0.15) > 0.01 {
			t.Errorf("whole word %v: chose %.4f of the maskable tokens, want 0.15", wholeWord, rate)
		}
		for _, c := range []struct {
			name string
			got  int
			want float64
		}{{"[MASK]", toMask, 0.8}, {"random", toRandom, 0.1}, {"kept", kept, 0.1}} {
			// Binomial standard error at n ~ 10,000 is under 0.004; allow 4 of them.
			if f := float64(c.got) / float64(chosen); math.Abs(f-c.want) > 0.016 {
				t.Errorf("whole word %v: %s %.4f of chosen tokens, want %.2f", wholeWord, c.name, f, c.want)
			}
		}
	}
}

func TestMaskBatchLayoutAndDeterminism(t *testing.T) {
	m := toyMasker(true)
	rng := rand.New(rand.NewPCG(3, 4))
	rows, seqLen := 4, 64
	var tokens []int32
	for r := range rows {
		tokens = append(tokens, toyRow(rng, 10+15*r, seqLen)...)
	}
	copy(tokens[3*seqLen:], make([]int32, seqLen)) // an all-padding row
	a := m.MaskBatch(rand.New(rand.NewPCG(9, 9)), tokens, rows, seqLen)
	b := m.MaskBatch(rand.New(rand.NewPCG(9, 9)), tokens, rows, seqLen)
	if !slices.Equal(a.Inputs, b.Inputs) || !slices.Equal(a.Positions, b.Positions) {
		t.Error("the same seed masked differently")
	}
	if a.Slots != m.Slots(seqLen) || len(a.Positions) != rows*a.Slots || len(a.Weights) != rows*a.Slots {
		t.Fatalf("layout: %d slots, %d positions, %d weights", a.Slots, len(a.Positions), len(a.Weights))
	}
	for r := range rows {
		n := 0
		for j := range a.Slots {
			if a.Weights[r*a.Slots+j] == 1 {
				n++
				if p := a.Positions[r*a.Slots+j]; tokens[r*seqLen+int(p)] == 0 {
					t.Errorf("row %d: padding position %d in a real slot", r, p)
				}
			} else if a.Targets[r*a.Slots+j] != 0 || a.Positions[r*a.Slots+j] != 0 {
				t.Errorf("row %d: empty slot %d holds a target", r, j)
			}
		}
		if r == 3 && n != 0 {
			t.Errorf("all-padding row got %d slots", n)
		}
		if r < 3 && n == 0 {
			t.Errorf("row %d got no slot", r)
		}
	}
	if err := (&Masker{Rate: 0.9, VocabSize: 10, Special: m.Special}).Validate(); err == nil {
		t.Error("rate 0.9 accepted")
	}
}

// BenchmarkMaskBatch masks one batch of the gpu pretraining preset's shape (64 pieces of 512
// tokens, 30,000-token vocabulary, whole-word masking): host work that every pretraining step
// does before the device runs it.
func BenchmarkMaskBatch(b *testing.B) {
	m := &Masker{Rate: 0.15, MaskProb: 0.8, RandomProb: 0.1, WholeWord: true, MaskID: 4, VocabSize: 30000,
		Special:      func(id int32) bool { return id <= 4 },
		Continuation: func(id int32) bool { return id%3 == 0 }}
	const rows, seqLen = 64, 512
	r := rand.New(rand.NewPCG(1, 2))
	tokens := make([]int32, rows*seqLen)
	for i := range tokens {
		tokens[i] = 5 + r.Int32N(29995)
	}
	for i := 0; b.Loop(); i++ {
		m.MaskBatch(rand.New(rand.NewPCG(1, uint64(i))), tokens, rows, seqLen)
	}
}
