package sentimentlib

import (
	"fmt"
	"io"
	"path/filepath"
	"regexp"
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
}

var seedSuffix = regexp.MustCompile(`-seed[0-9]+$`)

// SummarizeRuns reads the results.json of each training directory and groups the runs that
// differ only by seed (the "-seedN" suffix of the directory's name), in order of first
// appearance. It is how the README's tables of seeds are computed.
func SummarizeRuns(dirs []string) ([]RunGroup, error) {
	var groups []RunGroup
	var results [][]Results // results[i]: the runs of groups[i]
	index := map[string]int{}
	for _, dir := range dirs {
		var r Results
		if err := readJSON(filepath.Join(dir, ResultsFile), &r); err != nil {
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
	for i, rs := range results {
		var val, test, nll []float64
		for _, r := range rs {
			val, test, nll = append(val, r.Validation.Accuracy), append(test, r.Test.Accuracy), append(nll, r.Test.NLL)
		}
		groups[i].Validation, groups[i].Test, groups[i].TestNLL = statOf(val), statOf(test), statOf(nll)
	}
	return groups, nil
}

// WriteRunTable writes groups as a Markdown table: seeds, then mean ± standard deviation of the
// best validation accuracy, the test accuracy and the test NLL.
func WriteRunTable(w io.Writer, groups []RunGroup) error {
	if _, err := fmt.Fprintln(w, "| runs | seeds | best validation accuracy | test accuracy | test NLL |\n|---|---|---:|---:|---:|"); err != nil {
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
		if _, err := fmt.Fprintf(w, "| %s | %s | %s | %s | %.3f ± %.3f |\n", g.Name, seeds, g.Validation, g.Test, g.TestNLL.Mean, g.TestNLL.Std); err != nil {
			return err
		}
	}
	return nil
}
