package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func newStore(pooling string, window int) *model.Store {
	s := model.NewStore()
	s.SetParams(map[string]any{ParamVocabSize: 50, ParamDim: 16, ParamLayers: 2, ParamHeads: 2,
		ParamFFNDim: 32, ParamMaxLen: 32, ParamPooling: pooling, ParamNgramBuckets: 97, ParamDropout: 0.1,
		ParamWindow: window})
	return s
}

// attributionsFns are the graphs of the token models by architecture name.
var attributionsFns = map[string]func(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node){
	"transformer": TransformerAttributions, "ngrams": BagOfNgramsAttributions,
}

// logitsOf is an attributions graph's logits alone (alphas nil: inference).
func logitsOf(fn func(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node)) func(scope *model.Scope, tokens *Node) *Node {
	return func(scope *model.Scope, tokens *Node) *Node {
		l, _ := fn(scope, tokens, nil)
		return l
	}
}

// padded returns the reviews padded to length L, flattened row-major.
func padded(reviews [][]int32, L int) *tensors.Tensor {
	flat := make([]int32, len(reviews)*L)
	for i, r := range reviews {
		copy(flat[i*L:], r)
	}
	return tensors.FromFlatDataAndDimensions(flat, len(reviews), L)
}

func TestShapesAndPaddingInvariance(t *testing.T) {
	backend := compute.MustNew()
	reviews := [][]int32{{2, 7, 9, 11, 3}, {2, 5}, {2, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 12}}
	for _, tc := range []struct {
		arch, pooling string
		window        int
	}{{"transformer", "mean", 0}, {"transformer", "cls", 0}, {"transformer", "mean", 8}, {"ngrams", "mean", 0},
		{"transformer", "attention", 0}, {"transformer", "attention", 8}, {"transformer", "mean_max", 0}, {"transformer", "mean_max", 8}} {
		fn := logitsOf(attributionsFns[tc.arch])
		exec := model.MustNewExec(backend, newStore(tc.pooling, tc.window), func(scope *model.Scope, tokens *Node) *Node {
			return fn(scope.In("model"), tokens)
		})
		// 13 is not a whole number of windows: the windowed model pads it inside the graph.
		short := exec.MustExec(padded(reviews, 13))[0]
		long := exec.MustExec(padded(reviews, 32))[0]
		if dims := short.Shape().Dimensions; len(dims) != 1 || dims[0] != 3 {
			t.Fatalf("%s: logits shape %v, want [3]", tc.arch, dims)
		}
		a, b := tensors.MustCopyFlatData[float32](short), tensors.MustCopyFlatData[float32](long)
		for i := range a {
			if math.IsNaN(float64(a[i])) || math.Abs(float64(a[i]-b[i])) > 1e-5 {
				t.Errorf("%s/%s/window %d review %d: logit %v padded to 13, %v padded to 32", tc.arch, tc.pooling, tc.window, i, a[i], b[i])
			}
		}
		// A review alone gives the same logit as inside a batch (rows do not interact).
		alone := tensors.MustCopyFlatData[float32](exec.MustExec(padded(reviews[1:2], 13))[0])
		if math.Abs(float64(alone[0]-a[1])) > 1e-5 {
			t.Errorf("%s: review alone %v vs in batch %v", tc.arch, alone[0], a[1])
		}
	}
}

// TestAttentionWindow: a window as long as the sequence is global attention; a shorter one
// changes the output of a review longer than the window only.
func TestAttentionWindow(t *testing.T) {
	backend := compute.MustNew()
	reviews := [][]int32{{2, 5, 6}, {2, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 12}}
	logits := func(window int) []float32 {
		store := newStore("mean", window)
		// The same weights for every window: initialise from the same seed.
		store.SetParam(model.ParamInitialSeed, int64(7))
		exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) *Node {
			return Transformer(scope.In("model"), tokens)
		})
		return tensors.MustCopyFlatData[float32](exec.MustExec(padded(reviews, 16))[0])
	}
	global, whole, local := logits(0), logits(16), logits(4)
	for i := range global {
		if math.Abs(float64(global[i]-whole[i])) > 1e-5 {
			t.Errorf("review %d: window 16 on 16 tokens gives %v, global attention %v", i, whole[i], global[i])
		}
	}
	if math.Abs(float64(global[0]-local[0])) > 1e-5 {
		t.Errorf("a 3-token review fits in one 4-token window: logit %v, global %v", local[0], global[0])
	}
	if math.Abs(float64(global[1]-local[1])) < 1e-6 {
		t.Errorf("a 12-token review in 4-token windows gives the global logit %v: windows have no effect", local[1])
	}
}

// embeddingTable returns the variable of the token embedding table under prefix.
func embeddingTable(t *testing.T, store *model.Store, part string) *model.Variable {
	t.Helper()
	for v := range store.IterVariables() {
		if strings.Contains(v.Path(), part) {
			return v
		}
	}
	var all []string
	for v := range store.IterVariables() {
		all = append(all, v.Path())
	}
	t.Fatalf("no variable under %q: %v", part, all)
	return nil
}

// TestAttributions: for the n-gram bag (linear in its embeddings) the attributions sum to the
// logit minus the bias; for the transformer, with alpha = 1, each token's attribution matches a
// finite difference (scaling that token's embedding by 1+eps changes the logit by
// eps*attribution), and Integrated Gradients over alphas in (0, 1) add up to
// logit(alpha=1) - logit(alpha=0) (completeness).
func TestAttributions(t *testing.T) {
	backend := compute.MustNew()
	review := []int32{2, 7, 9, 11, 13, 3}
	repeat := func(n int) *tensors.Tensor {
		rows := make([][]int32, n)
		for i := range rows {
			rows[i] = review
		}
		return padded(rows, 8)
	}
	for _, arch := range []string{"ngrams", "transformer"} {
		store := newStore("mean", 4)
		store.SetParam(model.ParamInitialSeed, int64(3))
		fn := attributionsFns[arch]
		exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens, alphas *Node) []*Node {
			l, a := fn(scope.In("model"), tokens, alphas)
			return []*Node{l, a}
		})
		out := exec.MustExec(repeat(1), []float32{1})
		logit := float64(tensors.MustCopyFlatData[float32](out[0])[0])
		attr := tensors.MustCopyFlatData[float32](out[1])
		if len(attr) != 8 || attr[6] != 0 || attr[7] != 0 {
			t.Fatalf("%s: attributions %v: want 8 values, 0 on padding", arch, attr)
		}
		if arch == "ngrams" {
			bias := float64(tensors.MustCopyFlatData[float32](must(embeddingTable(t, store, "head/dense/biases").Value()))[0])
			sum := 0.0
			for _, a := range attr {
				sum += float64(a)
			}
			if math.Abs(sum-(logit-bias)) > 1e-4 {
				t.Errorf("ngrams: attributions sum to %v, logit - bias = %v", sum, logit-bias)
			}
			continue
		}
		// Integrated Gradients: m midpoints, then alpha = 0 and 1.
		const m = 64
		alphas := make([]float32, m+2)
		for k := range m {
			alphas[k] = (float32(k) + 0.5) / m
		}
		alphas[m], alphas[m+1] = 0, 1
		out = exec.MustExec(repeat(m+2), alphas)
		logits := tensors.MustCopyFlatData[float32](out[0])
		all := tensors.MustCopyFlatData[float32](out[1])
		ig := 0.0
		for k := range m {
			for i := range 8 {
				ig += float64(all[k*8+i]) / m
			}
		}
		if diff := float64(logits[m+1] - logits[m]); math.Abs(ig-diff) > 0.01*math.Abs(diff)+1e-3 {
			t.Errorf("transformer: integrated gradients sum to %v, logit(1) - logit(0) = %v", ig, diff)
		}
		// Finite difference on token 9 (position 2, appears once), alpha = 1.
		table := embeddingTable(t, store, "token_embedding")
		orig := must(table.Value())
		data := tensors.MustCopyFlatData[float32](orig)
		dims := append([]int(nil), orig.Shape().Dimensions...) // orig is freed once replaced
		dim := dims[1]
		const eps = 1e-2
		logitWith := func(scale float32) float64 {
			d := append([]float32(nil), data...)
			for j := range dim {
				d[9*dim+j] *= scale
			}
			if err := table.SetValue(tensors.FromFlatDataAndDimensions(d, dims...)); err != nil {
				t.Fatal(err)
			}
			return float64(tensors.MustCopyFlatData[float32](exec.MustExec(repeat(1), []float32{1})[0])[0])
		}
		fd := (logitWith(1+eps) - logitWith(1-eps)) / (2 * eps)
		if math.Abs(fd-float64(attr[2])) > 2e-3+0.02*math.Abs(fd) {
			t.Errorf("transformer: attribution of token 9 is %v, finite difference %v (all %v)", attr[2], fd, attr)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestMaskedLM: the MLM graph predicts at the gathered positions only (a position's logits do
// not depend on which other positions are asked for), shares the classifier's encoder variables
// (the output projection is the token embedding table), and adds only its head.
func TestMaskedLM(t *testing.T) {
	backend := compute.MustNew()
	store := newStore("mean", 8)
	store.SetParams(map[string]any{ParamDropout: 0.0})
	mlm := model.MustNewExec(backend, store, func(scope *model.Scope, tokens, positions *Node) *Node {
		return MaskedLM(scope.In("model"), tokens, positions)
	})
	reviews := padded([][]int32{{2, 7, 4, 11, 3}, {2, 4, 9}}, 16)
	pos := func(rows ...[]int32) *tensors.Tensor { return padded(rows, len(rows[0])) }
	both := mlm.MustExec(reviews, pos([]int32{1, 3}, []int32{0, 2}))[0]
	if dims := both.Shape().Dimensions; len(dims) != 3 || dims[0] != 2 || dims[1] != 2 || dims[2] != 50 {
		t.Fatalf("MLM logits shape %v, want [2 2 50]", dims)
	}
	one := tensors.MustCopyFlatData[float32](mlm.MustExec(reviews, pos([]int32{3}, []int32{2}))[0])
	all := tensors.MustCopyFlatData[float32](both)
	for v := range 50 {
		if math.Abs(float64(all[50+v]-one[v])) > 1e-5 || math.Abs(float64(all[150+v]-one[50+v])) > 1e-5 {
			t.Fatalf("vocab %d: logits at a position depend on the other positions asked for", v)
		}
	}
	// The classifier on the same store finds the encoder the MLM created.
	before := 0
	for range store.IterVariables() {
		before++
	}
	cls := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) *Node {
		return Transformer(scope.In("model"), tokens)
	})
	cls.MustExec(reviews)
	var added, mlmOnly []string
	n := 0
	for v := range store.IterVariables() {
		n++
		if strings.Contains(v.Path(), "/"+MLMHeadScope+"/") {
			mlmOnly = append(mlmOnly, v.Path())
		}
		if strings.Contains(v.Path(), "/head/") {
			added = append(added, v.Path())
		}
	}
	if n-before != len(added) || len(added) != 2 {
		t.Errorf("the classifier added %d variables (%v), want only its head's weights and bias", n-before, added)
	}
	if len(mlmOnly) != 5 { // transform weights and bias, its norm's gain and offset, output bias
		t.Errorf("MLM head variables %v, want 5 (the output projection is tied to the embedding table)", mlmOnly)
	}
}

// TestMaskedLMAndDocument: the MLM logits are MaskedLM's; the document logits are one row per
// review, do not change with padding, and come from the mean-pooled encoding through the tied
// embedding table plus a head of their own (in MLMHeadScope, so fine-tuning never loads it).
func TestMaskedLMAndDocument(t *testing.T) {
	backend := compute.MustNew()
	store := newStore("mean", 8)
	store.SetParams(map[string]any{ParamDropout: 0.0})
	both := model.MustNewExec(backend, store, func(scope *model.Scope, tokens, positions *Node) (*Node, *Node) {
		return MaskedLMAndDocument(scope.In("model"), tokens, positions)
	})
	mlmOnly := model.MustNewExec(backend, store, func(scope *model.Scope, tokens, positions *Node) *Node {
		return MaskedLM(scope.In("model"), tokens, positions)
	})
	reviews := [][]int32{{2, 7, 4, 11, 3}, {2, 4, 9}}
	pos := padded([][]int32{{1, 3}, {0, 2}}, 2)
	out := both.MustExec(padded(reviews, 16), pos)
	if dims := out[1].Shape().Dimensions; len(dims) != 2 || dims[0] != 2 || dims[1] != 50 {
		t.Fatalf("document logits shape %v, want [2 50]", dims)
	}
	mlm := tensors.MustCopyFlatData[float32](mlmOnly.MustExec(padded(reviews, 16), pos)[0])
	for i, v := range tensors.MustCopyFlatData[float32](out[0]) {
		if v != mlm[i] {
			t.Fatalf("MLM logit %d: %v with the document head, %v without", i, v, mlm[i])
		}
	}
	doc := tensors.MustCopyFlatData[float32](out[1])
	longer := tensors.MustCopyFlatData[float32](both.MustExec(padded(reviews, 24), pos)[1])
	for i := range doc {
		if math.Abs(float64(doc[i]-longer[i])) > 1e-4 {
			t.Fatalf("document logit %d changed with padding: %v -> %v", i, doc[i], longer[i])
		}
	}
	var docVars []string
	for v := range store.IterVariables() {
		if strings.Contains(v.Path(), "document") {
			docVars = append(docVars, v.Path())
			if !strings.HasPrefix(v.Path(), "/model/"+MLMHeadScope+"/") {
				t.Errorf("document head variable %s outside %s", v.Path(), MLMHeadScope)
			}
		}
	}
	if len(docVars) != 5 { // transform weights and bias, its norm's gain and offset, output bias
		t.Errorf("document head variables %v, want 5 (the output projection is the embedding table)", docVars)
	}
}

// TestDocumentPoolEmbeddings: with document_pool "embeddings" the document vector is a bag of
// the input's token embeddings, so the document logits do not change when a review's tokens are
// reordered; with the default ("states", after position embeddings and attention) they do. An
// unknown pool panics with a message naming the parameter.
func TestDocumentPoolEmbeddings(t *testing.T) {
	backend := compute.MustNew()
	pos := padded([][]int32{{1, 3}}, 2)
	forward, reversed := padded([][]int32{{2, 7, 4, 11, 3, 9}}, 8), padded([][]int32{{9, 3, 11, 4, 7, 2}}, 8)
	for _, pool := range []string{"states", "embeddings"} {
		store := newStore("mean", 0)
		store.SetParams(map[string]any{ParamDropout: 0.0, ParamDocumentPool: pool})
		exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens, positions *Node) *Node {
			_, doc := MaskedLMAndDocument(scope.In("model"), tokens, positions)
			return doc
		})
		a := tensors.MustCopyFlatData[float32](exec.MustExec(forward, pos)[0])
		b := tensors.MustCopyFlatData[float32](exec.MustExec(reversed, pos)[0])
		var maxDiff float64
		for i := range a {
			maxDiff = max(maxDiff, math.Abs(float64(a[i]-b[i])))
		}
		if pool == "embeddings" && maxDiff > 1e-5 {
			t.Errorf("document_pool embeddings: reordering the tokens changed the document logits by %g", maxDiff)
		}
		if pool == "states" && maxDiff < 1e-4 {
			t.Errorf("document_pool states: reordering the tokens left the document logits unchanged (%g)", maxDiff)
		}
	}
	store := newStore("mean", 0)
	store.SetParams(map[string]any{ParamDocumentPool: "words"})
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens, positions *Node) *Node {
		_, doc := MaskedLMAndDocument(scope.In("model"), tokens, positions)
		return doc
	})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), ParamDocumentPool) {
			t.Errorf("unknown document_pool: panic %v, want one naming %q", r, ParamDocumentPool)
		}
	}()
	_, _ = exec.Exec(forward, pos) // PretrainConfig.Validate refuses such a value before this
}

// TestPoolings checks the "attention" and "mean_max" poolings against sums written out by hand
// on a small batch with padding, then that "attention" pooling starts as the plain mean (its
// query starts at zero) and that an unknown pooling panics with a message naming the choices.
func TestPoolings(t *testing.T) {
	backend := compute.MustNew()
	const B, L, D = 2, 4, 3
	x := make([]float32, B*L*D)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)*1.7)) * 2
	}
	mask := []bool{true, true, true, false, true, false, false, false} // lengths 3 and 1
	query := []float32{0.5, -1.5, 2}
	exec := model.MustNewExec(backend, model.NewStore(), func(scope *model.Scope, x, mask *Node) []*Node {
		s := scope.In("pool")
		s.VariableWithValue("weights", query)
		return []*Node{attentionPool(s, x, mask), maskedMax(x, mask)}
	})
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(x, B, L, D), tensors.FromFlatDataAndDimensions(mask, B, L))
	att, mx := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	for b := range B {
		var scores []float64
		var z float64
		for l := range L {
			if !mask[b*L+l] {
				scores = append(scores, 0)
				continue
			}
			var s float64
			for d := range D {
				s += float64(x[(b*L+l)*D+d] * query[d])
			}
			scores = append(scores, math.Exp(s))
			z += math.Exp(s)
		}
		for d := range D {
			var want float64
			wantMax := math.Inf(-1)
			for l := range L {
				v := float64(x[(b*L+l)*D+d])
				want += scores[l] / z * v
				if mask[b*L+l] {
					wantMax = math.Max(wantMax, v)
				}
			}
			if got := float64(att[b*D+d]); math.Abs(got-want) > 1e-5 {
				t.Errorf("attention pool [%d, %d] = %v, want %v", b, d, got, want)
			}
			if got := float64(mx[b*D+d]); got != float64(float32(wantMax)) {
				t.Errorf("masked max [%d, %d] = %v, want %v", b, d, got, wantMax)
			}
		}
	}

	reviews := padded([][]int32{{2, 7, 9, 11, 3}, {2, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 12}}, 16)
	logits := func(pooling string) []float32 {
		store := newStore(pooling, 0)
		store.SetParam(model.ParamInitialSeed, int64(5))
		exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) *Node {
			return Transformer(scope.In("model"), tokens)
		})
		return tensors.MustCopyFlatData[float32](exec.MustExec(reviews)[0])
	}
	mean, attention := logits("mean"), logits("attention")
	for i := range mean {
		if math.Abs(float64(mean[i]-attention[i])) > 1e-5 {
			t.Errorf("review %d: attention pooling at its zero initial query gives %v, mean pooling %v", i, attention[i], mean[i])
		}
	}

	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "mean_max") {
			t.Errorf("unknown pooling: panic %v, want one listing the poolings", r)
		}
	}()
	logits("max")
}

// TestHalvesSplit: the split is the window boundary nearest the middle, and a piece takes part
// only when both halves have ContrastiveMinTokens tokens (values worked out by hand).
func TestHalvesSplit(t *testing.T) {
	for _, c := range []struct {
		n, window, s int
		ok           bool
	}{{100, 64, 64, true}, {70, 64, 64, false}, {200, 64, 128, true}, {30, 64, 0, false}, {768, 64, 384, true},
		{95, 64, 64, true}, {96, 64, 64, true}, {40, 32, 32, false}, {64, 32, 32, true}, {128, 32, 64, true}} {
		if s, ok := HalvesSplit(c.n, c.window); s != c.s || ok != c.ok {
			t.Errorf("HalvesSplit(%d, %d) = %d, %v; want %d, %v", c.n, c.window, s, ok, c.s, c.ok)
		}
	}
}

// TestHalvesContrastive feeds hand-made final states: constant vectors over runs of tokens,
// padding set to a huge value. Halves of one kind pooled from equal vectors must project to
// equal points (which checks the split position, the pooling and that padding stays out, as
// the pieces differ in length), and the loss, hits and count must match a host computation
// from the projected halves.
func TestHalvesContrastive(t *testing.T) {
	backend := compute.MustNew()
	const B, L, D, W = 5, 128, 8, 32
	vec := func(seed int) []float32 {
		v := make([]float32, D)
		for d := range v {
			v[d] = float32(math.Sin(float64(seed*D+d+1) * 1.7))
		}
		return v
	}
	A, Bv, C, Dv := vec(1), vec(2), vec(3), vec(4)
	pad := make([]float32, D)
	for d := range pad {
		pad[d] = 1000
	}
	// piece: length, split (HalvesSplit with W = 32), first-half vector, second-half vector.
	pieces := []struct {
		n             int
		first, second []float32
	}{{100, A, Bv}, {64, A, A}, {90, Bv, Bv}, {40, C, C}, {128, C, Dv}}
	x := make([]float32, B*L*D)
	tokens := make([]int32, B*L)
	for i, p := range pieces {
		s, _ := HalvesSplit(p.n, W)
		for l := range L {
			v := pad
			switch {
			case l < min(s, p.n):
				v = p.first
			case l < p.n:
				v = p.second
			}
			if l < p.n {
				tokens[i*L+l] = 5
			}
			copy(x[(i*L+l)*D:], v)
		}
	}
	store := model.NewStore()
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, states, tokens *Node) []*Node {
		mask, lengths := paddingMask(tokens)
		c := halvesContrastive(scope, states, mask, lengths, W)
		return []*Node{c.loss, c.correct, c.count, c.z1, c.z2}
	})
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(x, B, L, D), tensors.FromFlatDataAndDimensions(tokens, B, L))
	loss := float64(tensors.MustCopyFlatData[float32](out[0])[0])
	correct := tensors.MustCopyFlatData[float32](out[1])[0]
	count := tensors.MustCopyFlatData[float32](out[2])[0]
	z1, z2 := tensors.MustCopyFlatData[float32](out[3]), tensors.MustCopyFlatData[float32](out[4])
	row := func(z []float32, i int) []float32 { return z[i*D : (i+1)*D] }
	same := func(what string, a, b []float32) {
		for d := range a {
			if math.Abs(float64(a[d]-b[d])) > 1e-5 {
				t.Errorf("%s: %v != %v", what, a, b)
				return
			}
		}
	}
	// First halves are standardised over the batch's first halves, second halves over the
	// second halves: equal pooled vectors project alike within each.
	same("piece 0's first half (A) and piece 1's (A)", row(z1, 0), row(z1, 1))
	same("piece 0's second half (B) and piece 2's (B)", row(z2, 0), row(z2, 2))
	for d, diff := 0, 0.0; d < D; d++ {
		if diff += math.Abs(float64(row(z1, 4)[d] - row(z1, 1)[d])); d == D-1 && diff < 1e-3 {
			t.Errorf("first halves C and A project to the same point")
		}
	}
	// Host: cosine / temperature, pieces 0, 1, 2 and 4 take part (piece 3's second half has 8
	// tokens), symmetric cross-entropy averaged over them, hits of the first halves.
	valid := []bool{true, true, true, false, true}
	dot := func(a, b []float32) float64 {
		s := 0.0
		for d := range a {
			s += float64(a[d]) * float64(b[d])
		}
		return s
	}
	ce := func(i int, sim func(j int) float64) (nll float64, best int) {
		var logits []float64
		for j := range B {
			l := sim(j)
			if !valid[j] {
				l -= 1e4
			}
			logits = append(logits, l)
			if l > logits[best] {
				best = j
			}
		}
		m, sum := logits[best], 0.0
		for _, l := range logits {
			sum += math.Exp(l - m)
		}
		return m + math.Log(sum) - logits[i], best
	}
	// Pieces 0 and 2 share their second half, so a first half can tie between them: a tie
	// within float32 noise may go either way.
	var want, hitsMin, hitsMax float64
	for i := range B {
		if !valid[i] {
			continue
		}
		sim1 := func(j int) float64 { return dot(row(z1, i), row(z2, j)) / ContrastiveTemperature }
		n1, best := ce(i, sim1)
		n2, _ := ce(i, func(j int) float64 { return dot(row(z2, i), row(z1, j)) / ContrastiveTemperature })
		want += (n1 + n2) / 8
		if top := sim1(best); math.Abs(sim1(i)-top) < 1e-4 { // i ranks first, maybe tied
			hitsMax++
			rivals := 0
			for j := range B {
				if j != i && valid[j] && math.Abs(sim1(j)-top) < 1e-4 {
					rivals++
				}
			}
			if rivals == 0 {
				hitsMin++
			}
		}
		if norm := dot(row(z1, i), row(z1, i)); math.Abs(norm-1) > 1e-5 {
			t.Errorf("piece %d: |z1|² = %v, want 1", i, norm)
		}
	}
	if count != 4 || float64(correct) < hitsMin || float64(correct) > hitsMax || math.Abs(loss-want) > 1e-4 {
		t.Errorf("loss %v, hits %v, count %v; host: %v, %v to %v (ties), 4", loss, correct, count, want, hitsMin, hitsMax)
	}
}

// TestPretrainingContrastiveHalvesDoNotMeet: with local attention, the first half's pooled
// projection does not change when a token of the second half does (the halves never attend to
// each other), and Pretraining refuses global attention.
func TestPretrainingContrastiveHalvesDoNotMeet(t *testing.T) {
	backend := compute.MustNew()
	store := newStore("mean", 8)
	store.SetParams(map[string]any{ParamDropout: 0.0, ParamMaxLen: 48})
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) []*Node {
		s := scope.In("model")
		e := encode(s, tokens, nil)
		c := halvesContrastive(s.In(MLMHeadScope).In("contrastive"), e.x, e.mask, e.lengths, 8)
		return []*Node{c.z1, c.z2, c.loss}
	})
	// Pretraining builds the same graph on the same variables.
	pretraining := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) *Node {
		return Pretraining(scope.In("model"), tokens, nil, PretrainHeads{Contrastive: true}).Contrastive
	})
	review := []int32{2, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 43, 45, 47, 49, 3,
		4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32}
	changed := append([]int32(nil), review...)
	changed[30] = 44 // in the second half: HalvesSplit(40, 8) = 24
	if s, ok := HalvesSplit(len(review), 8); s != 24 || !ok {
		t.Fatalf("HalvesSplit(40, 8) = %d, %v", s, ok)
	}
	other := append([]int32(nil), review...)
	slices.Reverse(other)
	// Three rows, since the halves are standardised over the batch: the first two differ in
	// their second halves only.
	a := exec.MustExec(padded([][]int32{review, changed, other}, 48))
	z1, z2 := tensors.MustCopyFlatData[float32](a[0]), tensors.MustCopyFlatData[float32](a[1])
	d1, d2 := 0.0, 0.0
	for d := range 16 {
		d1 += math.Abs(float64(z1[d] - z1[16+d]))
		d2 += math.Abs(float64(z2[d] - z2[16+d]))
	}
	if d1 > 1e-5 || d2 < 1e-4 {
		t.Errorf("changing a second-half token moved the first half by %v (want 0) and the second by %v (want > 0)", d1, d2)
	}
	loss := tensors.MustCopyFlatData[float32](a[2])[0]
	if p := tensors.MustCopyFlatData[float32](pretraining.MustExec(padded([][]int32{review, changed, other}, 48))[0])[0]; math.IsNaN(float64(loss)) || loss <= 0 || p != loss {
		t.Errorf("contrastive loss %v, through Pretraining %v: want equal and positive", loss, p)
	}
	globalStore := newStore("mean", 0)
	globalStore.SetParams(map[string]any{ParamMaxLen: 48})
	global := model.MustNewExec(backend, globalStore, func(scope *model.Scope, tokens *Node) *Node {
		return Pretraining(scope.In("model"), tokens, nil, PretrainHeads{Contrastive: true}).Contrastive
	})
	msg := func() (msg string) {
		defer func() { msg = fmt.Sprint(recover()) }()
		_, err := global.Exec(padded([][]int32{review}, 40))
		return fmt.Sprint(err)
	}()
	if !strings.Contains(msg, "local attention") {
		t.Errorf("contrastive halves with global attention: %v", msg)
	}
}
