package experiments

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// Percentiles of a length distribution.
type Percentiles struct {
	Mean float64 `json:"mean"`
	Min  int     `json:"min"`
	P50  int     `json:"p50"`
	P90  int     `json:"p90"`
	P95  int     `json:"p95"`
	P99  int     `json:"p99"`
	Max  int     `json:"max"`
}

// ComputePercentiles of values (nearest-rank percentiles).
func ComputePercentiles(values []int) Percentiles {
	if len(values) == 0 {
		return Percentiles{}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	rank := func(p float64) int { return v[max(0, int(math.Ceil(p/100*float64(len(v))))-1)] }
	sum := 0
	for _, x := range v {
		sum += x
	}
	return Percentiles{Mean: float64(sum) / float64(len(v)), Min: v[0], P50: rank(50), P90: rank(90),
		P95: rank(95), P99: rank(99), Max: v[len(v)-1]}
}

// SplitStats describes one split.
type SplitStats struct {
	Name     string      `json:"name"`
	N        int         `json:"n"`
	Negative int         `json:"negative"`
	Positive int         `json:"positive"`
	Unlabel  int         `json:"unlabeled,omitempty"`
	Words    Percentiles `json:"words"`
	Tokens   Percentiles `json:"tokens"`
	// UnkRate is the fraction of tokens that are [UNK].
	UnkRate float64 `json:"unk_rate"`
	// WordCoverage is the fraction of (normalized) word occurrences that are whole vocabulary tokens.
	WordCoverage float64 `json:"word_coverage"`
	// TokensPerWord is the mean number of tokens per normalized word.
	TokensPerWord float64 `json:"tokens_per_word"`
}

// DataStats is what `sentiment data` prints.
type DataStats struct {
	CacheDir           string       `json:"cache_dir"`
	ValidationFraction float64      `json:"validation_fraction"`
	SplitSeed          uint64       `json:"split_seed"`
	ValidationBlock    int          `json:"validation_block,omitempty"`
	VocabSize          int          `json:"vocab_size"`
	TokenizerTrainedOn string       `json:"tokenizer_trained_on"`
	Splits             []SplitStats `json:"splits"`
	// NeighbourSharing is imdb.NeighbourSharing of the source train split (train and
	// validation) at each of NeighbourDistances: how much the source order groups a movie's
	// reviews, which is why data.validation_block exists.
	NeighbourSharing []float64 `json:"neighbour_sharing"`
}

// NeighbourDistances are the distances of DataStats.NeighbourSharing.
var NeighbourDistances = []int{1, 10, 1000}

// ComputeDataStats computes split sizes, label balance, length percentiles and tokenizer coverage.
func ComputeDataStats(p *sentimentlib.Prepared) DataStats {
	st := DataStats{CacheDir: p.Data.CacheDir, ValidationFraction: p.Data.ValidationFraction,
		SplitSeed: p.Data.Seed, ValidationBlock: p.Data.ValidationBlock, VocabSize: p.Tokenizer.VocabSize(), TokenizerTrainedOn: "train"}
	st.NeighbourSharing = imdb.NeighbourSharing(append(slices.Clone(p.Data.Train), p.Data.Validation...), NeighbourDistances...)
	add := func(name string, reviews []imdb.Review, ids [][]int32) {
		if len(reviews) == 0 {
			return
		}
		s := SplitStats{Name: name, N: len(reviews)}
		s.Negative, s.Positive = imdb.CountLabels(reviews)
		s.Unlabel = s.N - s.Negative - s.Positive
		words := make([]int, len(reviews))
		tokens := make([]int, len(reviews))
		var nTok, nUnk int
		for i, r := range reviews {
			words[i] = len(strings.Fields(strings.ReplaceAll(r.Text, "<br />", " ")))
			tokens[i] = len(ids[i])
			nTok += len(ids[i])
			for _, id := range ids[i] {
				if id == tokenize.UnkID {
					nUnk++
				}
			}
		}
		counts := tokenize.CountWords(imdb.Texts(reviews))
		var nWords, inVocab int
		for w, c := range counts {
			nWords += c
			if _, ok := p.Tokenizer.ID(w); ok {
				inVocab += c
			}
		}
		s.Words, s.Tokens = ComputePercentiles(words), ComputePercentiles(tokens)
		if nTok > 0 {
			s.UnkRate = float64(nUnk) / float64(nTok)
		}
		if nWords > 0 {
			s.WordCoverage = float64(inVocab) / float64(nWords)
			s.TokensPerWord = float64(nTok) / float64(nWords)
		}
		st.Splits = append(st.Splits, s)
	}
	add("train", p.Data.Train, p.Train)
	add("validation", p.Data.Validation, p.Validation)
	add("test", p.Data.Test, p.Test)
	add("unsupervised", p.Data.Unsupervised, p.Unsupervised)
	return st
}

// statsTable is one titled table of DataStats.
type statsTable struct {
	title string
	rows  [][]string // header first
}

func (st DataStats) tables() []statsTable {
	rows := [][]string{{"split", "reviews", "negative", "positive", "% positive"}}
	for _, s := range st.Splits {
		pct := "-"
		if s.Negative+s.Positive > 0 {
			pct = fmt.Sprintf("%.1f", 100*float64(s.Positive)/float64(s.Negative+s.Positive))
		}
		rows = append(rows, []string{s.Name, fmt.Sprint(s.N), fmt.Sprint(s.Negative), fmt.Sprint(s.Positive), pct})
	}
	out := []statsTable{{"", rows}}
	rows = [][]string{{"split", "mean", "p50", "p90", "p95", "p99", "max"}}
	for _, s := range st.Splits {
		f := func(w, t int) string { return fmt.Sprintf("%d | %d", w, t) }
		rows = append(rows, []string{s.Name, fmt.Sprintf("%.0f | %.0f", s.Words.Mean, s.Tokens.Mean),
			f(s.Words.P50, s.Tokens.P50), f(s.Words.P90, s.Tokens.P90), f(s.Words.P95, s.Tokens.P95),
			f(s.Words.P99, s.Tokens.P99), f(s.Words.Max, s.Tokens.Max)})
	}
	out = append(out, statsTable{"review length (words | tokens)", rows})
	rows = [][]string{{"split", "words in vocab", "[UNK] tokens", "tokens/word"}}
	for _, s := range st.Splits {
		rows = append(rows, []string{s.Name, fmt.Sprintf("%.2f%%", 100*s.WordCoverage),
			fmt.Sprintf("%.3f%%", 100*s.UnkRate), fmt.Sprintf("%.3f", s.TokensPerWord)})
	}
	out = append(out, statsTable{"tokenizer coverage", rows})
	rows = [][]string{{"reviews apart in the source train split", "same-label pairs sharing a word found in 2-10 reviews"}}
	for i, share := range st.NeighbourSharing {
		rows = append(rows, []string{fmt.Sprint(NeighbourDistances[i]), fmt.Sprintf("%.2f%%", 100*share)})
	}
	return append(out, statsTable{"movies in the source order (neighbours share rare words: reviews of one movie; data.validation_block)", rows})
}

func (st DataStats) header() string {
	how := "single reviews"
	if st.ValidationBlock > 0 {
		how = fmt.Sprintf("runs of %d consecutive reviews", st.ValidationBlock)
	}
	return fmt.Sprintf("IMDB (stanfordnlp/imdb, plain_text) from %s\nvalidation: %.0f%% of train, stratified, %s, seed %d; tokenizer: %d tokens, trained on the %s split only\n",
		st.CacheDir, st.ValidationFraction*100, how, st.SplitSeed, st.VocabSize, st.TokenizerTrainedOn)
}

// String formats the statistics as readable tables.
func (st DataStats) String() string {
	var b strings.Builder
	b.WriteString(st.header())
	for _, t := range st.tables() {
		b.WriteString("\n")
		if t.title != "" {
			b.WriteString(t.title + "\n")
		}
		writeTable(&b, t.rows)
	}
	return b.String()
}

// Markdown formats the statistics as markdown tables (for notebooks and reports).
func (st DataStats) Markdown() string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(st.header(), "\n", "\n\n"))
	for _, t := range st.tables() {
		if t.title != "" {
			b.WriteString("**" + t.title + "**\n\n")
		}
		for ri, r := range t.rows {
			cells := make([]string, len(r))
			for i, c := range r {
				cells[i] = strings.ReplaceAll(c, "|", "\\|")
			}
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
			if ri == 0 {
				b.WriteString("|---" + strings.Repeat("|---:", len(r)-1) + "|\n")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// writeTable writes rows as an aligned table, numbers right-aligned, with a rule under the header.
func writeTable(b *strings.Builder, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for ri, r := range rows {
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		b.WriteString("\n")
		if ri == 0 {
			total := 0
			for _, w := range widths {
				total += w + 2
			}
			b.WriteString(strings.Repeat("-", total-2) + "\n")
		}
	}
}
