package model

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func regionStore(sizes []int, tv int) *model.Store {
	s := model.NewStore()
	s.SetParams(map[string]any{ParamVocabSize: 12, ParamRegionSizes: sizes, ParamRegionMaps: 4, ParamTVRegion: tv, ParamTVDim: 3,
		ParamDropout: 0.5, model.ParamInitialSeed: int64(7)})
	return s
}

func vars(t *testing.T, s *model.Store, path string) ([]float32, []int) {
	v := s.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	val := must(v.Value())
	return tensors.MustCopyFlatData[float32](val), val.Shape().Dimensions
}

// TestRegionCNNAgainstHost: the one-hot region convolution computed on the host from the
// variables, with padding at both ends, unknown words read as nothing, regions without a known
// word left out, max pooling, response normalisation and the linear head.
func TestRegionCNNAgainstHost(t *testing.T) {
	backend := compute.MustNew()
	store := regionStore([]int{2}, 0)
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) *Node { return RegionCNN(scope.In("model"), tokens) })
	reviews := [][]int32{{5, 1, 7, 9}, {3}, {1, 1}, {}}
	logits := tensors.MustCopyFlatData[float32](exec.MustExec(padded(reviews, 6))[0])
	longer := tensors.MustCopyFlatData[float32](exec.MustExec(padded(reviews, 11))[0])
	e0, _ := vars(t, store, "/model/region_2/offset_0/embeddings")
	e1, _ := vars(t, store, "/model/region_2/offset_1/embeddings")
	bias, _ := vars(t, store, "/model/region_2/bias")
	w, _ := vars(t, store, "/model/head/dense/weights")
	hb, _ := vars(t, store, "/model/head/dense/biases")
	const M = 4
	row := func(e []float32, id int32) []float64 {
		out := make([]float64, M)
		if id > 1 {
			for m := range M {
				out[m] = float64(e[int(id)*M+m])
			}
		}
		return out
	}
	for i, r := range reviews {
		pooled := make([]float64, M)               // ReLU outputs are >= 0, and dropped regions count as 0
		ids := append(append([]int32{0}, r...), 0) // one empty place at each end
		for j := 0; j+1 < len(ids); j++ {
			if ids[j] <= 1 && ids[j+1] <= 1 {
				continue // no known word
			}
			a, b := row(e0, ids[j]), row(e1, ids[j+1])
			for m := range M {
				pooled[m] = math.Max(pooled[m], math.Max(0, a[m]+b[m]+float64(bias[m])))
			}
		}
		norm := 1.0
		for _, v := range pooled {
			norm += v * v
		}
		want := float64(hb[0])
		for m := range M {
			want += pooled[m] / math.Sqrt(norm) * float64(w[m])
		}
		if math.Abs(float64(logits[i])-want) > 1e-5 || math.Abs(float64(longer[i]-logits[i])) > 1e-6 {
			t.Errorf("review %v: logit %v (padded further: %v), host %v", r, logits[i], longer[i], want)
		}
	}
	if logits[2] != logits[3] || logits[3] != hb[0] {
		t.Errorf("unknown-only review %v, empty %v: want both the head's bias %v", logits[2], logits[3], hb[0])
	}
}

// TestRegionCNNAttributions: Integrated Gradients over the scaled lookups (one-hot regions and
// the tv-embedding's rows) add up to logit(1) - logit(0); padding and unknown words get 0.
func TestRegionCNNAttributions(t *testing.T) {
	backend := compute.MustNew()
	review := []int32{5, 1, 7, 9, 3, 11}
	for _, tc := range []struct {
		sizes []int
		tv    int
		extra []int // the extra tv-embeddings' regions
	}{{[]int{2, 3}, 0, nil}, {[]int{3}, 5, nil}, {[]int{2, 3}, 5, []int{3, 5}}} {
		store := regionStore(tc.sizes, tc.tv)
		store.SetParams(map[string]any{ParamExtraTVRegions: tc.extra, ParamExtraTVDims: slices.Repeat([]int{2}, len(tc.extra))})
		exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens, alphas *Node) []*Node {
			l, a := RegionCNNAttributions(scope.In("model"), tokens, alphas)
			return []*Node{l, a}
		})
		const m = 64
		rows := make([][]int32, m+2)
		alphas := make([]float32, m+2)
		for k := range rows {
			rows[k] = review
			alphas[k] = (float32(k) + 0.5) / m
		}
		alphas[m], alphas[m+1] = 0, 1
		out := exec.MustExec(padded(rows, 8), alphas)
		logits, all := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
		ig := make([]float64, 8)
		sum := 0.0
		for k := range m {
			for i := range 8 {
				ig[i] += float64(all[k*8+i]) / m
				sum += float64(all[k*8+i]) / m
			}
		}
		if diff := float64(logits[m+1] - logits[m]); math.Abs(sum-diff) > 0.02*math.Abs(diff)+1e-4 {
			t.Errorf("%v tv %d: attributions add up to %v, logit(1) - logit(0) = %v", tc.sizes, tc.tv, sum, diff)
		}
		if ig[1] != 0 || ig[6] != 0 || ig[7] != 0 {
			t.Errorf("%v tv %d: the unknown word and the padding got %v, %v, %v", tc.sizes, tc.tv, ig[1], ig[6], ig[7])
		}
	}
}

// TestRegionCNNTVInputIsFrozen: with the tv-embedding as input, the logit depends on it, but
// no gradient reaches it (it is the pretraining's, kept as it is).
func TestRegionCNNTVInputIsFrozen(t *testing.T) {
	backend := compute.MustNew()
	store := regionStore([]int{3}, 5)
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) []*Node {
		l := RegionCNN(scope.In("model"), tokens)
		table := scope.Shared("model").In(TVScope).In("embeddings").GetVariable("embeddings")
		return []*Node{l, Gradient(ReduceAllSum(l), table.NodeValue(tokens.Graph()))[0]}
	})
	out := exec.MustExec(padded([][]int32{{5, 7, 9, 3}}, 4))
	grad := tensors.MustCopyFlatData[float32](out[1])
	for _, g := range grad {
		if g != 0 {
			t.Fatalf("gradient %v reaches the tv-embedding", g)
		}
	}
	before := tensors.MustCopyFlatData[float32](out[0])[0]
	v := store.GetVariable("/model/tv/embeddings/embeddings")
	data := tensors.MustCopyFlatData[float32](must(v.Value()))
	for i := range data {
		data[i] *= 3
	}
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, 12, 3)); err != nil {
		t.Fatal(err)
	}
	if after := tensors.MustCopyFlatData[float32](exec.MustExec(padded([][]int32{{5, 7, 9, 3}}, 4))[0])[0]; after == before {
		t.Error("the logit does not depend on the tv-embedding")
	}
}

// TestRegionCNNExtraSides: further tv-embeddings (tv2, tv3) each feed every convolution through
// a linear map of their own (tv_in_2, tv_in_3) and stay frozen: with those maps zero, the logit
// is the one-embedding model's on the same variables; with them, it changes, and no gradient
// reaches the extra tables.
func TestRegionCNNExtraSides(t *testing.T) {
	backend := compute.MustNew()
	review := padded([][]int32{{5, 7, 1, 9, 3, 11}, {4}}, 7)
	run := func(store *model.Store) ([]float32, []float32) {
		exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) []*Node {
			l := RegionCNN(scope.In("model"), tokens)
			grads := []*Node{l}
			if v := scope.Shared("model").In("tv3").In("embeddings").GetVariable("embeddings"); v != nil {
				grads = append(grads, Gradient(ReduceAllSum(l), v.NodeValue(tokens.Graph()))[0])
			}
			return grads
		})
		out := exec.MustExec(review)
		var grad []float32
		if len(out) > 1 {
			grad = tensors.MustCopyFlatData[float32](out[1])
		}
		return tensors.MustCopyFlatData[float32](out[0]), grad
	}
	three := regionStore([]int{2, 3}, 5)
	three.SetParams(map[string]any{ParamExtraTVRegions: []int{3, 5}, ParamExtraTVDims: []int{2, 4}})
	withSides, grad := run(three)
	for _, g := range grad {
		if g != 0 {
			t.Fatalf("gradient %v reaches tv3's embeddings", g)
		}
	}
	for _, path := range []string{"/model/tv2/embeddings/embeddings", "/model/tv3/bias", "/model/region_2/tv_in_2/dense/weights", "/model/region_3/tv_in_3/dense/weights"} {
		if three.GetVariable(path) == nil {
			t.Fatalf("no variable %s", path)
		}
	}
	// Zero the extra sides' maps, and copy every variable into a one-embedding model.
	one := regionStore([]int{2, 3}, 5)
	run(one)
	for v := range three.IterVariables() {
		val := must(v.Value())
		if strings.Contains(v.Path(), "/tv_in_") {
			data := tensors.MustCopyFlatData[float32](val)
			clear(data)
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, val.Shape().Dimensions...)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if w := one.GetVariable(v.Path()); w != nil {
			if err := w.SetValue(val); err != nil {
				t.Fatal(err)
			}
		} else if !strings.HasPrefix(v.Path(), "/model/tv2/") && !strings.HasPrefix(v.Path(), "/model/tv3/") {
			t.Errorf("%s is not a variable of the one-embedding model", v.Path())
		}
	}
	zeroed, _ := run(three)
	single, _ := run(one)
	for i := range single {
		if math.Abs(float64(zeroed[i]-single[i])) > 1e-6 || zeroed[i] == withSides[i] {
			t.Errorf("review %d: logit %v with the extra sides, %v with their maps zero, %v with one embedding", i, withSides[i], zeroed[i], single[i])
		}
	}
}

// TestRegionEmbedding: the scores of the pretraining graph against a host computation: the
// bag of the region's known words times U, plus the bias, ReLU, response normalisation, then
// each target's output row and bias.
func TestRegionEmbedding(t *testing.T) {
	backend := compute.MustNew()
	store := regionStore(nil, 5)
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, regions, targets *Node) *Node {
		return RegionEmbedding(scope.In("model"), regions, targets)
	})
	regions := []int32{5, 1, 7, 0, 9} // one region of 5 words: an unknown word and padding among them
	targets := []int32{3, 12 + 3, 11} // word 3 on the left, word 3 on the right, word 11 on the left
	scores := tensors.MustCopyFlatData[float32](exec.MustExec(tensors.FromFlatDataAndDimensions(regions, 1, 5), tensors.FromFlatDataAndDimensions(targets, 1, 3))[0])
	u, _ := vars(t, store, "/model/tv/embeddings/embeddings")
	c, _ := vars(t, store, "/model/tv/bias")
	w, _ := vars(t, store, "/model/tv_output/weights")
	b, _ := vars(t, store, "/model/tv_output/bias")
	h := make([]float64, 3)
	norm := 1.0
	for d := range 3 {
		h[d] = float64(c[d])
		for _, id := range []int{5, 7, 9} {
			h[d] += float64(u[id*3+d])
		}
		h[d] = math.Max(0, h[d])
		norm += h[d] * h[d]
	}
	for i, tg := range targets {
		want := float64(b[tg])
		for d := range 3 {
			want += h[d] / math.Sqrt(norm) * float64(w[int(tg)*3+d])
		}
		if math.Abs(float64(scores[i])-want) > 1e-5 {
			t.Errorf("target %d: score %v, host %v", tg, scores[i], want)
		}
	}
}

// TestRegionCNNPoolAtMaxGradients: a training graph pools by recomputing each feature map's
// largest region alone (poolAtMax). Its logits and its gradients with respect to every
// variable (the one-hot tables, biases, the tv-embeddings' maps, the head) equal the dense
// graph's, whose max pooling back-propagates through every region (the attributions' graph,
// with alphas 1), on reviews with padding and unknown words, with and without tv-embeddings.
func TestRegionCNNPoolAtMaxGradients(t *testing.T) {
	backend := compute.MustNew()
	reviews := padded([][]int32{{5, 1, 7, 9, 3, 11, 2}, {4}, {1, 1}, {8, 8, 6, 10, 5, 5, 7, 9, 3}}, 9)
	for _, tv := range []int{0, 5} {
		store := regionStore([]int{2, 3}, tv)
		store.SetParams(map[string]any{ParamDropout: 0.0})
		if tv > 0 {
			store.SetParams(map[string]any{ParamExtraTVRegions: []int{3}, ParamExtraTVDims: []int{2}})
		}
		model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) *Node { return RegionCNN(scope.In("model"), tokens) }).MustExec(reviews)
		var paths []string
		for v := range store.IterVariables() {
			if v.Shape().DType == DType && !strings.HasPrefix(v.Path(), "/model/tv/") && !strings.HasPrefix(v.Path(), "/model/tv2/") {
				paths = append(paths, v.Path())
			}
		}
		run := func(dense bool) [][]float32 {
			exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) []*Node {
				g := tokens.Graph()
				scope.SetTraining(g, true)
				var alphas *Node
				if dense {
					alphas = Ones(g, shapes.Make(DType, tokens.Shape().Dimensions[0]))
				}
				logits, _ := regionCNN(scope.In("model"), tokens, alphas)
				// Weigh the reviews differently, so that each one's gradient counts.
				loss := ReduceAllSum(Mul(logits, Add(Iota(g, logits.Shape(), 0), OnesLike(logits))))
				nodes := make([]*Node, len(paths))
				for i, path := range paths {
					nodes[i] = store.GetVariable(path).NodeValue(g)
				}
				return append([]*Node{logits}, Gradient(loss, nodes...)...)
			})
			var out [][]float32
			for _, x := range exec.MustExec(reviews) {
				out = append(out, tensors.MustCopyFlatData[float32](x))
			}
			return out
		}
		atMax, dense := run(false), run(true)
		for i := range dense {
			name := "logits"
			if i > 0 {
				name = "gradient of " + paths[i-1]
			}
			nonzero := false
			for j := range dense[i] {
				if math.Abs(float64(atMax[i][j]-dense[i][j])) > 1e-6+1e-4*math.Abs(float64(dense[i][j])) {
					t.Fatalf("tv %d: %s [%d]: %v pooling at the max, %v dense", tv, name, j, atMax[i][j], dense[i][j])
				}
				nonzero = nonzero || dense[i][j] != 0
			}
			if !nonzero {
				t.Errorf("tv %d: %s is all zero: the check checks nothing", tv, name)
			}
		}
	}
}
