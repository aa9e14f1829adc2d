// Package tokenize is the project's tokenizer: a WordPiece tokenizer for movie reviews, trained
// on the training split only, saved and loaded in the Hugging Face tokenizer.json format (readable
// by go-huggingface's hftokenizer and by Python's tokenizers).
//
// The vocabulary holds the special tokens, every frequent character (as a word start and as a
// "##" continuation, so no word is ever out of vocabulary unless it has a rare character), the
// most frequent words, and the most frequent prefixes and "##" suffixes of the remaining rare words,
// so that unseen words like "rewatchable" still split into meaningful pieces ("re", "##watch"...).
package tokenize

import (
	"fmt"
	"unicode/utf8"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/par"
)

// Special tokens, with fixed ids 0-4: padding is 0, so a mask is simply `ids != 0`.
const (
	PadToken  = "[PAD]"
	UnkToken  = "[UNK]"
	ClsToken  = "[CLS]"
	SepToken  = "[SEP]"
	MaskToken = "[MASK]"

	PadID  int32 = 0
	UnkID  int32 = 1
	ClsID  int32 = 2
	SepID  int32 = 3
	MaskID int32 = 4

	// ContinuationPrefix marks WordPiece pieces that continue a word.
	ContinuationPrefix = "##"
	// MaxInputCharsPerWord: longer words become [UNK] (as in BERT).
	MaxInputCharsPerWord = 100
)

// SpecialTokens in id order.
var SpecialTokens = []string{PadToken, UnkToken, ClsToken, SepToken, MaskToken}

// Tokenizer converts review text to token ids. It is safe for concurrent use.
type Tokenizer struct {
	tokens []string         // id -> token
	vocab  map[string]int32 // token -> id
}

// newFromTokens builds a tokenizer from its tokens in id order (special tokens first).
func newFromTokens(tokens []string) (*Tokenizer, error) {
	if len(tokens) < len(SpecialTokens) {
		return nil, fmt.Errorf("tokenize: vocabulary of %d tokens is too small", len(tokens))
	}
	for i, s := range SpecialTokens {
		if tokens[i] != s {
			return nil, fmt.Errorf("tokenize: token %d is %q, want the special token %q", i, tokens[i], s)
		}
	}
	t := &Tokenizer{tokens: tokens, vocab: make(map[string]int32, len(tokens))}
	for i, tok := range tokens {
		if _, dup := t.vocab[tok]; dup {
			return nil, fmt.Errorf("tokenize: token %q appears twice in the vocabulary", tok)
		}
		t.vocab[tok] = int32(i)
	}
	return t, nil
}

// VocabSize is the number of tokens, special tokens included.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// Token returns the token string of an id, or "" if out of range.
func (t *Tokenizer) Token(id int32) string {
	if id < 0 || int(id) >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// ID returns the id of a token, and whether it is in the vocabulary.
func (t *Tokenizer) ID(token string) (int32, bool) {
	id, ok := t.vocab[token]
	return id, ok
}

// Encode returns the token ids of text (no special tokens are added). Empty text gives no ids;
// invalid UTF-8 bytes are dropped; unknown characters become [UNK]. It never panics.
func (t *Tokenizer) Encode(text string) []int32 {
	var e encoder
	return e.encode(t, text, nil)
}

// encoder holds reusable buffers for one goroutine.
type encoder struct {
	norm []byte
	key  []byte
}

func (e *encoder) encode(t *Tokenizer, text string, ids []int32) []int32 {
	// Special tokens written literally in the text ("[UNK]", ...) map to their ids, as
	// Hugging Face tokenizers does for added tokens.
	for len(text) > 0 {
		pos, id, n := findSpecial(text)
		if pos < 0 {
			break
		}
		ids = e.encodeSegment(t, text[:pos], ids)
		ids = append(ids, id)
		text = text[pos+n:]
	}
	return e.encodeSegment(t, text, ids)
}

// findSpecial finds the first special token literal in text: its position, id and length.
func findSpecial(text string) (pos int, id int32, n int) {
	pos = -1
	for i := 0; i < len(text); i++ {
		if text[i] != '[' {
			continue
		}
		for j, s := range SpecialTokens {
			if len(text)-i >= len(s) && text[i:i+len(s)] == s {
				return i, int32(j), len(s)
			}
		}
	}
	return
}

func (e *encoder) encodeSegment(t *Tokenizer, text string, ids []int32) []int32 {
	if text == "" {
		return ids
	}
	e.norm = normalize(e.norm[:0], text)
	splitWords(e.norm, func(word []byte) {
		ids = e.wordPiece(t, word, ids)
	})
	return ids
}

// wordPiece appends the ids of one word: greedy longest match, as BERT's WordPiece.
func (e *encoder) wordPiece(t *Tokenizer, word []byte, ids []int32) []int32 {
	if id, ok := t.vocab[string(word)]; ok {
		return append(ids, id)
	}
	if utf8.RuneCount(word) > MaxInputCharsPerWord {
		return append(ids, UnkID)
	}
	n0 := len(ids)
	start := 0
	for start < len(word) {
		end := len(word)
		found := false
		for end > start {
			var id int32
			var ok bool
			if start == 0 {
				id, ok = t.vocab[string(word[:end])]
			} else {
				e.key = append(append(e.key[:0], ContinuationPrefix...), word[start:end]...)
				id, ok = t.vocab[string(e.key)]
			}
			if ok {
				ids = append(ids, id)
				found = true
				break
			}
			// step back one rune.
			end--
			for end > start && !utf8.RuneStart(word[end]) {
				end--
			}
		}
		if !found {
			return append(ids[:n0], UnkID)
		}
		start = end
	}
	return ids
}

// EncodeAll encodes texts in parallel (one goroutine per CPU) and returns their ids.
func (t *Tokenizer) EncodeAll(texts []string) [][]int32 {
	out := make([][]int32, len(texts))
	par.Chunks(len(texts), func(lo, hi int) {
		var e encoder
		for j := lo; j < hi; j++ {
			out[j] = e.encode(t, texts[j], make([]int32, 0, len(texts[j])/4+8))
		}
	})
	return out
}

// Decode returns the text of ids, joining "##" continuations to their word (special tokens and
// padding are skipped).
func (t *Tokenizer) Decode(ids []int32) string {
	var b []byte
	for _, id := range ids {
		if id < int32(len(SpecialTokens)) && id != UnkID {
			continue
		}
		tok := t.Token(id)
		if len(tok) > 2 && tok[:2] == ContinuationPrefix {
			b = append(b, tok[2:]...)
			continue
		}
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, tok...)
	}
	return string(b)
}
