package batch

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

func seq(n int, first int32) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = first + int32(i)
	}
	return out
}

func TestTruncation(t *testing.T) {
	ids := seq(10, 100)
	if got := (Truncation{MaxLen: 6, Head: 2}).Apply(ids); !slices.Equal(got, []int32{100, 101, 106, 107, 108, 109}) {
		t.Errorf("head+tail: %v", got)
	}
	if got := (Truncation{MaxLen: 4, Head: -1}).Apply(ids); !slices.Equal(got, []int32{100, 101, 102, 103}) {
		t.Errorf("head only: %v", got)
	}
	if got := (Truncation{MaxLen: 20, Head: 5}).Apply(ids); !slices.Equal(got, ids) {
		t.Errorf("short review changed: %v", got)
	}
}

func TestDefaultBuckets(t *testing.T) {
	if got := DefaultBuckets(256); !slices.Equal(got, []int{64, 128, 192, 256}) {
		t.Errorf("DefaultBuckets(256) = %v", got)
	}
	for _, tc := range []struct {
		maxLen, n int
		want      []int
	}{
		{512, 1, []int{512}},
		{512, 2, []int{256, 512}},
		{768, 8, []int{96, 192, 288, 384, 480, 576, 672, 768}},
		{100, 3, []int{40, 72, 100}}, // 33.3 and 66.7 rounded up to multiples of 8
		{20, 8, []int{8, 16, 20}},    // duplicates after rounding are dropped
	} {
		if got := Buckets(tc.maxLen, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("Buckets(%d, %d) = %v, want %v", tc.maxLen, tc.n, got, tc.want)
		}
	}
}

// makeData returns n reviews of lengths 1..n (review i has ids 5..5+i), labels alternating.
func makeData(n int) ([][]int32, []int) {
	var ids [][]int32
	var labels []int
	for i := range n {
		ids = append(ids, seq(i+1, 5))
		labels = append(labels, i%2)
	}
	return ids, labels
}

func TestBatchesShapesLengthsAndMasks(t *testing.T) {
	ids, labels := makeData(100)
	d, err := New("t", ids, labels, Options{BatchSize: 8, Truncation: Truncation{MaxLen: 64, Head: 16},
		Buckets: []int{16, 32, 64}, PrependCLS: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for b, err := range d.Iter() {
		if err != nil {
			t.Fatal(err)
		}
		tok := b.Inputs[0]
		dims := tok.Shape().Dimensions
		if dims[0] != 8 || !slices.Contains([]int{16, 32, 64}, dims[1]) || b.Spec.(int) != dims[1] {
			t.Fatalf("batch shape %v (spec %v): want [8, bucket]", dims, b.Spec)
		}
		L := dims[1]
		toks := tensors.MustCopyFlatData[int32](tok)
		lab := tensors.MustCopyFlatData[float32](b.Labels[0])
		lengths := tensors.MustCopyFlatData[float32](b.Labels[1])
		weights := tensors.MustCopyFlatData[float32](b.Labels[2])
		for r := range 8 {
			row := toks[r*L : (r+1)*L]
			if weights[r] == 0 {
				if slices.ContainsFunc(row, func(x int32) bool { return x != tokenize.PadID }) {
					t.Fatalf("padding row has tokens: %v", row)
				}
				continue
			}
			seen++
			n := int(lengths[r]) // true length before truncation: review i has length i+1
			if lab[r] != float32((n-1)%2) {
				t.Fatalf("label %v for review of length %d", lab[r], n)
			}
			kept := min(n, 63) + 1 // plus [CLS]
			if row[0] != tokenize.ClsID {
				t.Fatalf("row does not start with [CLS]: %v", row[:4])
			}
			mask := 0
			for _, x := range row {
				if x != tokenize.PadID {
					mask++
				}
			}
			if mask != kept || slices.ContainsFunc(row[kept:], func(x int32) bool { return x != tokenize.PadID }) {
				t.Fatalf("review of length %d: %d non-padding tokens (want %d, all first)", n, mask, kept)
			}
			// Smallest bucket that holds it.
			for _, bl := range []int{16, 32, 64} {
				if kept <= bl {
					if L != bl {
						t.Fatalf("review with %d tokens in bucket %d, want %d", kept, L, bl)
					}
					break
				}
			}
			if n > 63 { // truncated: head 16 then the tail; the last id of review n is 5+n-1.
				if row[16] != 5+15 || row[kept-1] != int32(5+n-1) || row[17] != int32(5+n-(63-16)) {
					t.Fatalf("head+tail truncation wrong for length %d: %v", n, row)
				}
			}
		}
	}
	if seen != 100 {
		t.Errorf("evaluation epoch saw %d reviews, want all 100 exactly once", seen)
	}
}

func epochOrder(d *Dataset) [][]int {
	var out [][]int
	for _, p := range d.Plan(d.Epoch()) {
		out = append(out, p.Indices)
	}
	for range d.Iter() {
	}
	return out
}

func TestShuffleEveryEpochFromSeed(t *testing.T) {
	ids, labels := makeData(200)
	opts := Options{BatchSize: 4, Truncation: Truncation{MaxLen: 256, Head: 64}, Shuffle: true, Seed: 9, DropRemainder: true}
	a, _ := New("a", ids, labels, opts)
	b, _ := New("b", ids, labels, opts)
	a0, a1 := epochOrder(a), epochOrder(a)
	b0, b1 := epochOrder(b), epochOrder(b)
	if !slices.EqualFunc(a0, b0, slices.Equal) || !slices.EqualFunc(a1, b1, slices.Equal) {
		t.Error("the same seed gave different orders")
	}
	if slices.EqualFunc(a0, a1, slices.Equal) {
		t.Error("epochs 0 and 1 have the same order: no reshuffle")
	}
	opts.Seed = 10
	c, _ := New("c", ids, labels, opts)
	if slices.EqualFunc(epochOrder(c), a0, slices.Equal) {
		t.Error("different seeds gave the same order")
	}
	// DropRemainder: only full batches.
	for _, p := range a.Plan(3) {
		if len(p.Indices) != 4 {
			t.Fatalf("training batch with %d reviews", len(p.Indices))
		}
	}
}

func TestResumePosition(t *testing.T) {
	ids, labels := makeData(120)
	opts := Options{BatchSize: 4, Shuffle: true, Seed: 1, DropRemainder: true}
	full, _ := New("full", ids, labels, opts)
	var want [][]int32
	for range 2 {
		for b := range full.Iter() {
			want = append(want, tensors.MustCopyFlatData[int32](b.Inputs[0]))
		}
	}
	// Interrupted after 5 batches of epoch 1, then resumed.
	resumed, _ := New("resumed", ids, labels, opts)
	epochLen := len(resumed.Plan(1))
	resumed.SetPosition(1, 5)
	var got [][]int32
	for b := range resumed.Iter() {
		got = append(got, tensors.MustCopyFlatData[int32](b.Inputs[0]))
	}
	if !slices.EqualFunc(got, want[len(want)-(epochLen-5):], slices.Equal) {
		t.Error("resumed epoch does not continue the uninterrupted data order")
	}
	if resumed.Epoch() != 2 {
		t.Errorf("after the resumed epoch, Epoch() = %d, want 2", resumed.Epoch())
	}
}

// TestIterPlannedMatchesIter: IterPlanned with Tokens yields Iter's token matrices in Iter's
// order, with the same position bookkeeping when resumed mid-epoch.
func TestIterPlannedMatchesIter(t *testing.T) {
	ids, labels := makeData(50)
	opts := Options{BatchSize: 4, Shuffle: true, Seed: 3, DropRemainder: true, Buckets: []int{16, 32, 50}, Truncation: Truncation{MaxLen: 50}}
	a, _ := New("a", ids, labels, opts)
	b, _ := New("b", ids, labels, opts)
	a.SetPosition(1, 2)
	b.SetPosition(1, 2)
	var want, got [][]int32
	for batch := range a.Iter() {
		want = append(want, tensors.MustCopyFlatData[int32](batch.Inputs[0]))
	}
	for p := range b.IterPlanned() {
		got = append(got, b.Tokens(p))
	}
	if len(want) == 0 || !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("IterPlanned+Tokens gave %d batches unlike Iter's %d", len(got), len(want))
	}
	if a.Epoch() != b.Epoch() || a.Position() != b.Position() {
		t.Errorf("bookkeeping: Iter epoch %d position %d, IterPlanned %d %d", a.Epoch(), a.Position(), b.Epoch(), b.Position())
	}
}

func TestBadOptions(t *testing.T) {
	ids, labels := makeData(10)
	for name, o := range map[string]Options{
		"buckets not ending at max": {Truncation: Truncation{MaxLen: 64}, Buckets: []int{16, 32}},
		"unsorted buckets":          {Truncation: Truncation{MaxLen: 64}, Buckets: []int{32, 16, 64}},
		"negative batch":            {BatchSize: -1},
	} {
		if _, err := New("x", ids, labels, o); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if _, err := New("x", ids, labels[:3], Options{}); err == nil {
		t.Error("mismatched labels: want an error")
	}
}
