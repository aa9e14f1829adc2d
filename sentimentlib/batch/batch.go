// Package batch turns encoded reviews into GoMLX training batches: truncation (keeping the head
// and the tail of long reviews), length buckets (few compiled shapes, little padding), padding,
// and a reshuffle every epoch from a seed.
package batch

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// Truncation of long reviews to MaxLen tokens: the first Head tokens and the last MaxLen-Head.
// Keeping head and tail beats keeping the head only on IMDB (Sun et al. 2019, "How to Fine-Tune
// BERT for Text Classification": reviews often end with the verdict). Head >= MaxLen (or < 0)
// keeps the head only.
type Truncation struct {
	MaxLen int
	Head   int
}

// Apply returns ids truncated to at most MaxLen tokens (a new slice only when it truncates).
func (t Truncation) Apply(ids []int32) []int32 {
	if t.MaxLen <= 0 || len(ids) <= t.MaxLen {
		return ids
	}
	if t.Head < 0 || t.Head >= t.MaxLen {
		return ids[:t.MaxLen]
	}
	out := make([]int32, 0, t.MaxLen)
	out = append(out, ids[:t.Head]...)
	return append(out, ids[len(ids)-(t.MaxLen-t.Head):]...)
}

// Options of a Dataset.
type Options struct {
	// BatchSize is the number of reviews per batch (default 32).
	BatchSize int
	// Truncation of long reviews; MaxLen counts the [CLS] token when PrependCLS is set.
	// Default: MaxLen 256, Head 64.
	Truncation Truncation
	// Buckets are the padded sequence lengths, ascending; the last must be Truncation.MaxLen.
	// Default: MaxLen/4, MaxLen/2, 3*MaxLen/4 and MaxLen.
	Buckets []int
	// PrependCLS puts the [CLS] token before each review (for [CLS] pooling).
	PrependCLS bool
	// Shuffle reshuffles the reviews every epoch, from Seed and the epoch number.
	Shuffle bool
	Seed    uint64
	// DropRemainder drops the incomplete batch of each bucket (training); otherwise it is padded
	// with empty rows of weight 0 (evaluation: every review is seen once).
	DropRemainder bool
}

// Dataset implements train.Dataset over encoded reviews, held in memory.
//
// Each batch has Inputs [tokens int32 [B, L]] and Labels [labels float32 [B], lengths float32 [B],
// weights float32 [B]]: lengths are the reviews' true token counts (before truncation, for the
// length-weighted loss) and weights are 1 for real rows and 0 for padding rows.
// Each call to Iter is one epoch; the epoch number advances after a full pass.
type Dataset struct {
	name   string
	ids    [][]int32 // truncated, with [CLS] when requested
	length []int     // true length before truncation
	labels []int
	opts   Options

	epoch, startBatch int
}

// New creates a Dataset. ids are the encoded reviews (not truncated), labels their labels
// (0/1, or -1 for unlabeled).
func New(name string, ids [][]int32, labels []int, opts Options) (*Dataset, error) {
	if len(ids) != len(labels) {
		return nil, fmt.Errorf("batch %s: %d reviews but %d labels", name, len(ids), len(labels))
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("batch %s: no reviews", name)
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = 32
	}
	if opts.BatchSize < 0 {
		return nil, fmt.Errorf("batch %s: batch size %d must be positive", name, opts.BatchSize)
	}
	if opts.Truncation.MaxLen == 0 {
		opts.Truncation = Truncation{MaxLen: 256, Head: 64}
	}
	maxLen := opts.Truncation.MaxLen
	if maxLen < 2 {
		return nil, fmt.Errorf("batch %s: maximum length %d is too small", name, maxLen)
	}
	if len(opts.Buckets) == 0 {
		opts.Buckets = DefaultBuckets(maxLen)
	}
	if !slices.IsSorted(opts.Buckets) || opts.Buckets[0] < 1 || opts.Buckets[len(opts.Buckets)-1] != maxLen {
		return nil, fmt.Errorf("batch %s: buckets %v must be ascending, positive and end at the maximum length %d", name, opts.Buckets, maxLen)
	}
	d := &Dataset{name: name, labels: labels, opts: opts, ids: make([][]int32, len(ids)), length: make([]int, len(ids))}
	for i, x := range ids {
		d.length[i] = len(x)
		d.ids[i] = opts.prepare(x)
	}
	return d, nil
}

// prepare returns a review's ids as the model reads them: truncated to the maximum length,
// with [CLS] in front when PrependCLS is set; batches pad them with tokenize.PadID.
func (opts Options) prepare(ids []int32) []int32 {
	trunc := opts.Truncation
	if !opts.PrependCLS {
		return trunc.Apply(ids)
	}
	trunc.MaxLen--
	trunc.Head = min(trunc.Head, trunc.MaxLen)
	return append([]int32{tokenize.ClsID}, trunc.Apply(ids)...)
}

// Truncates reports whether a review of n ids is longer than the model reads ([CLS], when
// prepended, takes one place).
func (opts Options) Truncates(n int) bool {
	limit := opts.Truncation.MaxLen
	if opts.PrependCLS {
		limit--
	}
	return n > limit
}

// DefaultBuckets for a maximum length: quarters of it, rounded up to multiples of 8.
func DefaultBuckets(maxLen int) []int { return Buckets(maxLen, 4) }

// Buckets divides a maximum length into n buckets: maxLen*i/n for i = 1..n, rounded up to
// multiples of 8 (duplicates and those under 8 dropped). Each bucket is one compiled shape: an
// accelerator, where compiling costs seconds and padding little, wants few.
func Buckets(maxLen, n int) []int {
	var b []int
	for f := 1; f < n; f++ {
		l := (maxLen*f/n + 7) / 8 * 8
		if l >= 8 && l < maxLen && (len(b) == 0 || l > b[len(b)-1]) {
			b = append(b, l)
		}
	}
	return append(b, maxLen)
}

// Name implements train.Dataset.
func (d *Dataset) Name() string { return d.name }

// Len is the number of reviews.
func (d *Dataset) Len() int { return len(d.ids) }

// Options returns the options in effect (defaults filled in).
func (d *Dataset) Options() Options { return d.opts }

// Epoch is the number of the next epoch Iter will yield (starting at 0).
func (d *Dataset) Epoch() int { return d.epoch }

// SetPosition makes the next Iter yield epoch `epoch` starting at its batch number `batch`: a
// resumed training run sees the same data order as an uninterrupted one.
func (d *Dataset) SetPosition(epoch, batch int) { d.epoch, d.startBatch = epoch, batch }

// Planned is one batch of an epoch: the bucket length and the reviews' indices (fewer than
// BatchSize only for a padded remainder).
type Planned struct {
	Len     int
	Indices []int
}

// bucketOf returns the smallest bucket holding a sequence of length n.
func (d *Dataset) bucketOf(n int) int {
	for i, b := range d.opts.Buckets {
		if n <= b {
			return i
		}
	}
	return len(d.opts.Buckets) - 1
}

// Plan returns the batches of an epoch, in order. It depends only on the data, the options and
// the epoch number.
func (d *Dataset) Plan(epoch int) []Planned {
	order := make([]int, len(d.ids))
	for i := range order {
		order[i] = i
	}
	if d.opts.Shuffle {
		rng := rand.New(rand.NewPCG(d.opts.Seed, uint64(epoch)+1))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	pending := make([][]int, len(d.opts.Buckets))
	var plan []Planned
	for _, idx := range order {
		b := d.bucketOf(len(d.ids[idx]))
		pending[b] = append(pending[b], idx)
		if len(pending[b]) == d.opts.BatchSize {
			plan = append(plan, Planned{Len: d.opts.Buckets[b], Indices: pending[b]})
			pending[b] = nil
		}
	}
	if !d.opts.DropRemainder {
		for b, p := range pending {
			if len(p) > 0 {
				plan = append(plan, Planned{Len: d.opts.Buckets[b], Indices: p})
			}
		}
	}
	return plan
}

// Make builds the batch tensors of a planned batch.
func (d *Dataset) Make(p Planned) train.Batch {
	bs := d.opts.BatchSize
	tokens := d.Tokens(p)
	labels := make([]float32, bs)
	lengths := make([]float32, bs)
	weights := make([]float32, bs)
	for row, idx := range p.Indices {
		labels[row] = float32(max(d.labels[idx], 0))
		lengths[row] = float32(d.length[idx])
		weights[row] = 1
	}
	return train.Batch{
		Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(tokens, bs, p.Len)},
		Labels: []*tensors.Tensor{
			tensors.FromFlatDataAndDimensions(labels, bs),
			tensors.FromFlatDataAndDimensions(lengths, bs),
			tensors.FromFlatDataAndDimensions(weights, bs),
		},
		Spec: p.Len,
	}
}

// Tokens is the batch's token matrix, row-major [BatchSize, p.Len], padded with 0: the host
// data of Make's input tensor, for callers that transform it first (masking).
func (d *Dataset) Tokens(p Planned) []int32 {
	tokens := make([]int32, d.opts.BatchSize*p.Len)
	for row, idx := range p.Indices {
		copy(tokens[row*p.Len:(row+1)*p.Len], d.ids[idx])
	}
	return tokens
}

// Iter implements train.Dataset: it yields the next epoch (from the position set by SetPosition,
// if any) and then advances the epoch.
func (d *Dataset) Iter() iter.Seq2[train.Batch, error] {
	return func(yield func(train.Batch, error) bool) {
		for p := range d.IterPlanned() {
			if !yield(d.Make(p), nil) {
				return
			}
		}
	}
}

// IterPlanned is Iter without building the batches: the plan of the rest of the epoch, with the
// same bookkeeping (Position, Epoch), for callers that build batches of their own from Tokens.
func (d *Dataset) IterPlanned() iter.Seq[Planned] {
	return func(yield func(Planned) bool) {
		epoch, start := d.epoch, d.startBatch
		plan := d.Plan(epoch)
		for i := start; i < len(plan); i++ {
			d.startBatch = i + 1
			if !yield(plan[i]) {
				return
			}
		}
		d.epoch, d.startBatch = epoch+1, 0
	}
}

// Position is the number of batches of the current epoch already yielded.
func (d *Dataset) Position() int { return d.startBatch }
