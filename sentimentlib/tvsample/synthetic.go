package tvsample

import "math/rand/v2"

// Synthetic is a batch of the regions preset's size for benchmarks, seeded: 2,048 regions of 5
// words with 60 target slots each (10 words of the neighbouring regions towards 1, 50 sampled
// others towards 0 at weight 0.2), every word drawn from a Zipf law over [2, vocab) as text's
// words are, so that a step reads as many distinct rows as a real one.
func Synthetic(seed uint64, vocab int) *Batch {
	rng := rand.New(rand.NewPCG(seed, 7))
	z := rand.NewZipf(rng, 1.1, 2, uint64(vocab-3))
	const rows, q, slots = 16 * 128, 5, 60
	b := &Batch{Rows: rows, Q: q, Slots: slots, Regions: make([]int32, rows*q), Targets: make([]int32, rows*slots),
		Labels: make([]float32, rows*slots), Weights: make([]float32, rows*slots)}
	for i := range b.Regions {
		b.Regions[i] = int32(2 + z.Uint64())
	}
	for k := range b.Targets {
		b.Targets[k] = int32(2+z.Uint64()) + int32(rng.IntN(2)*vocab)
		if k%slots < 10 {
			b.Labels[k], b.Weights[k] = 1, 1
		} else {
			b.Weights[k] = 0.2
		}
	}
	return b
}
