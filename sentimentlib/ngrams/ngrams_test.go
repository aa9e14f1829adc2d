package ngrams

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// corpus: four positive and four negative reviews; counts below are worked out by hand.
var (
	texts = []string{
		"A great film. Great!",         // +
		"Great acting, great story.",   // +
		"I didn't hate it: great fun!", // +
		"Loved it<br /><br />GREAT",    // +
		"An awful film.",               // -
		"Awful, awful acting.",         // -
		"I didn't like it.",            // -
		"Boring film, not great.",      // -
	}
	labels = []int{1, 1, 1, 1, 0, 0, 0, 0}
)

func TestWords(t *testing.T) {
	var got []string
	var buf []byte
	for _, text := range []string{"I didn't hate it: great fun!", "Loved it<br /><br />GREAT &amp; 90's"} {
		buf = tokenize.AppendWords(buf, text, func(w []byte) { got = append(got, string(w)) })
	}
	want := []string{"i", "didn't", "hate", "it", ":", "great", "fun", "!", "loved", "it", "great", "&", "90's"}
	if !slices.Equal(got, want) {
		t.Errorf("words %q, want %q", got, want)
	}
}

func TestFitCountsAndRatios(t *testing.T) {
	v, err := Fit(texts, labels, Options{MaxN: 2, MaxFeatures: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// Review counts: binarized ("great" twice in a review counts once).
	for _, c := range []struct {
		ngram    string
		pos, neg int
	}{{"great", 4, 1}, {"awful", 0, 2}, {"film", 1, 2}, {"didn't", 1, 1}, {"film great", 0, 0}, {"a great", 1, 0},
		{"great !", 1, 0}, {"not great", 0, 1}, {"awful ,", 0, 1}, {"loved it", 1, 0}, {"it great", 1, 0}} {
		id, ok := v.ID(c.ngram)
		if c.pos+c.neg == 0 {
			if ok {
				t.Errorf("%q is in the vocabulary, but no review holds it", c.ngram)
			}
			continue
		}
		if !ok {
			t.Errorf("%q is missing", c.ngram)
			continue
		}
		if pos, neg := v.Counts(id); pos != c.pos || neg != c.neg {
			t.Errorf("%q in %d positive and %d negative reviews, want %d and %d", c.ngram, pos, neg, c.pos, c.neg)
		}
	}
	// Ratios: log((alpha+pos)/sum_p) - log((alpha+neg)/sum_q) over the whole vocabulary.
	var sp, sq float64
	for id := int32(1); id <= int32(v.Len()); id++ {
		pos, neg := v.Counts(id)
		sp += 1 + float64(pos)
		sq += 1 + float64(neg)
	}
	r := v.Ratios()
	for _, g := range []string{"great", "awful", "film", "didn't"} {
		id, _ := v.ID(g)
		pos, neg := v.Counts(id)
		want := math.Log((1+float64(pos))/sp) - math.Log((1+float64(neg))/sq)
		if math.Abs(float64(r[id])-want) > 1e-6 {
			t.Errorf("ratio of %q %v, want %v", g, r[id], want)
		}
	}
	if r[0] != 0 {
		t.Errorf("padding ratio %v, want 0", r[0])
	}
	great, _ := v.ID("great")
	awful, _ := v.ID("awful")
	if r[great] <= 0 || r[awful] >= 0 {
		t.Errorf("ratios great %v, awful %v: want positive and negative", r[great], r[awful])
	}
	if v.NGram(great) != "great" || v.NGram(0) != "" || v.NGram(int32(v.Len()+1)) != "" {
		t.Error("NGram does not invert ID")
	}
}

func TestMaxFeaturesKeepsTheMostFrequent(t *testing.T) {
	all, err := Fit(texts, labels, Options{MaxN: 3, MaxFeatures: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	top, err := Fit(texts, labels, Options{MaxN: 3, MaxFeatures: 10})
	if err != nil {
		t.Fatal(err)
	}
	if top.Len() != 10 {
		t.Fatalf("%d n-grams, want 10", top.Len())
	}
	reviews := func(v *Vocabulary, id int32) int { p, n := v.Counts(id); return p + n }
	// Ids go from the most reviews to the fewest, and the 10 kept are the 10 most frequent of
	// the full vocabulary, in its order (ties broken the same way).
	for id := int32(1); id <= 10; id++ {
		if all.NGram(id) != top.NGram(id) {
			t.Errorf("id %d: %q, the full vocabulary has %q", id, top.NGram(id), all.NGram(id))
		}
		if id > 1 && reviews(top, id) > reviews(top, id-1) {
			t.Errorf("id %d in %d reviews, more than id %d", id, reviews(top, id), id-1)
		}
	}
	if reviews(all, 11) > reviews(all, 10) {
		t.Error("the full vocabulary is not sorted by review count")
	}
	// Ratios are normalised over the kept vocabulary.
	if slices.Equal(all.Ratios()[1:11], top.Ratios()[1:11]) {
		t.Error("ratios of a 10-n-gram vocabulary equal the full one's: normalisation over the kept n-grams missing")
	}
}

func TestEncode(t *testing.T) {
	v, err := Fit(texts, labels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := v.Encode("Great, GREAT film. Zzzunknown great")
	var got []string
	for _, id := range ids {
		got = append(got, v.NGram(id))
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("ids %v: want sorted and each once", ids)
	}
	for _, g := range []string{"great", ",", "film", ".", "great film", "film ."} {
		if !slices.Contains(got, g) {
			t.Errorf("%q missing from %q", g, got)
		}
	}
	for _, g := range got {
		if strings.Contains(g, "zzzunknown") {
			t.Errorf("n-gram %q holds an unknown word", g)
		}
	}
	if len(v.Encode("")) != 0 || len(v.Encode("zzz qqq xxx")) != 0 || len(v.Encode("<br /><br />")) != 0 {
		t.Error("empty or unknown-only text gave ids")
	}
	all := v.EncodeAll(texts)
	for i, text := range texts {
		if !slices.Equal(all[i], v.Encode(text)) {
			t.Errorf("EncodeAll differs from Encode on review %d", i)
		}
	}
}

func TestDeterministicAndSaveLoad(t *testing.T) {
	// Enough reviews for several workers (64 a worker).
	var many []string
	var ls []int
	for i := range 400 {
		many = append(many, texts[i%len(texts)]+strings.Repeat(" word"+string(rune('a'+i%26)), i%5))
		ls = append(ls, labels[i%len(labels)])
	}
	a, err := Fit(many, ls, Options{MaxFeatures: 50})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Fit(many, ls, Options{MaxFeatures: 50})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ngrams.json")
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*Vocabulary{b, c} {
		if !slices.Equal(a.ngrams, o.ngrams) || !slices.Equal(a.Ratios(), o.Ratios()) || !slices.Equal(a.positive, o.positive) || !slices.Equal(a.negative, o.negative) || a.Options() != o.Options() {
			t.Fatal("a second fit or a reload differs")
		}
		for i, text := range many {
			if !slices.Equal(a.Encode(text), o.Encode(text)) {
				t.Fatalf("review %d encodes differently", i)
			}
		}
	}
}

func TestAttributeAddsUp(t *testing.T) {
	v, err := Fit(texts, labels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := "Great film, great acting. Zzz!"
	ids := append(v.Encode(text), 0, 0) // padded
	values := make([]float64, len(ids))
	sum := 0.0
	for i, id := range ids {
		if id != 0 {
			values[i] = float64(i) - 3.5
			sum += values[i]
		}
	}
	words, shares := v.Attribute(text, ids, values)
	if want := []string{"great", "film", ",", "great", "acting", ".", "zzz", "!"}; !slices.Equal(words, want) {
		t.Fatalf("words %q, want %q", words, want)
	}
	total := 0.0
	for _, s := range shares {
		total += s
	}
	if math.Abs(total-sum) > 1e-9 {
		t.Errorf("shares add up to %v, values to %v", total, sum)
	}
	if shares[6] != 0 {
		t.Errorf("the unknown word got %v", shares[6])
	}
	// The unigram "great" occurs twice: each occurrence gets half of its value.
	great, _ := v.ID("great")
	only := []float64{1}
	_, shares = v.Attribute(text, []int32{great}, only)
	if shares[0] != 0.5 || shares[3] != 0.5 || shares[1] != 0 {
		t.Errorf("shares of \"great\" alone: %v", shares)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		texts  []string
		labels []int
		opts   Options
		want   string
	}{
		{texts, labels[:3], Options{}, "8 texts but 3 labels"},
		{nil, nil, Options{}, "no training reviews"},
		{texts[:2], []int{1, -1}, Options{}, "label -1"},
		{texts, labels, Options{MaxN: 4}, "max_n 4"},
		{texts, labels, Options{MaxFeatures: -1}, "max_features -1"},
		{texts, labels, Options{Alpha: -1}, "alpha -1"},
	} {
		if _, err := Fit(c.texts, c.labels, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Fit: error %v, want one with %q", err, c.want)
		}
	}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"notjson":  "{",
		"format":   `{"format":"other"}`,
		"lengths":  `{"format":"` + Format + `","max_n":3,"max_features":10,"alpha":1,"ngrams":["a","b"],"ratios":[1],"positive_reviews":[1,1],"negative_reviews":[1,1]}`,
		"dup":      `{"format":"` + Format + `","max_n":3,"max_features":10,"alpha":1,"ngrams":["a","a"],"ratios":[1,1],"positive_reviews":[1,1],"negative_reviews":[1,1]}`,
		"toolong":  `{"format":"` + Format + `","max_n":1,"max_features":10,"alpha":1,"ngrams":["a b"],"ratios":[1],"positive_reviews":[1],"negative_reviews":[1]}`,
		"badalpha": `{"format":"` + Format + `","max_n":1,"max_features":10,"alpha":0,"ngrams":[],"ratios":[],"positive_reviews":[],"negative_reviews":[]}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
}

// TestNegation: with Negation, the words after a negation word up to punctuation or "but" are
// keyed "not_"+word (worked out by hand on the corpus); Attribute still shows the words as
// written; without it nothing changes.
func TestNegation(t *testing.T) {
	var keys []string
	var buf []byte
	buf = tokenize.AppendWords(buf, "I didn't like it, but it was not bad at all. Never again! Great", negations(true, func(_, key []byte) {
		keys = append(keys, string(key))
	}))
	want := []string{"i", "didn't", "not_like", "not_it", ",", "but", "it", "was", "not", "not_bad", "not_at", "not_all", ".",
		"never", "not_again", "!", "great"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}
	v, err := Fit(texts, labels, Options{MaxN: 2, MaxFeatures: 1000, Negation: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ngram    string
		pos, neg int
	}{{"not_hate", 1, 0}, {"not_like", 0, 1}, {"didn't not_like", 0, 1}, {"not_it", 1, 1}, {"not not_great", 0, 1}, {"great", 4, 0}, {"hate", 0, 0}, {"like", 0, 0}} {
		id, ok := v.ID(c.ngram)
		if c.pos+c.neg == 0 {
			if ok {
				t.Errorf("%q is in the vocabulary, but only its negated form occurs", c.ngram)
			}
			continue
		}
		if !ok {
			t.Errorf("%q is missing", c.ngram)
			continue
		}
		if pos, neg := v.Counts(id); pos != c.pos || neg != c.neg {
			t.Errorf("%q: counts %d/%d, want %d/%d", c.ngram, pos, neg, c.pos, c.neg)
		}
	}
	ids := v.Encode("I didn't like it.")
	words, shares := v.Attribute("I didn't like it.", ids, make([]float64, len(ids)))
	if !slices.Equal(words, []string{"i", "didn't", "like", "it", "."}) || len(shares) != len(words) {
		t.Errorf("Attribute's words %q, want them as written", words)
	}
	path := filepath.Join(t.TempDir(), "ngrams.json")
	if err := v.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Options().Negation || !slices.Equal(back.Encode("not bad"), v.Encode("not bad")) {
		t.Errorf("Load lost the negation option: %+v", back.Options())
	}
	var saved file
	if b, _ := os.ReadFile(path); json.Unmarshal(b, &saved) != nil || !strings.HasSuffix(saved.Words, NegationDescription) {
		t.Error("the saved file's words field does not describe the negation marking")
	}
	plain, _ := Fit(texts, labels, Options{MaxN: 2, MaxFeatures: 1000})
	if _, ok := plain.ID("not_hate"); ok {
		t.Error("without Negation, words were marked")
	}
}
