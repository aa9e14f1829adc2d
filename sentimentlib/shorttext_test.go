package sentimentlib

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
)

// TestSentences: sentences end at terminal punctuation (with closing quotes) followed by space;
// line breaks read as spaces; each review gives its first and last sentence of three words or
// more, labelled by it.
func TestSentences(t *testing.T) {
	got := Sentences(`Great film. "Loved it!" Would I see it again?<br /><br />Yes... Ten/10`)
	want := []string{"Great film.", `"Loved it!"`, "Would I see it again?", "Yes...", "Ten/10"}
	if !slices.Equal(got, want) {
		t.Errorf("Sentences: %q, want %q", got, want)
	}
	rs := ReviewSentences([]imdb.Review{
		{Text: "Wow. I loved this film. Bad? No. The best one this year!", Label: 1},
		{Text: "Too short.", Label: 0},
		{Text: "A single long sentence here", Label: 0},
	})
	wantRS := []ShortText{{"I loved this film.", 1, "first"}, {"The best one this year!", 1, "last"}, {"A single long sentence here", 0, "first"}}
	if !slices.Equal(rs, wantRS) {
		t.Errorf("ReviewSentences: %+v, want %+v", rs, wantRS)
	}
	// The calibration's sentences: the middle one of three or more, never the first or last.
	ms := MiddleSentences([]imdb.Review{
		{Text: "Wow. I loved this film. Bad? No. The best one this year!", Label: 1},
		{Text: "It starts well enough. Then it drags on and on. The cast tries hard. It ends badly enough.", Label: 0},
		{Text: "Two long sentences here. And here is the other.", Label: 0},
	})
	wantMS := []ShortText{{"The cast tries hard.", 0, "middle"}}
	if !slices.Equal(ms, wantMS) {
		t.Errorf("MiddleSentences: %+v, want %+v", ms, wantMS)
	}
	ones := OneLiners()
	pos := 0
	for _, o := range ones {
		pos += o.Label
	}
	if len(ones) < 50 || pos != len(ones)/2 || ones[0].Text != "This movie was wonderful." {
		t.Errorf("%d one-liners, %d positive, first %q", len(ones), pos, ones[0].Text)
	}
}

// TestEvaluateShort: a trained model's short-text report counts every sentence once across the
// length buckets and every one-liner, its misses on the wrong side of 0.5.
func TestEvaluateShort(t *testing.T) {
	cfg := tinyNBSVM(t)
	dir := t.TempDir()
	if _, err := Train(context.Background(), cfg, dir, nil); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.EvaluateShort(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range rep.Sentences {
		n += b.N
		if b.Accuracy < 0 || b.Accuracy > 1 || b.MeanConfidence < 0.5 || b.MeanConfidence > 1 {
			t.Errorf("bucket %+v", b)
		}
	}
	if n != rep.AllSentences.N || n == 0 || rep.OneLiners.N != len(OneLiners()) {
		t.Errorf("sentences %d in buckets, %d in all; one-liners %d", n, rep.AllSentences.N, rep.OneLiners.N)
	}
	wrong := int(float64(rep.OneLiners.N)*(1-rep.OneLiners.Accuracy) + 0.5)
	if len(rep.OneLinerMisses) != wrong || rep.OneLinersSure > rep.OneLiners.N-wrong {
		t.Errorf("%d misses listed, accuracy says %d; %d sure", len(rep.OneLinerMisses), wrong, rep.OneLinersSure)
	}
}

// TestTrainSentences: data.train_sentences adds the training reviews' sentences to the
// training split alone, labelled by their reviews.
func TestTrainSentences(t *testing.T) {
	cfg := tinyNBSVM(t)
	plain, err := cfg.LoadData(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data.TrainSentences = true
	more, err := cfg.LoadData(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	added := ReviewSentences(plain.Train)
	if len(more.Train) != len(plain.Train)+len(added) || len(more.Validation) != len(plain.Validation) || len(more.Test) != len(plain.Test) {
		t.Fatalf("train %d -> %d (+%d sentences), validation %d -> %d, test %d -> %d",
			len(plain.Train), len(more.Train), len(added), len(plain.Validation), len(more.Validation), len(plain.Test), len(more.Test))
	}
	last := more.Train[len(more.Train)-1]
	if want := added[len(added)-1]; last.Text != want.Text || last.Label != want.Label {
		t.Errorf("last training example %+v, want %+v", last, want)
	}
}

// TestECEFloor: for n texts all given probability q, a calibrated model's ECE is |K/n - q| with
// K ~ Binomial(n, q) right answers; eceFloor's draws agree with that expectation, computed
// exactly, within their Monte Carlo error.
func TestECEFloor(t *testing.T) {
	for _, c := range []struct {
		n int
		q float64
	}{{10, 0.8}, {40, 0.65}, {200, 0.9}} {
		ps := make([]float64, c.n)
		for i := range ps {
			ps[i] = c.q
		}
		want := 0.0
		for k := 0; k <= c.n; k++ {
			lp, _ := math.Lgamma(float64(c.n + 1))
			a, _ := math.Lgamma(float64(k + 1))
			b, _ := math.Lgamma(float64(c.n - k + 1))
			prob := math.Exp(lp - a - b + float64(k)*math.Log(c.q) + float64(c.n-k)*math.Log(1-c.q))
			want += prob * math.Abs(float64(k)/float64(c.n)-c.q)
		}
		if got := eceFloor(ps); math.Abs(got-want) > 0.15*want+0.003 {
			t.Errorf("n %d, p %v: floor %v, exact expectation %v", c.n, c.q, got, want)
		}
	}
}
