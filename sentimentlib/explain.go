package sentimentlib

import (
	"context"
	"fmt"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/ngrams"
	"github.com/sentiment-go/sentiment/sentimentlib/verdict"
	"github.com/sentiment-go/sentiment/sentimentlib/words"
)

// The results' types live in package verdict, which the web server imports alone.
type (
	WordAttribution = verdict.WordAttribution
	Explanation     = verdict.Explanation
)

// explainExecutor returns the attributions' executor, built on first use. Once built it is
// read under the shared lock, so an explanation never queues the predictions behind it.
func (p *Predictor) explainExecutor() (*model.Exec, error) {
	p.mu.RLock()
	e := p.explainExec
	p.mu.RUnlock()
	if e != nil {
		return e, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.explainExec != nil {
		return p.explainExec, nil
	}
	fn, err := smodel.AttributionsFn(p.cfg.Architecture)
	if err != nil {
		return nil, err
	}
	p.explainExec, err = model.NewExec(p.backend, p.store, func(scope *model.Scope, tokens, alphas *Node) []*Node {
		logits, attr := fn(scope.In("model"), tokens, alphas)
		return []*Node{logits, attr}
	})
	return p.explainExec, err
}

// IntegrationSteps is the number of points of the Integrated Gradients path in Explain.
const IntegrationSteps = 32

// Explain classifies one review and attributes the decision to its words with Integrated
// Gradients (Sundararajan et al. 2017) on the token embeddings: each token's embedding is scaled
// from 0 (the baseline) to its value in IntegrationSteps steps, and the logit's gradients along
// the way, dotted with the embedding, are averaged. The attributions add up to the logit minus
// the baseline's logit, so they say how much each word moved this decision, even where the
// model is saturated (plain gradient x input is not). The review and all the steps run as one
// batch. For nbsvm, whose logit is a sum over n-grams, the same path gives each n-gram's exact
// share, spread over its words, and the baseline is the bias.
func (p *Predictor) Explain(text string) (*Explanation, error) {
	return p.ExplainContext(context.Background(), text)
}

// ExplainContext is Explain, not started when ctx has ended.
func (p *Predictor) ExplainContext(ctx context.Context, text string) (*Explanation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ids := p.feat.Encode(text)
	opts := p.cfg.BatchOptions(false)
	opts.BatchSize = 1
	ds, err := batch.New("explain", [][]int32{ids}, []int{0}, opts)
	if err != nil {
		return nil, err
	}
	one := ds.Make(ds.Plan(0)[0])
	row := tensors.MustCopyFlatData[int32](one.Inputs[0])
	L, m := len(row), IntegrationSteps
	// Rows 0..m-1: the path's midpoints; row m: the baseline (alpha 0); row m+1: the review.
	tokens := make([]int32, (m+2)*L)
	alphas := make([]float32, m+2)
	for k := range m + 2 {
		copy(tokens[k*L:], row)
		alphas[k] = (float32(k) + 0.5) / float32(m)
	}
	alphas[m], alphas[m+1] = 0, 1
	exec, err := p.explainExecutor()
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	res, err := exec.Exec(tensors.FromFlatDataAndDimensions(tokens, m+2, L), alphas)
	p.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	logits := tensors.MustCopyFlatData[float32](res[0])
	all := tensors.MustCopyFlatData[float32](res[1])
	attr := make([]float64, L)
	for k := range m {
		for i := range L {
			attr[i] += float64(all[k*L+i]) / float64(m)
		}
	}
	e := &Explanation{Logit: float64(logits[m+1]), BaselineLogit: float64(logits[m])}
	e.Prediction = verdict.New(p.probability(e.Logit), !known(ids, p.feat), p.truncated(ids))
	e.Words = p.wordAttributions(text, row, attr)
	return e, nil
}

// wordAttributions maps the attributions of the ids in row (padded) to the words of text. For
// the tokenizer's models, a word's WordPiece pieces are joined and their attributions added;
// for nbsvm, each n-gram's exact share of the logit is spread over its words
// (ngrams.Vocabulary.Attribute).
func (p *Predictor) wordAttributions(text string, row []int32, attr []float64) []WordAttribution {
	var out []WordAttribution
	if v, ok := p.feat.(*ngrams.Vocabulary); ok {
		words, shares := v.Attribute(text, row, attr)
		for i, w := range words {
			out = append(out, WordAttribution{Word: w, Attribution: shares[i]})
		}
		return out
	}
	if _, ok := p.feat.(*words.Vocabulary); ok {
		// One id a word: the text's words, as the review was truncated.
		ws := words.Split(text)
		index := make([]int32, len(ws))
		for i := range index {
			index[i] = int32(i)
		}
		for i, w := range p.cfg.BatchOptions(false).Truncation.Apply(index) {
			out = append(out, WordAttribution{Word: ws[w], Attribution: attr[i]})
		}
		return out
	}
	tok := p.Tokenizer()
	for i, id := range row {
		if id == 0 { // padding
			break
		}
		piece := tok.Token(id)
		if strings.HasPrefix(piece, "[") && strings.HasSuffix(piece, "]") && piece != "[UNK]" {
			continue // [CLS], [SEP]
		}
		if rest, ok := strings.CutPrefix(piece, "##"); ok && len(out) > 0 {
			last := &out[len(out)-1]
			last.Word += rest
			last.Attribution += attr[i]
			continue
		}
		out = append(out, WordAttribution{Word: piece, Attribution: attr[i]})
	}
	return out
}

// AttributionMethod says in a few words how Explain attributes a decision to the words, for
// the demo page.
func (p *Predictor) AttributionMethod() string {
	switch p.cfg.Architecture {
	case "nbsvm":
		return "each n-gram's exact share of the logit, (w + a) r / s, spread evenly over its words"
	case "region_cnn":
		return "Integrated Gradients on the looked-up word vectors of the regions"
	}
	return "Integrated Gradients on the token embeddings"
}
