package ngrams

import "bytes"

// Negation marking (Das & Chen 2001; Pang, Lee & Vaithyanathan 2002): after a negation word,
// the words up to the end of the clause (punctuation, or "but") are read as "not_"+word, so
// that "didn't like it" and "like it" share no unigram and "not_bad" can carry its own ratio.

// NegationPrefix marks a word in the scope of a negation.
const NegationPrefix = "not_"

// NegationDescription says, for the saved file's "words" field, how the marking is done.
const NegationDescription = `; with "negation": after a word that is one of not, no, never, nothing, cannot, none, nor, ` +
	`neither, nobody, nowhere, without, hardly, or ends in n't, each word up to the next of . , ! ? ; : ( ) " or but ` +
	`gets the prefix "not_"`

// isNegator reports a word that opens a negation's scope.
func isNegator(w []byte) bool {
	switch string(w) {
	case "not", "no", "never", "nothing", "cannot", "none", "nor", "neither", "nobody", "nowhere", "without", "hardly":
		return true
	}
	return bytes.HasSuffix(w, []byte("n't"))
}

// endsClause reports a word that closes a negation's scope: punctuation, or "but".
func endsClause(w []byte) bool {
	if len(w) == 1 {
		return bytes.IndexByte([]byte(`.,!?;:()"`), w[0]) >= 0
	}
	return string(w) == "but"
}

// negations wraps fn, a consumer of a text's words, so that it gets each word as read (word)
// and as keyed in the vocabulary (key: word itself, or "not_"+word in a negation's scope when
// on). The key's bytes are valid only during the call.
func negations(on bool, fn func(word, key []byte)) func(word []byte) {
	if !on {
		return func(w []byte) { fn(w, w) }
	}
	scope := false
	var buf []byte
	return func(w []byte) {
		switch {
		case endsClause(w):
			scope = false
			fn(w, w)
		case scope:
			buf = append(append(buf[:0], NegationPrefix...), w...)
			fn(w, buf)
		default:
			fn(w, w)
			scope = isNegator(w)
		}
	}
}
