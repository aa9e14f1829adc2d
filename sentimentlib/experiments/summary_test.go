package experiments

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

// TestSummarizeRuns groups directories by name without -seedN, in order, with the mean and
// sample standard deviation computed by hand and the ROC-AUC ranges; a missing results.json and
// a repeated seed are errors that name the directory.
func TestSummarizeRuns(t *testing.T) {
	root := t.TempDir()
	write := func(name string, seed uint64, val, test, nll float64) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// ROC-AUC: half the accuracy plus 0.5, so 0.93 for a validation accuracy of 0.86.
		r := sentimentlib.Results{Seed: seed, Validation: metrics.Metrics{Accuracy: val, ROCAUC: val/2 + 0.5}, Test: metrics.Metrics{Accuracy: test, NLL: nll, ROCAUC: test/2 + 0.5}}
		if err := rundir.WriteJSON(filepath.Join(dir, sentimentlib.ResultsFile), r); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dirs := []string{write("b-seed1", 1, 0.80, 0.70, 0.5), write("a-seed7", 7, 0.9, 0.85, 0.3),
		write("b-seed2", 2, 0.84, 0.74, 0.7), write("b-seed3", 3, 0.86, 0.72, 0.6),
		write("c-seed1", 1, 0.90, 0.72, 0.4), write("c-seed2", 2, 0.86, 0.72, 0.4)}
	groups, err := SummarizeRuns(dirs)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 3 || groups[0].Name != "b" || groups[1].Name != "a" || len(groups[0].Seeds) != 3 || groups[0].Seeds[2] != 3 {
		t.Fatalf("groups %+v", groups)
	}
	// b: validation 0.80, 0.84, 0.86: mean 0.8333..., deviations -1/30, 1/150, 2/75.
	wantStd := math.Sqrt((math.Pow(0.80-2.5/3, 2) + math.Pow(0.84-2.5/3, 2) + math.Pow(0.86-2.5/3, 2)) / 2)
	b := groups[0]
	if math.Abs(b.Validation.Mean-2.5/3) > 1e-12 || math.Abs(b.Validation.Std-wantStd) > 1e-12 ||
		math.Abs(b.Test.Mean-0.72) > 1e-12 || math.Abs(b.Test.Std-0.02) > 1e-12 || math.Abs(b.TestNLL.Mean-0.6) > 1e-12 {
		t.Errorf("group b: %+v", b)
	}
	if a := groups[1]; a.Validation.Std != 0 || a.Test.Mean != 0.85 || a.ValidationVsFirst != nil || a.TestVsFirst != nil {
		t.Errorf("group a (one run, so no comparison): %+v", a)
	}
	// c against b, Welch by hand: validation 0.88 (variance 0.0008, 2 runs) minus 0.8333
	// (variance wantStd², 3 runs); SE² = wantStd²/3 + 0.0008/2. Test: 0.72 against 0.72.
	c, se2 := groups[2], wantStd*wantStd/3+0.0008/2
	df := se2 * se2 / (math.Pow(wantStd*wantStd/3, 2)/2 + math.Pow(0.0008/2, 2)/1)
	if v := c.ValidationVsFirst; b.ValidationVsFirst != nil || v == nil || math.Abs(v.Diff-(0.88-2.5/3)) > 1e-12 ||
		math.Abs(v.SE-math.Sqrt(se2)) > 1e-12 || math.Abs(v.DF-df) > 1e-9 || c.TestVsFirst == nil || math.Abs(c.TestVsFirst.Diff) > 1e-12 || c.TestVsFirst.P < 0.999 {
		t.Errorf("group c against b: validation %+v, test %+v; want diff %v, SE %v, df %v", v, c.TestVsFirst, 0.88-2.5/3, math.Sqrt(se2), df)
	}
	var sb strings.Builder
	if err := WriteRunTable(&sb, groups); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{
		"| b | 1,2,3 | 0.8333 ± 0.0306 | 0.7200 ± 0.0200 | 0.600 ± 0.100 | 0.9000-0.9300 | 0.8500-0.8700 | – | – |",
		"| a | 7 | 0.9000 ± 0.0000 | 0.8500 ± 0.0000 | 0.300 ± 0.000 | 0.9500 | 0.9250 | – | – |",
		fmt.Sprintf("| c | 1,2 | 0.8800 ± 0.0283 | 0.7200 ± 0.0000 | 0.400 ± 0.000 | 0.9300-0.9500 | 0.8600 | +4.67 ± 2.67 (p %.2f) | +0.00 ± 1.15 (p 1.00) |", c.ValidationVsFirst.P),
	} {
		if !strings.Contains(sb.String(), row) {
			t.Errorf("table lacks %q:\n%s", row, sb.String())
		}
	}
	// One group: no comparison columns.
	sb.Reset()
	if err := WriteRunTable(&sb, groups[:1]); err != nil || strings.Contains(sb.String(), "vs first row") || !strings.Contains(sb.String(), "| 0.600 ± 0.100 | 0.9000-0.9300 | 0.8500-0.8700 |\n") {
		t.Errorf("one group's table (err %v):\n%s", err, sb.String())
	}

	if _, err := SummarizeRuns([]string{dirs[0], filepath.Join(root, "none")}); err == nil || !strings.Contains(err.Error(), "none") {
		t.Errorf("missing results.json: %v", err)
	}
	again := write("b-seed9", 1, 0.8, 0.7, 0.5)
	if _, err := SummarizeRuns([]string{dirs[0], again}); err == nil || !strings.Contains(err.Error(), "both seed 1") {
		t.Errorf("repeated seed: %v", err)
	}
}
