package sentimentlib

import (
	"context"
	"math"
	"sync"
	"testing"
	"unicode/utf8"
)

var (
	fuzzOnce      sync.Once
	fuzzPredictor *Predictor
	fuzzErr       error
)

// fuzzModel trains a tiny model on the fixture once per test binary.
func fuzzModel(f *testing.F) *Predictor {
	fuzzOnce.Do(func() {
		cfg := tinyConfig(f)
		cfg.Epochs = 1
		dir := f.TempDir()
		if _, fuzzErr = Train(context.Background(), cfg, dir, nil); fuzzErr == nil {
			fuzzPredictor, fuzzErr = Load(dir)
		}
	})
	if fuzzErr != nil {
		f.Fatal(fuzzErr)
	}
	return fuzzPredictor
}

// FuzzPredict: any bytes, as one review, give a probability in [0, 1] from Predict and the same
// one from Explain, with finite attributions, and never panic. The seed corpus (testdata/fuzz)
// runs in every `go test`; `go test -fuzz FuzzPredict ./sentimentlib` explores further.
func FuzzPredict(f *testing.F) {
	p := fuzzModel(f)
	for _, s := range []string{"", " ", "great film", "[CLS] [SEP] [PAD] [MASK] [UNK]", "<br /><br />", "\x00\xff\xfe",
		"😀😀😀 🎬", "a\u0301\u0301\u0301", string(make([]byte, 3000)), "not bad at all", "I\tloved\nit\r\n!!!!!!!!!!!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		preds, err := p.Predict([]string{text})
		if err != nil {
			t.Fatalf("Predict(%q): %v", text, err)
		}
		pr := preds[0].Probability
		if !(pr >= 0 && pr <= 1) {
			t.Fatalf("Predict(%q): probability %v", text, pr)
		}
		e, err := p.Explain(text)
		if err != nil {
			t.Fatalf("Explain(%q): %v", text, err)
		}
		if math.Abs(e.Probability-pr) > 1e-5 || e.Label != preds[0].Label {
			t.Fatalf("Explain(%q) = %v %s, Predict = %v %s", text, e.Probability, e.Label, pr, preds[0].Label)
		}
		for _, w := range e.Words {
			if math.IsNaN(w.Attribution) || math.IsInf(w.Attribution, 0) || !utf8.ValidString(w.Word) {
				t.Fatalf("Explain(%q): word %q attribution %v", text, w.Word, w.Attribution)
			}
		}
	})
}
