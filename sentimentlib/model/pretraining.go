package model

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
)

// MaskedLM is the pretraining graph of the transformer (BERT's masked language model, Devlin et
// al. 2019): the encoder of Transformer, with the same variables, then at each position to
// predict ([B, K] int32; the masking is done on the host, see package mlm) a transform
// Dense(D) + GELU + LayerNorm and logits over the vocabulary through the token embedding table
// (tied input and output embeddings, Press & Wolf 2017) plus a bias. It returns [B, K, vocab].
// Only the K gathered positions reach the vocabulary projection, the costly part.
func MaskedLM(scope *model.Scope, tokens, positions *Node) *Node {
	return Pretraining(scope, tokens, positions, PretrainHeads{MLM: true}).Logits
}

// MaskedLMAndDocument is MaskedLM that also returns document logits [B, vocab]: the masked mean
// of the encoder's final states (the classifier's "mean" pooling), or with document_pool
// "embeddings" of the token embeddings, through a transform of its own and the same tied
// output embeddings. DocumentLoss trains them to predict the piece's masked words, which the
// input does not show, from the whole piece: a bag-of-words objective over the pooled state
// (as in paragraph vectors, Le & Mikolov 2014, and Doc2VecC, Chen 2017). Words that share
// reviews, such as the words of one sentiment, are pulled together in the very vector the
// classifier reads, where the MLM alone, predicting a word from a 64-token window, puts "great"
// and "awful" side by side because they fill the same slots.
func MaskedLMAndDocument(scope *model.Scope, tokens, positions *Node) (logits, document *Node) {
	out := Pretraining(scope, tokens, positions, PretrainHeads{MLM: true, Document: true})
	return out.Logits, out.Document
}

// PretrainHeads says which pretraining outputs Pretraining builds on the one encoder pass.
type PretrainHeads struct {
	MLM, Document, Contrastive bool
}

// PretrainOutputs are the pretraining graph's outputs; those not asked for are nil.
type PretrainOutputs struct {
	Logits   *Node // [B, K, vocab]: MaskedLM
	Document *Node // [B, vocab]: MaskedLMAndDocument
	// Contrastive is the contrastive halves' loss (a scalar), ContrastiveCorrect and
	// ContrastiveCount its retrieval hits and the pieces it scored.
	Contrastive, ContrastiveCorrect, ContrastiveCount *Node
}

// Pretraining runs the encoder once and builds the asked-for pretraining heads on it.
func Pretraining(scope *model.Scope, tokens, positions *Node, heads PretrainHeads) PretrainOutputs {
	g := tokens.Graph()
	e := encode(scope, tokens, nil)
	dim := e.x.Shape().Dimensions[2]
	hs := scope.In(MLMHeadScope)
	vocab := model.GetParamOr(scope, ParamVocabSize, 0)
	var out PretrainOutputs
	if heads.MLM || heads.Document {
		table := scope.Shared("token_embedding").VariableWithShape("embeddings", shapes.Make(DType, vocab, dim)).NodeValue(g)
		if heads.MLM {
			batchSize, k := positions.Shape().Dimensions[0], positions.Shape().Dimensions[1]
			rows := Iota(g, shapes.Make(positions.DType(), batchSize, k), 0)
			h := Gather(e.x, Stack([]*Node{rows, positions}, -1)) // [B, K, D]
			h = activation.Gelu(layers.DenseWithBias(hs.In("transform"), h, dim))
			h = norm.LayerNorm(hs.In("transform_norm"), h, -1).Done()
			bias := hs.VariableWithShape("output_bias", shapes.Make(DType, vocab)).NodeValue(g)
			out.Logits = Add(Einsum("bkd,vd->bkv", h, table), Reshape(bias, 1, 1, vocab))
		}
		if heads.Document {
			var d *Node
			switch pool := model.GetParamOr(scope, ParamDocumentPool, "states"); pool {
			case "states":
				d = maskedMean(e.x, e.mask, e.lengths) // [B, D], as the classifier pools
			case "embeddings":
				// The input pieces' token embeddings ([MASK] and replaced tokens included: the
				// masked words stay hidden), before position embeddings and the transformer.
				d = maskedMean(e.embedded, e.mask, e.lengths)
			default:
				panic(fmt.Sprintf("model: %q=%q: want \"states\" or \"embeddings\"", ParamDocumentPool, pool))
			}
			d = activation.Gelu(layers.DenseWithBias(hs.In("document_transform"), d, dim))
			d = norm.LayerNorm(hs.In("document_norm"), d, -1).Done()
			docBias := hs.VariableWithShape("document_bias", shapes.Make(DType, vocab)).NodeValue(g)
			out.Document = Add(Einsum("bd,vd->bv", d, table), Reshape(docBias, 1, vocab))
		}
	}
	if heads.Contrastive {
		window := model.GetParamOr(scope, ParamWindow, 0)
		if window <= 0 {
			panic(fmt.Sprintf("model: the contrastive halves need local attention (%q > 0), or each half would see the other", ParamWindow))
		}
		c := halvesContrastive(hs.In("contrastive"), e.x, e.mask, e.lengths, window)
		out.Contrastive, out.ContrastiveCorrect, out.ContrastiveCount = c.loss, c.correct, c.count
	}
	return out
}

// MLMHeadScope is the scope of the masked-language-model head; fine-tuning does not load it.
const MLMHeadScope = "mlm_head"
