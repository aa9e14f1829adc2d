package tokenize

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
)

// The Hugging Face tokenizer.json structures we write and read.

type hfAddedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type hfPattern struct {
	Regex  string `json:"Regex,omitempty"`
	String string `json:"String,omitempty"`
}

type hfNormalizer struct {
	Type               string         `json:"type"`
	Normalizers        []hfNormalizer `json:"normalizers,omitempty"`
	Pattern            *hfPattern     `json:"pattern,omitempty"`
	Content            *string        `json:"content,omitempty"`
	CleanText          *bool          `json:"clean_text,omitempty"`
	HandleChineseChars *bool          `json:"handle_chinese_chars,omitempty"`
	StripAccents       *bool          `json:"strip_accents,omitempty"`
	Lowercase          *bool          `json:"lowercase,omitempty"`
}

type hfModel struct {
	Type                    string           `json:"type"`
	UnkToken                string           `json:"unk_token"`
	ContinuingSubwordPrefix string           `json:"continuing_subword_prefix"`
	MaxInputCharsPerWord    int              `json:"max_input_chars_per_word"`
	Vocab                   map[string]int32 `json:"vocab"`
}

type hfTokenizer struct {
	Version       string         `json:"version"`
	Truncation    any            `json:"truncation"`
	Padding       any            `json:"padding"`
	AddedTokens   []hfAddedToken `json:"added_tokens"`
	Normalizer    hfNormalizer   `json:"normalizer"`
	PreTokenizer  map[string]any `json:"pre_tokenizer"`
	PostProcessor any            `json:"post_processor"`
	Decoder       map[string]any `json:"decoder"`
	Model         hfModel        `json:"model"`
}

func ptr[T any](v T) *T { return &v }

// pipelineNormalizer is the normalizer of normalize.go, in tokenizer.json form.
func pipelineNormalizer() hfNormalizer {
	seq := []hfNormalizer{{Type: "Replace", Pattern: &hfPattern{Regex: brPattern}, Content: ptr(" ")}}
	for _, e := range entities {
		seq = append(seq, hfNormalizer{Type: "Replace", Pattern: &hfPattern{String: e[0]}, Content: ptr(e[1])})
	}
	seq = append(seq, hfNormalizer{Type: "BertNormalizer", CleanText: ptr(true), HandleChineseChars: ptr(true),
		StripAccents: ptr(false), Lowercase: ptr(true)})
	return hfNormalizer{Type: "Sequence", Normalizers: seq}
}

// MarshalJSON writes the tokenizer in the Hugging Face tokenizer.json format.
func (t *Tokenizer) MarshalJSON() ([]byte, error) {
	tj := hfTokenizer{
		Version:      "1.0",
		Normalizer:   pipelineNormalizer(),
		PreTokenizer: map[string]any{"type": "BertPreTokenizer"},
		Decoder:      map[string]any{"type": "WordPiece", "prefix": ContinuationPrefix, "cleanup": true},
		Model: hfModel{Type: "WordPiece", UnkToken: UnkToken, ContinuingSubwordPrefix: ContinuationPrefix,
			MaxInputCharsPerWord: MaxInputCharsPerWord, Vocab: t.vocab},
	}
	for i, s := range SpecialTokens {
		tj.AddedTokens = append(tj.AddedTokens, hfAddedToken{ID: i, Content: s, Special: true})
	}
	return json.MarshalIndent(tj, "", " ")
}

// Parse reads a tokenizer.json written by MarshalJSON (or Save).
func Parse(data []byte) (*Tokenizer, error) {
	var tj hfTokenizer
	if err := json.Unmarshal(data, &tj); err != nil {
		return nil, fmt.Errorf("tokenize: invalid tokenizer.json: %w", err)
	}
	if tj.Model.Type != "WordPiece" || tj.Model.ContinuingSubwordPrefix != ContinuationPrefix ||
		tj.Model.UnkToken != UnkToken {
		return nil, fmt.Errorf("tokenize: tokenizer.json has model %q (prefix %q, unk %q): this package reads the WordPiece tokenizers it writes",
			tj.Model.Type, tj.Model.ContinuingSubwordPrefix, tj.Model.UnkToken)
	}
	want, _ := json.Marshal(pipelineNormalizer())
	got, _ := json.Marshal(tj.Normalizer)
	if string(want) != string(got) {
		return nil, fmt.Errorf("tokenize: tokenizer.json has a normalizer this package does not implement: %s", got)
	}
	tokens := make([]string, len(tj.Model.Vocab))
	for tok, id := range tj.Model.Vocab {
		if id < 0 || int(id) >= len(tokens) || tokens[id] != "" {
			return nil, fmt.Errorf("tokenize: tokenizer.json vocabulary ids are not 0..%d without gaps (token %q has id %d)", len(tokens)-1, tok, id)
		}
		tokens[id] = tok
	}
	if slices.Contains(tokens, "") {
		return nil, fmt.Errorf("tokenize: tokenizer.json vocabulary contains an empty token")
	}
	return newFromTokens(tokens)
}

// Save writes tokenizer.json atomically (a temporary file renamed into place).
func (t *Tokenizer) Save(path string) error {
	data, err := t.MarshalJSON()
	if err != nil {
		return err
	}
	return rundir.WriteFileAtomic(path, data)
}

// Load reads a tokenizer.json file.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return t, nil
}
