// Package verdict holds what a trained model answers: a Prediction, and an Explanation with
// the words behind it. It depends on nothing else of the project, so a server or client can
// use the answers without the library that computes them.
package verdict

import (
	"cmp"
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
)

// Prediction for one review.
type Prediction struct {
	Label       string  `json:"label"`       // "positive" or "negative"
	Probability float64 `json:"probability"` // probability that the review is positive
	// Unknown: the review holds nothing the model knows (no vocabulary n-gram for nbsvm; no
	// token but [UNK] for the tokenizer's models, an empty review included), so the
	// probability is the model's prior: its bias alone for the linear models.
	Unknown bool `json:"unknown,omitempty"`
	// Truncated: the review is longer than the model reads (max_len ids, head and tail kept),
	// so the prediction skips its middle.
	Truncated bool `json:"truncated"`
}

// New labels a probability of the positive class.
func New(probability float64, unknown, truncated bool) Prediction {
	pr := Prediction{Label: "negative", Probability: probability, Unknown: unknown, Truncated: truncated}
	if probability >= 0.5 {
		pr.Label = "positive"
	}
	return pr
}

// WordAttribution is one word of a review (its WordPiece pieces joined, or the word of the
// n-gram features) with its attribution:
// positive values pushed the prediction towards "positive", negative towards "negative".
type WordAttribution struct {
	Word        string  `json:"word"`
	Attribution float64 `json:"attribution"`
}

// Explanation is a prediction with the words behind it.
type Explanation struct {
	Prediction
	Words []WordAttribution `json:"words"`
	// Logit of the review, and BaselineLogit of the review with its token embeddings zeroed
	// (for nbsvm: the bias): the attributions add up to (about) Logit - BaselineLogit.
	Logit         float64 `json:"logit"`
	BaselineLogit float64 `json:"baseline_logit"`
}

// Top returns the k words with the largest attributions towards label ("positive": largest
// positive values; "negative": most negative).
func (e *Explanation) Top(label string, k int) []WordAttribution {
	sign := 1.0
	if label == "negative" {
		sign = -1
	}
	var out []WordAttribution
	for _, w := range e.Words {
		if sign*w.Attribution > 0 {
			out = append(out, w)
		}
	}
	slices.SortStableFunc(out, func(a, b WordAttribution) int { return cmp.Compare(sign*b.Attribution, sign*a.Attribution) })
	return out[:min(k, len(out))]
}

// HTML renders the words as highlighted text: green for words that pushed towards positive,
// red towards negative, the opacity proportional to the attribution (scaled by the largest).
func (e *Explanation) HTML() string {
	scale := 0.0
	for _, w := range e.Words {
		scale = math.Max(scale, math.Abs(w.Attribution))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div style="font-family:sans-serif;line-height:1.9"><div><b>%s</b> (p(positive) = %.3f)</div><div>`, e.Label, e.Probability)
	for _, w := range e.Words {
		alpha := 0.0
		if scale > 0 {
			alpha = math.Abs(w.Attribution) / scale
		}
		color := "0,158,115" // green
		if w.Attribution < 0 {
			color = "213,94,0" // vermillion
		}
		fmt.Fprintf(&b, `<span title="%+.4f" style="background:rgba(%s,%.2f);padding:1px 2px;border-radius:3px">%s</span> `,
			w.Attribution, color, 0.85*alpha, html.EscapeString(w.Word))
	}
	if e.Truncated {
		b.WriteString(`<div><i>(long review: the model reads its beginning and end only)</i></div>`)
	}
	b.WriteString(`</div></div>`)
	return b.String()
}
