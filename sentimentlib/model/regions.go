package model

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/sentiment-go/sentiment/sentimentlib/sparse/rows"
)

// Hyperparameters of the region models (model.Scope params).
const (
	ParamRegionSizes = "regions.sizes" // []int: one convolution layer per region size, in parallel
	ParamRegionMaps  = "regions.maps"  // feature maps of each layer
	// ParamTVRegion > 0 feeds each region's tv-embedding (of a region of that many words, at the
	// same centre) to the convolution; 0: the one-hot regions alone.
	ParamTVRegion = "regions.tv_region"
	ParamTVDim    = "regions.tv_dim" // width of the tv-embedding
	// ParamExtraTVRegions and ParamExtraTVDims ([]int, one entry each) are further frozen
	// tv-embeddings fed to the same convolutions beside the first (the three sides of Johnson &
	// Zhang 2015b): entry i is under scope TVSideScope(i+1).
	ParamExtraTVRegions = "regions.extra_tv_regions"
	ParamExtraTVDims    = "regions.extra_tv_dims"
)

// TVScope is the scope of the tv-embedding (under the model's scope): the part of the region
// pretraining that the classifier loads (frozen). TVOutputScope is its output layer, which it
// does not.
const (
	TVScope       = "tv"
	TVOutputScope = "tv_output"
)

// TVSideScope is the scope of side i of the region CNN's tv-embeddings: TVScope for the first
// (i = 0), "tv2", "tv3", ... for the extra ones.
func TVSideScope(i int) string {
	if i == 0 {
		return TVScope
	}
	return fmt.Sprintf("%s%d", TVScope, i+1)
}

// tvSide is one tv-embedding input of the region CNN: its region size and width.
type tvSide struct{ region, dim int }

// tvSides lists the tv-embeddings the region CNN reads (none when tv_region is 0).
func tvSides(scope *model.Scope) []tvSide {
	first := model.GetParamOr(scope, ParamTVRegion, 0)
	regions := model.GetParamOr(scope, ParamExtraTVRegions, []int(nil))
	dims := model.GetParamOr(scope, ParamExtraTVDims, []int(nil))
	if first <= 0 {
		if len(regions) > 0 {
			exceptions.Panicf("model: %q needs %q > 0", ParamExtraTVRegions, ParamTVRegion)
		}
		return nil
	}
	if len(regions) != len(dims) {
		exceptions.Panicf("model: %q %v and %q %v must have one entry each", ParamExtraTVRegions, regions, ParamExtraTVDims, dims)
	}
	sides := []tvSide{{first, model.GetParamOr(scope, ParamTVDim, 100)}}
	for i, q := range regions {
		sides = append(sides, tvSide{q, dims[i]})
	}
	return sides
}

// RegionCNN is the one-hot region CNN of Johnson & Zhang 2015a ("Effective use of word order
// for text categorization with convolutional neural networks", seq-CNN, and seq2-CNN with
// several region sizes in parallel), with the region embedding of Johnson & Zhang 2015b
// ("Semi-supervised convolutional neural networks for text categorization via region
// embedding") as extra input. tokens [B, L] are word ids (package words: 0 padding, 1 unknown,
// both read as nothing). For each region size p, with p-1 empty places at each end of the
// review, region j (words j-p+1..j) gives
//
//	h_j = ReLU(sum_k E_k[w_{j-p+1+k}] + V u_j + b)     (the one-hot region times W, as a lookup)
//
// where u_j is the frozen tv-embedding of the tv_region words around the region's centre (when
// tv_region > 0); further tv-embeddings (extra_tv_regions, scopes tv2, tv3, ...) each add
// their own V_i u_ij, as the paper's three unsupervised sides do. The tables E_k are read by rows.Open: a training graph given its
// batch's rows (rows.SetBatchRows) trains them by those rows alone. Regions with no known word are left out; h is max-pooled over the review and
// response-normalised, v / sqrt(1 + |v|^2); the layers' outputs are concatenated, dropped out
// and read by a linear layer into one logit.
func RegionCNN(scope *model.Scope, tokens *Node) *Node {
	logits, _ := regionCNN(scope, tokens, nil)
	return logits
}

// RegionCNNAttributions is TransformerAttributions for the region CNN: every looked-up vector
// (the one-hot regions' rows and the tv-embedding's word rows) is scaled by alphas, so that
// Integrated Gradients attribute the logit to the words.
func RegionCNNAttributions(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node) {
	return regionCNN(scope, tokens, alphas)
}

// regionCNN panics with errors (exceptions.Panicf), which GoMLX's Exec returns as errors.
func regionCNN(scope *model.Scope, tokens, alphas *Node) (logits, attributions *Node) {
	g := tokens.Graph()
	batchSize, seqLen := tokens.Shape().Dimensions[0], tokens.Shape().Dimensions[1]
	vocab := model.GetParamOr(scope, ParamVocabSize, 0)
	sizes := model.GetParamOr(scope, ParamRegionSizes, []int{3})
	maps := model.GetParamOr(scope, ParamRegionMaps, 1000)
	sides := tvSides(scope)
	if vocab <= 0 || len(sizes) == 0 {
		exceptions.Panicf("model: region_cnn needs %q and %q", ParamVocabSize, ParamRegionSizes)
	}
	var scaledInputs []scaledInput     // for the attributions
	tvAll := make([]*Node, len(sides)) // [B, L+q-1, dim]: side i's tv-embedding of every window of q words
	for i, side := range sides {
		var tvIn []scaledInput
		tvAll[i], tvIn = tvEmbeddingWindows(scope.In("%s", TVSideScope(i)), tokens, side.region, side.dim, alphas)
		tvAll[i] = StopGradient(tvAll[i]) // frozen: it was learned from the unlabeled reviews
		scaledInputs = append(scaledInputs, tvIn...)
	}
	init := initializer.RandomNormalFn(scope, 0.01)
	// A training graph pools by recomputing each feature map's largest region alone (poolAtMax).
	atMax := alphas == nil && scope.IsTraining(g)
	var pooled []*Node
	for _, p := range sizes {
		if p < 1 {
			exceptions.Panicf("model: region size %d must be >= 1", p)
		}
		for _, side := range sides {
			if side.region < p {
				exceptions.Panicf("model: region size %d must be at most each tv-embedding's region (%d)", p, side.region)
			}
		}
		s := scope.In("region_%d", p).WithInitializer(init)
		padded := padBoth(tokens, p-1)
		known := ConvertDType(GreaterThan(padded, OnesLike(padded)), DType) // [B, L+2(p-1)]
		n := seqLen + p - 1                                                 // regions
		var h, any *Node
		tables, offsetIDs := make([]*rows.Table, p), make([]*Node, p)
		for k := range p {
			ids := Slice(padded, AxisRange(), AxisRange(k, k+n))
			m := Slice(known, AxisRange(), AxisRange(k, k+n))
			tables[k], offsetIDs[k] = rows.Open(s.In("offset_%d", k), g, DType, vocab, maps), ids
			e := tables[k].Lookup(ids) // ids 0 and 1: zero
			if alphas != nil {
				raw := e
				e = scaleRows(e, alphas)
				scaledInputs = append(scaledInputs, scaledInput{scaled: e, raw: raw, first: k - (p - 1)})
			}
			if h == nil {
				h, any = e, m
			} else {
				h, any = Add(h, e), Max(any, m)
			}
		}
		var u, w *Node // the tv-embeddings [B, n, D] and their maps [D, maps]
		if len(sides) > 0 {
			u, w = tvInput(s, tvAll, sides, p, n, maps)
			d := u.Shape().Dimensions[2]
			h = Add(h, Reshape(MatMul(Reshape(u, batchSize*n, d), w), batchSize, n, maps))
		}
		bias := s.WithInitializer(initializer.Zero).VariableWithShape("bias", shapes.Make(DType, maps)).NodeValue(g)
		h = Mul(activation.Relu(addLast(h, bias)), InsertAxes(any, -1)) // regions without a known word: 0
		if atMax {
			pooled = append(pooled, responseNorm(poolAtMax(h, tables, offsetIDs, any, u, w, bias)))
		} else {
			pooled = append(pooled, responseNorm(ReduceMax(h, 1)))
		}
	}
	x := Concatenate(pooled, -1)
	x = dropout(scope.In("dropout"), x, model.GetParamOr(scope, ParamDropout, 0.5))
	logits = Reshape(layers.DenseWithBias(scope.In("head"), x, 1), batchSize)
	if alphas == nil {
		return logits, nil
	}
	return logits, attributeScaled(logits, scaledInputs, batchSize, seqLen)
}

// poolAtMax is max pooling over the regions, h [B, n, maps] -> [B, maps], for a training
// graph: the same values, with the gradient that max pooling has, which reaches one region a
// review and feature map. h is taken without its gradient; the region that holds each maximum
// is computed again alone (its word rows' elements, tables[k].Elements, the tv-embeddings'
// product with that map's column, the bias, ReLU and the known-word mask), so the backward pass
// touches B x maps regions instead of B x n x maps.
func poolAtMax(h *Node, tables []*rows.Table, offsetIDs []*Node, any, u, w, bias *Node) *Node {
	g := h.Graph()
	batchSize, maps := h.Shape().Dimensions[0], h.Shape().Dimensions[2]
	at := ArgMax(StopGradient(h), 1, dtypes.Int32) // [B, maps]
	at = Stack([]*Node{Iota(g, shapes.Make(dtypes.Int32, batchSize, maps), 0), at}, -1)
	var x *Node
	for k, t := range tables {
		e := t.Elements(Gather(ConvertDType(offsetIDs[k], dtypes.Int32), at)) // [B, maps]
		if x == nil {
			x = e
		} else {
			x = Add(x, e)
		}
	}
	if u != nil {
		x = Add(x, ReduceSum(Mul(Gather(u, at), InsertAxes(Transpose(w, 0, 1), 0)), -1)) // [B, maps, D] . [maps, D]
	}
	return Mul(activation.Relu(addLast(x, bias)), Gather(any, at))
}

// tvInput returns the tv-embeddings of the n regions of size p and their maps: u [B, n, D], the
// embeddings u_i of the windows that share each region's centre, side by side, and w [D, maps],
// the maps V_i stacked (the variables tv_in/dense/weights, tv_in_2/dense/weights, ... of scope
// s). The regions get u w, one product for all the sides; the embeddings are frozen, so the
// backward pass computes the maps' gradient alone (a fused Dense would compute the input's too).
func tvInput(s *model.Scope, tvAll []*Node, sides []tvSide, p, n, maps int) (u, w *Node) {
	us := make([]*Node, len(sides))
	ws := make([]*Node, len(sides))
	for i, side := range sides {
		// Window t of tvAll covers words t-q+1..t; region j covers words j-p+1..j, and the
		// window that shares its centre ends at t = j + o: 0 <= o <= q-p, as regionCNN checks
		// that p <= q.
		q := side.region
		o := (q - 1) - (q-1)/2 - (p - 1) + (p-1)/2
		us[i] = StopGradient(Slice(tvAll[i], AxisRange(), AxisRange(o, o+n)))
		name := "tv_in"
		if i > 0 {
			name = fmt.Sprintf("tv_in_%d", i+1)
		}
		ws[i] = s.In("%s", name).In("dense").VariableWithShape("weights", shapes.Make(DType, side.dim, maps)).NodeValue(tvAll[i].Graph())
	}
	u, w = us[0], ws[0]
	if len(sides) > 1 {
		u, w = Concatenate(us, -1), Concatenate(ws, 0)
	}
	return u, w
}

// scaledInput is one looked-up input scaled by alpha for the attributions: the scaled and raw
// vectors [B, n, D], and the word that position 0 stands for (first; position i is word
// first+i, outside [0, L) for the padding).
type scaledInput struct {
	scaled, raw *Node
	first       int
}

// attributeScaled is gradient x input of the logits with respect to each scaled input,
// summed over the vectors each word contributed: [B, L].
func attributeScaled(logits *Node, inputs []scaledInput, batchSize, seqLen int) *Node {
	g := logits.Graph()
	nodes := make([]*Node, len(inputs))
	for i, in := range inputs {
		nodes[i] = in.scaled
	}
	grads := Gradient(ReduceAllSum(logits), nodes...)
	attr := Zeros(g, shapes.Make(DType, batchSize, seqLen))
	for i, in := range inputs {
		per := ReduceSum(Mul(grads[i], in.raw), -1) // [B, n]
		n := per.Shape().Dimensions[1]
		// Keep the positions that are words of the review, and put them in place.
		lo, hi := max(0, -in.first), min(n, seqLen-in.first)
		if lo >= hi {
			continue
		}
		part := Slice(per, AxisRange(), AxisRange(lo, hi))
		before, after := in.first+lo, seqLen-(in.first+hi)
		var parts []*Node
		if before > 0 {
			parts = append(parts, Zeros(g, shapes.Make(DType, batchSize, before)))
		}
		parts = append(parts, part)
		if after > 0 {
			parts = append(parts, Zeros(g, shapes.Make(DType, batchSize, after)))
		}
		attr = Add(attr, Concatenate(parts, 1))
	}
	return attr
}

// padBoth puts n padding ids (0) on each side of tokens [B, L].
func padBoth(tokens *Node, n int) *Node {
	if n == 0 {
		return tokens
	}
	z := Zeros(tokens.Graph(), shapes.Make(tokens.DType(), tokens.Shape().Dimensions[0], n))
	return Concatenate([]*Node{z, tokens, z}, 1)
}

// responseNorm is Johnson & Zhang's response normalisation v / sqrt(1 + |v|^2) over the last axis.
func responseNorm(v *Node) *Node {
	return Div(v, Sqrt(AddScalar(ReduceAndKeep(Square(v), ReduceSum, -1), 1)))
}

// tvEmbed is the tv-embedding of regions given as word ids [..., q] (0 and 1 read as nothing):
// the bag of the region's words times U, plus a bias, ReLU and response normalisation: [..., D].
// It also returns the looked-up rows [..., q, D] and, with alphas [B] (regions [B, ...]), the
// rows scaled by them, which the bag sums (for the attributions).
func tvEmbed(scope *model.Scope, regions, alphas *Node, dim int) (u, rows, scaled *Node) {
	vocab := model.GetParamOr(scope, ParamVocabSize, 0)
	known := ConvertDType(GreaterThan(regions, OnesLike(regions)), DType)
	table := scope.In("embeddings").WithInitializer(initializer.RandomNormalFn(scope, 0.01))
	rows = Mul(layers.Embedding(table, regions, DType, vocab, dim), InsertAxes(known, -1))
	scaled = scaleRows(rows, alphas)
	bias := scope.WithInitializer(initializer.Zero).VariableWithShape("bias", shapes.Make(DType, dim)).NodeValue(regions.Graph())
	return responseNorm(activation.Relu(addLast(ReduceSum(scaled, -2), bias))), rows, scaled
}

// tvEmbeddingWindows is the dim-wide tv-embedding of every window of q words of tokens [B, L],
// with q-1 empty places at each end: [B, L+q-1, dim], window t covering words t-q+1..t. With
// alphas, the scaled rows of each window offset come back for the attributions.
func tvEmbeddingWindows(scope *model.Scope, tokens *Node, q, dim int, alphas *Node) (*Node, []scaledInput) {
	batchSize, seqLen := tokens.Shape().Dimensions[0], tokens.Shape().Dimensions[1]
	padded := padBoth(tokens, q-1)
	n := seqLen + q - 1
	windows := make([]*Node, q)
	for k := range q {
		windows[k] = Slice(padded, AxisRange(), AxisRange(k, k+n))
	}
	u, rows, scaled := tvEmbed(scope, Stack(windows, -1), alphas, dim) // regions [B, n, q]
	if alphas == nil {
		return u, nil
	}
	var out []scaledInput
	for k := range q {
		pick := func(x *Node) *Node {
			return Reshape(Slice(x, AxisRange(), AxisRange(), AxisRange(k, k+1)), batchSize, n, -1)
		}
		out = append(out, scaledInput{scaled: pick(scaled), raw: pick(rows), first: k - (q - 1)})
	}
	return u, out
}

// RegionEmbedding is the pretraining graph of the tv-embedding (Johnson & Zhang 2015b,
// unsup-tv): regions [R, q] (word ids of q-word regions of unlabeled text) are embedded by
// tvEmbed, and a linear output layer scores targets [R, T]: indices of words, those of the
// words left of the region and (plus the vocabulary size) of those right of it. It returns the
// scores [R, T]; loss.RegionTargets trains them towards 1 for the words that are there and 0
// for sampled others.
func RegionEmbedding(scope *model.Scope, regions, targets *Node) *Node {
	g := regions.Graph()
	u, _, _ := tvEmbed(scope.In(TVScope), regions, nil, model.GetParamOr(scope, ParamTVDim, 100)) // [R, D]
	vocab := model.GetParamOr(scope, ParamVocabSize, 0)
	dim := u.Shape().Dimensions[1]
	out := scope.In(TVOutputScope).WithInitializer(initializer.RandomNormalFn(scope, 0.01))
	w := out.VariableWithShape("weights", shapes.Make(DType, 2*vocab, dim)).NodeValue(g)
	b := out.WithInitializer(initializer.Zero).VariableWithShape("bias", shapes.Make(DType, 2*vocab)).NodeValue(g)
	idx := InsertAxes(targets, -1)
	return Add(Einsum("rd,rtd->rt", u, Gather(w, idx)), Gather(b, idx))
}

// addLast adds b [D] to every vector of x [..., D].
func addLast(x, b *Node) *Node {
	dims := make([]int, x.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[len(dims)-1] = b.Shape().Dimensions[0]
	return Add(x, Reshape(b, dims...))
}
