package experiments

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib"

	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

// LengthBucket is the metrics of the reviews whose token count is in [Lo, Hi].
type LengthBucket struct {
	Lo, Hi  int
	Metrics metrics.Metrics
}

// ByLength splits the scored reviews into n groups of (nearly) equal size by token count
// (quartiles for n = 4) and computes each group's metrics.
func ByLength(scored []sentimentlib.Scored, n int) ([]LengthBucket, error) {
	sorted := append([]sentimentlib.Scored(nil), scored...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Tokens < sorted[j].Tokens })
	var out []LengthBucket
	for q := range n {
		part := sorted[q*len(sorted)/n : (q+1)*len(sorted)/n]
		if len(part) == 0 {
			continue
		}
		m, err := sentimentlib.MetricsOf(part)
		if err != nil {
			return nil, err
		}
		out = append(out, LengthBucket{Lo: part[0].Tokens, Hi: part[len(part)-1].Tokens, Metrics: m})
	}
	return out, nil
}

// ConfidentMistakes returns the k wrong predictions with the highest confidence.
func ConfidentMistakes(scored []sentimentlib.Scored, k int) []sentimentlib.Scored {
	var wrong []sentimentlib.Scored
	for _, s := range scored {
		if !s.Correct() {
			wrong = append(wrong, s)
		}
	}
	sort.SliceStable(wrong, func(i, j int) bool { return wrong[i].Confidence() > wrong[j].Confidence() })
	return wrong[:min(k, len(wrong))]
}

// MetricsMarkdown renders named metric objects as a markdown table, one row each.
func MetricsMarkdown(names []string, ms []metrics.Metrics) string {
	var b strings.Builder
	b.WriteString("| | n | accuracy | precision | recall | F1 | ROC-AUC | NLL | Brier | ECE |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, m := range ms {
		fmt.Fprintf(&b, "| %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n",
			names[i], m.N, m.Accuracy, m.Precision, m.Recall, m.F1, m.ROCAUC, m.NLL, m.Brier, m.ECE)
	}
	return b.String()
}
