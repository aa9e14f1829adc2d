package experiments

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"

	"github.com/sentiment-go/sentiment/sentimentlib"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/stats"
)

// RunGroup is a set of runs of one setting with different seeds: the directories named alike
// but for a "-seedN" suffix.
type RunGroup struct {
	Name  string
	Dirs  []string
	Seeds []uint64
	// Mean and sample standard deviation over the runs: the best validation accuracy (the
	// model selected on validation), and that model's test accuracy and NLL.
	Validation, Test, TestNLL Stat
	// The lowest and highest ROC-AUC of the selected models, on validation and on test: with
	// few seeds, "every run of one setting ranks the reviews better than every run of the
	// other" is read off these ranges.
	ValidationAUC, TestAUC Range
	// ValidationVsFirst and TestVsFirst compare this group's accuracies with the first group's
	// by Welch's t-test (this group minus the first); nil for the first group, and where either
	// group has fewer than two runs or no spread.
	ValidationVsFirst, TestVsFirst *stats.WelchResult
}

// Range is the smallest and largest of some values.
type Range struct{ Min, Max float64 }

func rangeOf(xs []float64) Range {
	r := Range{math.Inf(1), math.Inf(-1)}
	for _, x := range xs {
		r.Min, r.Max = min(r.Min, x), max(r.Max, x)
	}
	return r
}

// String is "min-max" with four decimals, or one value when they are equal.
func (r Range) String() string {
	if r.Min == r.Max {
		return fmt.Sprintf("%.4f", r.Min)
	}
	return fmt.Sprintf("%.4f-%.4f", r.Min, r.Max)
}

var seedSuffix = regexp.MustCompile(`-seed[0-9]+$`)

// SummarizeRuns reads the results.json of each training directory and groups the runs that
// differ only by seed (the "-seedN" suffix of the directory's name), in order of first
// appearance. It is how the README's tables of seeds are computed.
func SummarizeRuns(dirs []string) ([]RunGroup, error) {
	var groups []RunGroup
	var results [][]sentimentlib.Results // results[i]: the runs of groups[i]
	index := map[string]int{}
	for _, dir := range dirs {
		var r sentimentlib.Results
		if err := rundir.ReadJSON(filepath.Join(dir, sentimentlib.ResultsFile), &r); err != nil {
			return nil, fmt.Errorf("summary: %w (is %s a directory written by sentiment train, and finished?)", err, dir)
		}
		name := seedSuffix.ReplaceAllString(filepath.Base(filepath.Clean(dir)), "")
		i, ok := index[name]
		if !ok {
			i = len(groups)
			index[name] = i
			groups, results = append(groups, RunGroup{Name: name}), append(results, nil)
		}
		for _, s := range groups[i].Seeds {
			if s == r.Seed {
				return nil, fmt.Errorf("summary: %s and %s are both seed %d of %q: name each run -seedN after its seed", groups[i].Dirs[len(groups[i].Dirs)-1], dir, s, name)
			}
		}
		groups[i].Dirs = append(groups[i].Dirs, dir)
		groups[i].Seeds = append(groups[i].Seeds, r.Seed)
		results[i] = append(results[i], r)
	}
	val, test := make([][]float64, len(groups)), make([][]float64, len(groups))
	for i, rs := range results {
		var nll, valAUC, testAUC []float64
		for _, r := range rs {
			val[i], test[i], nll = append(val[i], r.Validation.Accuracy), append(test[i], r.Test.Accuracy), append(nll, r.Test.NLL)
			valAUC, testAUC = append(valAUC, r.Validation.ROCAUC), append(testAUC, r.Test.ROCAUC)
		}
		groups[i].Validation, groups[i].Test, groups[i].TestNLL = statOf(val[i]), statOf(test[i]), statOf(nll)
		groups[i].ValidationAUC, groups[i].TestAUC = rangeOf(valAUC), rangeOf(testAUC)
		if i > 0 {
			groups[i].ValidationVsFirst, groups[i].TestVsFirst = welchOrNil(val[0], val[i]), welchOrNil(test[0], test[i])
		}
	}
	return groups, nil
}

func welchOrNil(a, b []float64) *stats.WelchResult {
	r, err := stats.Welch(a, b)
	if err != nil {
		return nil
	}
	return &r
}

// vsFirst formats a comparison with the first group: the difference in points, its standard
// error and the p-value.
func vsFirst(r *stats.WelchResult) string {
	if r == nil {
		return "–"
	}
	p := fmt.Sprintf("%.2f", r.P)
	if r.P < 0.01 {
		p = fmt.Sprintf("%.1g", r.P)
	}
	d := 100 * r.Diff
	if math.Abs(d) < 0.005 {
		d = 0 // not "-0.00"
	}
	return fmt.Sprintf("%+.2f ± %.2f (p %s)", d, 100*r.SE, p)
}

// WriteRunTable writes groups as a Markdown table: seeds, then mean ± standard deviation of the
// best validation accuracy, the test accuracy and the test NLL, then the range (lowest-highest
// over the runs) of the validation and test ROC-AUC. With more than one group, two
// more columns compare each group's accuracies with the first row's (Welch's t-test): the
// difference of the means in points, its standard error, and the two-sided p-value.
func WriteRunTable(w io.Writer, groups []RunGroup) error {
	columns, align := "| runs | seeds | best validation accuracy | test accuracy | test NLL | validation ROC-AUC | test ROC-AUC |", "|---|---|---:|---:|---:|---:|---:|"
	if len(groups) > 1 {
		columns, align = columns+" validation vs first row | test vs first row |", align+"---:|---:|"
	}
	if _, err := fmt.Fprintln(w, columns+"\n"+align); err != nil {
		return err
	}
	for _, g := range groups {
		seeds := ""
		for i, s := range g.Seeds {
			if i > 0 {
				seeds += ","
			}
			seeds += fmt.Sprint(s)
		}
		row := fmt.Sprintf("| %s | %s | %s | %s | %.3f ± %.3f | %s | %s |", g.Name, seeds, g.Validation, g.Test, g.TestNLL.Mean, g.TestNLL.Std, g.ValidationAUC, g.TestAUC)
		if len(groups) > 1 {
			row += fmt.Sprintf(" %s | %s |", vsFirst(g.ValidationVsFirst), vsFirst(g.TestVsFirst))
		}
		if _, err := fmt.Fprintln(w, row); err != nil {
			return err
		}
	}
	return nil
}
