package sentimentlib

import (
	"context"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

// The short-text evaluation: how a model answers one-line inputs, which IMDB's test split
// (230 words a review on average) never asks but the demo page and the API get first. Two sets:
// sentences of the validation reviews (each review's first and last sentence of at least three
// words, labelled by their review; noisy, since a sentence need not carry its review's verdict)
// and a committed list of plain one-liners (oneliners.tsv).

// ShortText is a short input and its label (1 positive, 0 negative); Source says where it
// came from ("first", "last": a sentence of a review; "one-liner").
type ShortText struct {
	Text   string `json:"text"`
	Label  int    `json:"label"`
	Source string `json:"source"`
}

//go:embed oneliners.tsv
var oneLinersTSV string

// OneLiners are the committed one-line reviews (oneliners.tsv): 30 positive, 30 negative,
// negations among them.
func OneLiners() []ShortText {
	var out []ShortText
	for _, line := range strings.Split(oneLinersTSV, "\n") {
		label, text, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, ShortText{Text: text, Label: map[string]int{"1": 1, "0": 0}[label], Source: "one-liner"})
	}
	return out
}

// sentenceEnd ends a sentence: terminal punctuation (and closing quotes or brackets) then space.
var sentenceEnd = regexp.MustCompile(`[.!?]+["')\]]*\s+`)

// Sentences splits a review into its sentences (IMDB's <br /> line breaks read as spaces).
func Sentences(text string) []string {
	text = strings.ReplaceAll(text, "<br />", " ")
	var out []string
	start := 0
	for _, m := range sentenceEnd.FindAllStringIndex(text, -1) {
		if s := strings.TrimSpace(text[start:m[1]]); s != "" {
			out = append(out, s)
		}
		start = m[1]
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// ReviewSentences are, for each review, its first and its last sentence of at least three
// words (one when they are the same), labelled by the review.
func ReviewSentences(reviews []imdb.Review) []ShortText {
	var out []ShortText
	for _, r := range reviews {
		long := longSentences(r.Text)
		if len(long) == 0 {
			continue
		}
		out = append(out, ShortText{Text: long[0], Label: r.Label, Source: "first"})
		if len(long) > 1 {
			out = append(out, ShortText{Text: long[len(long)-1], Label: r.Label, Source: "last"})
		}
	}
	return out
}

// MiddleSentences are, for each review of at least three sentences of three words or more,
// the middle one of those (never the first or the last, which ReviewSentences takes), labelled
// by the review: Calibrate fits on them, so the short-text evaluation's sentences stay out of
// the fit.
func MiddleSentences(reviews []imdb.Review) []ShortText {
	var out []ShortText
	for _, r := range reviews {
		if long := longSentences(r.Text); len(long) >= 3 {
			out = append(out, ShortText{Text: long[len(long)/2], Label: r.Label, Source: "middle"})
		}
	}
	return out
}

// longSentences are a review's sentences of at least three words.
func longSentences(text string) []string {
	var long []string
	for _, s := range Sentences(text) {
		if len(strings.Fields(s)) >= 3 {
			long = append(long, s)
		}
	}
	return long
}

// ShortBucket is a model's answers on the short texts of one length range (words).
type ShortBucket struct {
	Words          string  `json:"words"`
	N              int     `json:"n"`
	Accuracy       float64 `json:"accuracy"`
	ECE            float64 `json:"ece"`
	MeanConfidence float64 `json:"mean_confidence"`
	// ECEIfCalibrated is the ECE a perfectly calibrated model would show on as many texts with
	// these probabilities (labels drawn from them; the mean of eceDraws draws): the estimator's
	// floor, which a small bucket's ECE cannot be expected to go below.
	ECEIfCalibrated float64 `json:"ece_if_calibrated"`
}

// eceDraws is the number of label draws behind ShortBucket.ECEIfCalibrated.
const eceDraws = 200

// eceFloor is the mean ECE of labels drawn from the probabilities ps themselves (a fixed seed).
func eceFloor(ps []float64) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	drawn := make([]int, len(ps))
	sum := 0.0
	for range eceDraws {
		for i, p := range ps {
			drawn[i] = 0
			if rng.Float64() < p {
				drawn[i] = 1
			}
		}
		sum += metrics.ECE(ps, drawn, metrics.ECEBins)
	}
	return sum / eceDraws
}

// ShortReport is the short-text evaluation of a model: the validation reviews' sentences by
// length, and the one-liners (all of them, and how many are on the right side with a
// probability of at least 0.8, or at most 0.2 for the negative ones).
type ShortReport struct {
	Sentences      []ShortBucket `json:"sentences"`
	AllSentences   ShortBucket   `json:"all_sentences"`
	OneLiners      ShortBucket   `json:"one_liners"`
	OneLinersSure  int           `json:"one_liners_sure"`
	OneLinerMisses []ShortText   `json:"one_liner_misses,omitempty"` // on the wrong side of 0.5
}

// shortBuckets are the length ranges of ShortReport.Sentences: [lo, hi] words.
var shortBuckets = [][2]int{{3, 5}, {6, 10}, {11, 20}, {21, 40}, {41, 1 << 30}}

// EvaluateShort scores the model on the short texts of its validation split and on the
// one-liners (see ShortReport); cacheDir as for PredictSplit.
func (p *Predictor) EvaluateShort(ctx context.Context, cacheDir string) (*ShortReport, error) {
	reviews, err := p.splitReviews(ctx, "validation", cacheDir)
	if err != nil {
		return nil, err
	}
	sents, ones := ReviewSentences(reviews), OneLiners()
	probs, err := p.shortProbabilities(ctx, append(append([]ShortText(nil), sents...), ones...))
	if err != nil {
		return nil, err
	}
	sp, op := probs[:len(sents)], probs[len(sents):]
	rep := &ShortReport{}
	for _, b := range shortBuckets {
		var ps []float64
		var ls []int
		for i, s := range sents {
			if n := len(strings.Fields(s.Text)); n >= b[0] && n <= b[1] {
				ps, ls = append(ps, sp[i]), append(ls, s.Label)
			}
		}
		name := fmt.Sprintf("%d-%d", b[0], b[1])
		if b[1] == 1<<30 {
			name = fmt.Sprintf("%d+", b[0])
		}
		if len(ps) > 0 {
			rep.Sentences = append(rep.Sentences, shortBucket(name, ps, ls))
		}
	}
	rep.AllSentences = shortBucket("all", sp, labelsOf(sents))
	rep.OneLiners = shortBucket("one-liners", op, labelsOf(ones))
	for i, s := range ones {
		if (s.Label == 1 && op[i] >= 0.8) || (s.Label == 0 && op[i] <= 0.2) {
			rep.OneLinersSure++
		}
		if (op[i] >= 0.5) != (s.Label == 1) {
			rep.OneLinerMisses = append(rep.OneLinerMisses, s)
		}
	}
	return rep, nil
}

// shortProbabilities are P(positive) of the texts, calibrated as Predict's are.
func (p *Predictor) shortProbabilities(ctx context.Context, texts []ShortText) ([]float64, error) {
	raw := make([]string, len(texts))
	for i, t := range texts {
		raw[i] = t.Text
	}
	return p.probabilities(ctx, p.feat.EncodeAll(raw))
}

func labelsOf(ts []ShortText) []int {
	out := make([]int, len(ts))
	for i, t := range ts {
		out[i] = t.Label
	}
	return out
}

// shortBucket is the accuracy, ECE and mean confidence of probabilities ps against labels ls.
func shortBucket(name string, ps []float64, ls []int) ShortBucket {
	b := ShortBucket{Words: name, N: len(ps)}
	if m, err := metrics.Compute(ps, ls); err == nil {
		b.Accuracy, b.ECE = m.Accuracy, m.ECE
	}
	for _, p := range ps {
		b.MeanConfidence += max(p, 1-p) / float64(len(ps))
	}
	b.ECEIfCalibrated = eceFloor(ps)
	return b
}
