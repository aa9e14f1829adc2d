package experiments

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/testkit"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
)

func tinyGrid(t *testing.T, runsDir string) CompareOptions {
	return CompareOptions{Base: tinyConfig(t), Seeds: []uint64{1, 2}, RunsDir: runsDir, Resamples: 200,
		Settings: []CompareSetting{
			{Name: "bce", Description: "BCE"},
			{Name: "swl", Description: "full", Loss: loss.Config{ConfidenceGamma: 2, LengthAlpha: 0.5, ClassBeta: 1}, Baseline: "bce"},
		}}
}

// TestCompareResumesPartialGrid interrupts a grid in the middle of its third run; the rerun
// reuses the two finished runs, resumes the third from its checkpoint, and ends with the same
// comparison as an uninterrupted grid.
func TestCompareResumesPartialGrid(t *testing.T) {
	whole, err := Compare(context.Background(), tinyGrid(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	opts := tinyGrid(t, dir)
	opts.Progress = &testkit.CancelAfter{After: "[3/4]", Marker: "epoch 2/3", Cancel: cancel}
	if _, err := Compare(ctx, opts); err == nil || !strings.Contains(err.Error(), "rerun the same command to resume the grid") {
		t.Fatalf("interrupted grid: err %v, want the resume hint", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "swl-seed1", sentimentlib.LastCheckpoint)); err != nil {
		t.Fatalf("the third run left no checkpoint to resume from: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "swl-seed2")); err == nil {
		t.Fatal("the fourth run started although the grid was interrupted")
	}
	finished, _ := os.Stat(filepath.Join(dir, "bce-seed1", sentimentlib.ResultsFile))

	var progress strings.Builder
	opts = tinyGrid(t, dir)
	opts.Progress = &progress
	resumed, err := Compare(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	out := progress.String()
	if n := strings.Count(out, "already trained"); n != 2 {
		t.Errorf("%d runs reused, want the 2 finished ones:\n%s", n, out)
	}
	if n := strings.Count(out, "resuming at step"); n != 1 {
		t.Errorf("%d runs resumed, want the interrupted one", n)
	}
	if again, _ := os.Stat(filepath.Join(dir, "bce-seed1", sentimentlib.ResultsFile)); !again.ModTime().Equal(finished.ModTime()) {
		t.Error("a finished run was trained again")
	}
	for i, sr := range resumed.Settings {
		for k, r := range sr.Runs {
			w := whole.Settings[i].Runs[k]
			if r.Test != w.Test || r.TestAfter != w.TestAfter || r.Temperature != w.Temperature || r.BestStep != w.BestStep {
				t.Errorf("%s seed %d: resumed grid %+v, uninterrupted %+v", sr.Name, r.Seed, r.Test, w.Test)
			}
		}
	}
	if *resumed.Settings[1].Versus != *whole.Settings[1].Versus {
		t.Errorf("significance: resumed %+v, uninterrupted %+v", resumed.Settings[1].Versus, whole.Settings[1].Versus)
	}

	// The report: table rows for both settings, every chart, and JSON that reads back.
	report := t.TempDir()
	if err := resumed.WriteReport(report); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(report, "compare.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| bce | BCE |", "| swl | full |", "| swl | bce |", "Q4 ECE"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("compare.md lacks %q", want)
		}
	}
	for _, f := range []string{"reliability-bce.svg", "reliability-swl-calibrated.svg", "validation-curves.svg", "accuracy-by-length.svg", "ece-by-length.svg"} {
		b, err := os.ReadFile(filepath.Join(report, "plots", f))
		if err != nil || !strings.HasPrefix(string(b), "<svg") {
			t.Errorf("plot %s: %v", f, err)
		}
	}
	var back Comparison
	if err := rundir.ReadJSON(filepath.Join(report, "compare.json"), &back); err != nil || len(back.Settings) != 2 || back.Settings[1].Test["accuracy"] != resumed.Settings[1].Test["accuracy"] {
		t.Errorf("compare.json: %v, %+v", err, back.Settings)
	}
}

// TestCompareAnalysis checks the statistics on hand-made logits: 8 test reviews of 10..80 words.
func TestCompareAnalysis(t *testing.T) {
	labels := []int{1, 1, 1, 1, 0, 0, 0, 0}
	words := []int{10, 20, 30, 40, 50, 60, 70, 80}
	val := sentimentlib.SplitLogits{Logits: []float64{3, -3, 3, -3, -3, 2}, Labels: []int{1, 0, 0, 0, 1, 1}, Words: []int{1, 1, 1, 1, 1, 1}}
	run := func(seed uint64, logits ...float64) *CompareRun {
		return &CompareRun{Seed: seed, logits: &sentimentlib.RunLogits{Validation: val, Test: sentimentlib.SplitLogits{Logits: logits, Labels: labels, Words: words}}}
	}
	// Baseline: wrong on reviews 3 and 7 (6/8). Other: wrong on review 6 only (7/8).
	base := &CompareSettingResult{CompareSetting: CompareSetting{Name: "bce"},
		Runs: []*CompareRun{run(1, 2, 2, 2, -2, -2, -2, -2, 2), run(2, 3, 3, 3, -3, -3, -3, -3, 3)}}
	other := &CompareSettingResult{CompareSetting: CompareSetting{Name: "x", Baseline: "bce"},
		Runs: []*CompareRun{run(1, 2, 2, 2, 2, -2, -2, 2, -2), run(2, 2, 2, 2, 2, -2, -2, 2, -2)}}
	c := &Comparison{Seeds: []uint64{1, 2}, Resamples: 500, Settings: []*CompareSettingResult{base, other}}
	if err := c.analyse(map[string]*CompareSettingResult{"bce": base, "x": other}); err != nil {
		t.Fatal(err)
	}
	if want := [][2]int{{10, 20}, {30, 40}, {50, 60}, {70, 80}}; len(c.Quartiles) != 4 || c.Quartiles[0] != want[0] || c.Quartiles[3] != want[3] {
		t.Errorf("quartiles %v, want %v", c.Quartiles, want)
	}
	if a := base.Test["accuracy"]; a.Mean != 0.75 || a.Std != 0 {
		t.Errorf("baseline accuracy %+v, want 0.75 ± 0", a)
	}
	if a := other.Test["accuracy"]; a.Mean != 0.875 {
		t.Errorf("other accuracy %+v, want 0.875", a)
	}
	for _, sr := range c.Settings {
		for _, r := range sr.Runs {
			if r.TestAfter.Accuracy != r.Test.Accuracy || r.Temperature <= 0 {
				t.Errorf("%s seed %d: temperature %v changed accuracy %v -> %v", sr.Name, r.Seed, r.Temperature, r.Test.Accuracy, r.TestAfter.Accuracy)
			}
		}
	}
	// Quartile 2 holds reviews 2 and 3: the baseline gets one right, the other both.
	if q := base.ByLength[1].Accuracy.Mean; q != 0.5 {
		t.Errorf("baseline Q2 accuracy %v, want 0.5", q)
	}
	if q := other.ByLength[1].Accuracy.Mean; q != 1 {
		t.Errorf("other Q2 accuracy %v, want 1", q)
	}
	// McNemar per seed: only the baseline right on review 6; only the other right on 3 and 7.
	// Two-sided exact p with 1 of 3 discordant pairs: 2 * (1 + 3) / 8 = 1.
	for _, r := range other.Runs {
		if m := r.McNemar; m == nil || m.OnlyA != 1 || m.OnlyB != 2 || m.P != 1 {
			t.Errorf("seed %d McNemar %+v, want OnlyA 1, OnlyB 2, p 1", r.Seed, m)
		}
	}
	if v := other.Versus; v == nil || v.Accuracy.Diff != 0.125 || v.Accuracy.Lo > 0.125 || v.Accuracy.Hi < 0.125 {
		t.Errorf("bootstrap %+v, want difference 0.125 inside its interval", v)
	}
	if base.Versus != nil {
		t.Error("the baseline was tested against itself")
	}
}

func TestCompareSettingsAndErrors(t *testing.T) {
	all := CompareSettings(false)
	if len(all) != 10 || all[0].Name != "bce" {
		t.Fatalf("grid %v", all)
	}
	for _, s := range all {
		if err := s.Loss.Validate(); s.Loss.ClassBeta == 0 && err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	sel, err := SelectSettings(all, []string{"imb-class", "smoothing"})
	var names []string
	for _, s := range sel {
		names = append(names, s.Name)
	}
	if err != nil || strings.Join(names, ",") != "bce,smoothing,imb-bce,imb-class" {
		t.Errorf("selected %v, %v: want bce,smoothing,imb-bce,imb-class (the baselines added, grid order)", names, err)
	}
	if _, err := SelectSettings(all, []string{"focal"}); err == nil || !strings.Contains(err.Error(), `"focal"`) || !strings.Contains(err.Error(), "confidence") {
		t.Errorf("unknown setting: %v", err)
	}
	opts := tinyGrid(t, t.TempDir())
	opts.Settings = opts.Settings[1:]
	if _, err := Compare(context.Background(), opts); err == nil || !strings.Contains(err.Error(), `"bce", which is not in the grid`) {
		t.Errorf("missing baseline: %v", err)
	}
}
