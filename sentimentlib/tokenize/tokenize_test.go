package tokenize

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/go-huggingface/tokenizers/hftokenizer"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
)

const fixture = "../../data/hf-cache"

func fixtureTexts(t testing.TB, split string) []string {
	t.Helper()
	reviews, err := imdb.ReadSplit(context.Background(), fixture, split, true)
	if err != nil {
		t.Fatal(err)
	}
	return imdb.Texts(reviews)
}

// edgeCases exercise the normalizer and the pre-tokenizer.
var edgeCases = []string{
	"",
	"   ",
	"I didn't like it :) but the ending... WOW!!!",
	"Great film.<br /><br />Loved it<br/>and<br>more <br  /> end",
	"Tom &amp; Jerry &quot;rocks&quot; &lt;3 &#39;quoted&#39; &amp;quot;",
	"Café naïve résumé ÉCOLE straße",
	"日本の映画 は素晴らしい",
	"control\x00chars\x07here\ttab\nnewline\rcr",
	"invalid \xff\xfe utf8 \xc3 bytes",
	"[UNK] literal [CLS]special[SEP] tokens [MASK]",
	"emoji 😀😀 and symbols ©®™ — “smart quotes” ‘single’",
	strings.Repeat("a", 150) + " long word",
	"unbelievablyrewatchable supercalifragilistic zzzzqqqxx",
	"nbsp\u00a0space and\u2003em space",
}

func trainFixture(t testing.TB, vocab int) *Tokenizer {
	t.Helper()
	tok, err := Train(fixtureTexts(t, imdb.SplitTrain), TrainOptions{VocabSize: vocab, MinWordFreq: 2, MinCharFreq: 2})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestPreTokenization(t *testing.T) {
	cases := map[string][]string{
		"I didn't like it :)":           {"i", "didn", "'", "t", "like", "it", ":", ")"},
		"Great!<br /><br />Really.":     {"great", "!", "really", "."},
		"Tom &amp; Jerry &quot;x&quot;": {"tom", "&", "jerry", `"`, "x", `"`},
		"A<br>b<brc":                    {"a", "b", "<", "brc"},
		"":                              nil,
		"bad\xffbyte":                   {"badbyte"},
		"ÉCOLE":                         {"école"},
	}
	for in, want := range cases {
		if got := Words(in); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpecialIDsAndUnknowns(t *testing.T) {
	tok := trainFixture(t, 3000)
	for i, s := range SpecialTokens {
		if id, ok := tok.ID(s); !ok || id != int32(i) {
			t.Errorf("special token %q has id %d (found %v), want %d", s, id, ok, i)
		}
	}
	if ids := tok.Encode(""); len(ids) != 0 {
		t.Errorf("Encode(\"\") = %v, want no ids", ids)
	}
	// A word longer than MaxInputCharsPerWord is one [UNK].
	if ids := tok.Encode(strings.Repeat("b", MaxInputCharsPerWord+1)); !slices.Equal(ids, []int32{UnkID}) {
		t.Errorf("over-long word gave %v, want [UNK]", ids)
	}
	// An unseen word splits into known pieces, not [UNK].
	ids := tok.Encode("unwatchableness")
	if len(ids) < 2 || slices.Contains(ids, UnkID) {
		t.Errorf("unseen word gave %v (%q), want several known pieces", ids, tok.Decode(ids))
	}
	if got := tok.Decode(ids); got != "unwatchableness" {
		t.Errorf("Decode(Encode(unseen word)) = %q", got)
	}
	// A character never seen in training becomes [UNK].
	if ids := tok.Encode("ᚠᚢᚦ"); !slices.Equal(ids, []int32{UnkID}) {
		t.Errorf("unseen characters gave %v, want [UNK]", ids)
	}
	for _, s := range edgeCases {
		for _, id := range tok.Encode(s) {
			if id < 0 || int(id) >= tok.VocabSize() || id == PadID {
				t.Errorf("Encode(%q) gave id %d out of range or padding", s, id)
			}
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	tok := trainFixture(t, 3000)
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tok.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tok.tokens, back.tokens) {
		t.Fatal("vocabulary changed in the save/load round trip")
	}
	texts := append(fixtureTexts(t, imdb.SplitTest), edgeCases...)
	want, got := tok.EncodeAll(texts), back.EncodeAll(texts)
	for i := range texts {
		if !slices.Equal(want[i], got[i]) {
			t.Fatalf("text %d: ids differ after reload:\n%v\n%v", i, want[i], got[i])
		}
	}
}

// TestHuggingFaceTokenizerAgrees loads the written tokenizer.json with go-huggingface's
// hftokenizer (an independent implementation of the same format) and checks it gives the same ids.
func TestHuggingFaceTokenizerAgrees(t *testing.T) {
	tok := trainFixture(t, 3000)
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tok.Save(path); err != nil {
		t.Fatal(err)
	}
	hf, err := hftokenizer.NewFromFile(nil, path)
	if err != nil {
		t.Fatalf("go-huggingface cannot load our tokenizer.json: %v", err)
	}
	for token, id := range hf.GetVocab() {
		if ours, ok := tok.ID(token); !ok || int(ours) != id {
			t.Fatalf("hftokenizer maps %q to %d, ours to %d (found %v)", token, id, ours, ok)
		}
	}
	texts := append(fixtureTexts(t, imdb.SplitTest), edgeCases...)
	texts = append(texts, fixtureTexts(t, imdb.SplitUnsupervised)...)
	mismatches := 0
	for _, text := range texts {
		ours := tok.Encode(text)
		theirs := hf.Encode(text)
		if !slices.Equal(toInt(ours), theirs) {
			mismatches++
			if mismatches <= 3 {
				t.Errorf("ids differ for %q:\nours   %v\ntheirs %v", text[:min(len(text), 80)], ours, theirs)
			}
		}
	}
	if mismatches > 0 {
		t.Errorf("%d of %d texts encode differently", mismatches, len(texts))
	}
}

func toInt(ids []int32) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}

func TestTrainDeterministicAndSized(t *testing.T) {
	a, b := trainFixture(t, 2000), trainFixture(t, 2000)
	if !slices.Equal(a.tokens, b.tokens) {
		t.Error("two trainings on the same text gave different vocabularies")
	}
	if a.VocabSize() > 2000 {
		t.Errorf("vocabulary size %d exceeds the requested 2000", a.VocabSize())
	}
	if _, err := Train(nil, TrainOptions{}); err == nil {
		t.Error("Train(nil) should fail")
	}
}

func TestTrainSeesOnlyGivenText(t *testing.T) {
	train := slices.Repeat([]string{"a fine movie, zzzonlyintrain rules"}, 10)
	tok, err := Train(train, TrainOptions{VocabSize: 500, MinWordFreq: 2, MinCharFreq: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tok.ID("zzzonlyintrain"); !ok {
		t.Error("a frequent training word is missing from the vocabulary")
	}
	if _, ok := tok.ID("movie"); !ok {
		t.Error("'movie' missing")
	}
}

func TestParseRejectsForeignFiles(t *testing.T) {
	for _, bad := range []string{`not json`, `{"model":{"type":"BPE"}}`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) should fail", bad)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("Load of a missing file: error %v should name the file", err)
	}
}

func FuzzEncode(f *testing.F) {
	tok := trainFixture(f, 2000)
	for _, s := range edgeCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, id := range tok.Encode(s) {
			if id < 0 || int(id) >= tok.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
	})
}

func TestReadable(t *testing.T) {
	for text, want := range map[string]bool{
		"": false, "   ": false, "<br /><br />": false, "&amp; &quot;": false, "!!! ???": false, "😀😀": false, ":)": false,
		"ok": true, "10/10": true, "Très bien": true, "<br />good<br />": true, "日本": true,
	} {
		if got := Readable(text); got != want {
			t.Errorf("Readable(%q) = %v, want %v", text, got, want)
		}
	}
}
