package experiments

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
)

func TestComputePercentiles(t *testing.T) {
	// Nearest-rank on 1..100: p50=50, p90=90, p99=99.
	var v []int
	for i := 100; i >= 1; i-- {
		v = append(v, i)
	}
	p := ComputePercentiles(v)
	if p.P50 != 50 || p.P90 != 90 || p.P95 != 95 || p.P99 != 99 || p.Min != 1 || p.Max != 100 || p.Mean != 50.5 {
		t.Errorf("got %+v", p)
	}
}

func TestDataStatsOnFixture(t *testing.T) {
	p, err := sentimentlib.PrepareData(context.Background(), sentimentlib.DataConfig{CacheDir: fixture, VocabSize: 3000, WithUnsupervised: true, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	st := ComputeDataStats(p)
	var names []string
	for _, s := range st.Splits {
		names = append(names, s.Name)
		if s.Tokens.Mean < s.Words.Mean*0.8 || s.WordCoverage <= 0.5 || s.WordCoverage > 1 {
			t.Errorf("%s: implausible stats %+v", s.Name, s)
		}
	}
	if !slices.Equal(names, []string{"train", "validation", "test", "unsupervised"}) {
		t.Errorf("splits %v", names)
	}
	if st.Splits[0].N != 270 || st.Splits[0].Negative != 135 || st.Splits[3].Unlabel != 60 {
		t.Errorf("train stats %+v / unsupervised %+v", st.Splits[0], st.Splits[3])
	}
	if len(p.Train) != 270 || len(p.Test) != 100 {
		t.Errorf("encoded sizes %d %d", len(p.Train), len(p.Test))
	}
	if !strings.Contains(st.String(), "validation") {
		t.Error("table lacks the validation row")
	}
	// The source-order table: imdb.NeighbourSharing of train and validation together.
	all := append(slices.Clone(p.Data.Train), p.Data.Validation...)
	if len(st.NeighbourSharing) != len(NeighbourDistances) || st.NeighbourSharing[0] != imdb.NeighbourSharing(all, 1)[0] ||
		!strings.Contains(st.String(), "movies in the source order") {
		t.Errorf("neighbour sharing %v at distances %v:\n%s", st.NeighbourSharing, NeighbourDistances, st.String())
	}
	md := st.Markdown()
	if !strings.Contains(md, "| train | 270 | 135 | 135 | 50.0 |") || !strings.Contains(md, "|---|---:|") || !strings.Contains(md, "**tokenizer coverage**") {
		t.Errorf("markdown tables:\n%s", md)
	}
	// Cells holding "|" (words | tokens) are escaped, so every row of the length table keeps 7 columns.
	lengthRows := 0
	for _, line := range strings.Split(md, "\n") {
		if strings.Contains(line, "\\|") {
			lengthRows++
			if n := strings.Count(strings.ReplaceAll(line, "\\|", ""), "|"); n != 8 {
				t.Errorf("length row has %d separators, want 8: %s", n, line)
			}
		}
	}
	if lengthRows != 4 {
		t.Errorf("%d length rows with escaped pipes, want 4", lengthRows)
	}
}
