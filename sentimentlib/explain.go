package sentimentlib

import (
	"context"
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/verdict"
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
	fn := p.cfg.arch().graph
	var err error
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
	e.Prediction = verdict.New(p.probability(e.Logit, len(ids)), !p.known(ids), p.truncated(ids))
	e.Words = p.cfg.arch().features.words(p.feat, opts, text, row, attr)
	return e, nil
}

// AttributionMethod says in a few words how Explain attributes a decision to the words, for
// the demo page.
func (p *Predictor) AttributionMethod() string { return p.cfg.arch().explains }
