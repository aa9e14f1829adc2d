package tokenize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The text pipeline, identical to the one written in tokenizer.json (so that go-huggingface
// hftokenizer and Python tokenizers give the same ids):
//
//  1. Replace `<br\s*/?>` by a space: IMDB reviews use "<br /><br />" as paragraph breaks.
//  2. Replace the HTML entities found in IMDB text (&amp; &quot; &lt; &gt; &#39;), in that order.
//  3. BertNormalizer: drop control characters, NUL and U+FFFD (which is what invalid UTF-8 bytes
//     decode to), map whitespace to ' ', put spaces around CJK characters, lowercase.
//  4. BertPreTokenizer: split on whitespace, and make every punctuation character its own word,
//     so "!", ":)" (as ":" ")") and the "'" of "didn't" (as "didn" "'" "t") survive as tokens.
//  5. WordPiece: greedy longest match against the vocabulary, "##" marking word continuations.

// brPattern is the regular expression of step 1, as written in tokenizer.json.
const brPattern = `<br\s*/?>`

// entities of step 2, applied in this order.
var entities = [][2]string{{"&amp;", "&"}, {"&quot;", `"`}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#39;", "'"}}

// isREWhitespace is RE2's \s: [\t\n\f\r ].
func isREWhitespace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// replaceBR replaces every match of `<br\s*/?>` by a space, without a regexp engine.
func replaceBR(text string) string {
	if !strings.Contains(text, "<br") {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	i := 0
	for {
		j := strings.Index(text[i:], "<br")
		if j < 0 {
			b.WriteString(text[i:])
			return b.String()
		}
		j += i
		k := j + 3
		for k < len(text) && isREWhitespace(text[k]) {
			k++
		}
		if k < len(text) && text[k] == '/' {
			k++
		}
		if k < len(text) && text[k] == '>' {
			b.WriteString(text[i:j])
			b.WriteByte(' ')
			i = k + 1
		} else {
			b.WriteString(text[i : j+1])
			i = j + 1
		}
	}
}

func replaceEntities(text string) string {
	if !strings.Contains(text, "&") {
		return text
	}
	for _, e := range entities {
		text = strings.ReplaceAll(text, e[0], e[1])
	}
	return text
}

// isBertWhitespace, isBertControl, isBertPunctuation and isCJK follow BERT's definitions (as
// Hugging Face tokenizers and go-huggingface implement them).
func isBertWhitespace(r rune) bool {
	if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

func isBertControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.IsControl(r)
}

func isBertPunctuation(r rune) bool {
	if (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126) {
		return true
	}
	return r > 127 && unicode.IsPunct(r)
}

func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) || (r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) || (r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// normalize applies steps 1-3, appending the result to buf.
func normalize(buf []byte, text string) []byte {
	text = replaceEntities(replaceBR(text))
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == 0:
			case c == ' ' || c == '\t' || c == '\n' || c == '\r':
				buf = append(buf, ' ')
			case c < 0x20 || c == 0x7f:
				// control characters are dropped.
			case c >= 'A' && c <= 'Z':
				buf = append(buf, c+('a'-'A'))
			default:
				buf = append(buf, c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == utf8.RuneError || isBertControl(r):
		case isCJK(r):
			buf = append(buf, ' ')
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
			buf = append(buf, ' ')
		case isBertWhitespace(r):
			buf = append(buf, ' ')
		default:
			buf = append(buf, strings.ToLower(string(r))...)
		}
	}
	return buf
}

// asciiPunct[c] reports whether the ASCII byte c is BERT punctuation.
var asciiPunct = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = isBertPunctuation(rune(c))
	}
	return
}()

// splitWords applies step 4 to normalized text, calling fn with each word (a sub-slice of norm).
func splitWords(norm []byte, fn func(word []byte)) { split(norm, false, fn) }

// split is splitWords; with apostrophes, the ASCII apostrophe is a letter ("didn't" stays one
// word) instead of punctuation.
func split(norm []byte, apostrophes bool, fn func(word []byte)) {
	start := -1
	for i := 0; i < len(norm); {
		c := norm[i]
		if c < utf8.RuneSelf && c != ' ' && (!asciiPunct[c] || (apostrophes && c == '\'')) {
			// Fast path: a letter or digit inside a word.
			if start < 0 {
				start = i
			}
			i++
			continue
		}
		var r rune = rune(c)
		size := 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(norm[i:])
		}
		switch {
		case c == ' ' || (c >= utf8.RuneSelf && isBertWhitespace(r)):
			if start >= 0 {
				fn(norm[start:i])
				start = -1
			}
		case isBertPunctuation(r):
			if start >= 0 {
				fn(norm[start:i])
				start = -1
			}
			fn(norm[i : i+size])
		default:
			if start < 0 {
				start = i
			}
		}
		i += size
	}
	if start >= 0 {
		fn(norm[start:])
	}
}

// Words returns the normalized, pre-tokenized words of text (steps 1-4): what the vocabulary is
// built from and what coverage statistics count.
func Words(text string) []string {
	var words []string
	splitWords(normalize(nil, text), func(w []byte) { words = append(words, string(w)) })
	return words
}

// WordsDescription says in words what AppendWords does, for readers of the saved n-gram and
// word vocabularies in other languages.
const WordsDescription = `tokenizer.json's normalizer (<br /> and HTML entities replaced, control characters dropped, lowercased), ` +
	`then split on whitespace with each punctuation character a word of its own, except the ASCII apostrophe, which stays inside its word`

// AppendWords normalizes text (steps 1-3) into buf and calls fn with each of its words, as step
// 4 splits them except that an ASCII apostrophe belongs to the word around it: "didn't", "it's"
// and "90's" stay one word, while "!", "?" and the other punctuation marks are words of their
// own. These are the words of the n-gram features (package ngrams): a word n-gram reaches across
// "didn't like it" where the WordPiece split "didn ' t" would spend three words on "didn't". It
// returns buf (the normalized text), for reuse; fn's word is a sub-slice of it.
func AppendWords(buf []byte, text string, fn func(word []byte)) []byte {
	buf = normalize(buf[:0], text)
	split(buf, true, fn)
	return buf
}

// Readable reports whether text holds a word to read: a letter or a digit once the markup
// ("<br />", HTML entities) and control characters are gone. An empty review, markup alone,
// punctuation or emoji alone are not readable: there is nothing a verdict could rest on.
func Readable(text string) bool {
	for _, r := range string(normalize(nil, text)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}
