package experiments

import (
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib"

	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

func TestByLengthAndMistakes(t *testing.T) {
	// 8 reviews, lengths 10..80; the long half is all wrong.
	var scored []sentimentlib.Scored
	for i := range 8 {
		s := sentimentlib.Scored{Index: i, Label: i % 2, Tokens: 10 * (8 - i)} // reversed order: ByLength sorts
		right := s.Tokens <= 40
		switch {
		case right && s.Label == 1, !right && s.Label == 0:
			s.Probability = 0.9
		default:
			s.Probability = 0.1 + 0.01*float64(i)
		}
		scored = append(scored, s)
	}
	b, err := ByLength(scored, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 2 || b[0].Lo != 10 || b[0].Hi != 40 || b[1].Lo != 50 || b[1].Hi != 80 {
		t.Fatalf("buckets %+v", b)
	}
	if b[0].Metrics.Accuracy != 1 || b[1].Metrics.Accuracy != 0 || b[0].Metrics.N != 4 {
		t.Errorf("bucket accuracies %v %v", b[0].Metrics.Accuracy, b[1].Metrics.Accuracy)
	}
	m := ConfidentMistakes(scored, 3)
	if len(m) != 3 {
		t.Fatalf("%d mistakes", len(m))
	}
	for i := range m {
		if m[i].Correct() || (i > 0 && m[i].Confidence() > m[i-1].Confidence()) {
			t.Errorf("mistakes not wrong and by decreasing confidence: %+v", m)
		}
	}
	all, _ := sentimentlib.MetricsOf(scored)
	table := MetricsMarkdown([]string{"all"}, []metrics.Metrics{all})
	if !strings.Contains(table, "| all | 8 | 0.5000 |") {
		t.Errorf("table:\n%s", table)
	}
}
