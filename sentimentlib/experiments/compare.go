package experiments

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
	"github.com/sentiment-go/sentiment/sentimentlib/plots"
	"github.com/sentiment-go/sentiment/sentimentlib/stats"
)

// CompareSetting is one row of the loss comparison: a loss configuration, trained on the
// balanced training split or on an imbalanced one.
type CompareSetting struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// PositiveFraction in (0, 1) subsamples the training positives (sentimentlib.Config.PositiveFraction).
	PositiveFraction float64     `json:"positive_fraction,omitempty"`
	Loss             loss.Config `json:"loss"`
	// Baseline is the setting this one is tested against (plain BCE on the same data); empty
	// for the baselines themselves.
	Baseline string `json:"baseline,omitempty"`
}

// Group is "balanced" or "imbalanced (N% of positives)".
func (s CompareSetting) Group() string {
	if s.PositiveFraction > 0 && s.PositiveFraction < 1 {
		return fmt.Sprintf("imbalanced (%g%% of training positives)", 100*s.PositiveFraction)
	}
	return "balanced"
}

// CompareSettings returns the grid of the loss comparison: plain BCE, each factor of
// SentimentWeightedLoss alone (class, length with a positive and a negative exponent,
// confidence), label smoothing, and the full loss on the balanced data; then BCE, class
// weighting and the full loss with 10% of the training positives, where class weighting is
// expected to matter. The exponents are the usual ones from the literature (focal gamma 2, label
// smoothing 0.1, full rebalancing beta 1), fixed before any run: the comparison tunes nothing.
// quick keeps a tiny grid (BCE and the full loss, balanced and imbalanced) for tests.
func CompareSettings(quick bool) []CompareSetting {
	full := loss.Config{ConfidenceGamma: 2, LengthAlpha: 0.5, ClassBeta: 1}
	all := []CompareSetting{
		{Name: "bce", Description: "plain binary cross-entropy"},
		{Name: "class", Description: "class weights, beta 1 (no-op on balanced data)", Loss: loss.Config{ClassBeta: 1}, Baseline: "bce"},
		{Name: "length+", Description: "length weights, alpha +0.5 (long reviews count more)", Loss: loss.Config{LengthAlpha: 0.5}, Baseline: "bce"},
		{Name: "length-", Description: "length weights, alpha -0.5 (short reviews count more)", Loss: loss.Config{LengthAlpha: -0.5}, Baseline: "bce"},
		{Name: "confidence", Description: "confidence weights (focal), gamma 2", Loss: loss.Config{ConfidenceGamma: 2}, Baseline: "bce"},
		{Name: "smoothing", Description: "label smoothing, eps 0.1", Loss: loss.Config{LabelSmoothing: 0.1}, Baseline: "bce"},
		{Name: "swl", Description: "SentimentWeightedLoss: gamma 2, alpha +0.5, beta 1", Loss: full, Baseline: "bce"},
		{Name: "imb-bce", Description: "plain BCE, 10% of positives", PositiveFraction: 0.1},
		{Name: "imb-class", Description: "class weights beta 1, 10% of positives", PositiveFraction: 0.1, Loss: loss.Config{ClassBeta: 1}, Baseline: "imb-bce"},
		{Name: "imb-swl", Description: "SentimentWeightedLoss, 10% of positives", PositiveFraction: 0.1, Loss: full, Baseline: "imb-bce"},
	}
	if !quick {
		return all
	}
	return slices.DeleteFunc(all, func(s CompareSetting) bool {
		return s.Name != "bce" && s.Name != "swl" && s.Name != "imb-bce" && s.Name != "imb-class"
	})
}

// CompareOptions configures Compare.
type CompareOptions struct {
	Base     sentimentlib.Config // the run configuration every setting starts from (its loss is replaced)
	Settings []CompareSetting    // default CompareSettings(Base.Quick)
	Seeds    []uint64            // the same seeds for every setting (default 1, 2, 3)
	// RunsDir holds one training run per setting and seed, RUNSDIR/NAME-seedN. A rerun resumes
	// unfinished runs and reuses finished ones, so an interrupted grid picks up where it stopped.
	RunsDir   string
	Resamples int // paired bootstrap resamples (default 2000)
	Progress  io.Writer
}

// Stat is a mean and a sample standard deviation over seeds.
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

func statOf(xs []float64) Stat {
	m, s := stats.MeanStd(xs)
	return Stat{m, s}
}

func (s Stat) String() string { return fmt.Sprintf("%.4f ± %.4f", s.Mean, s.Std) }

// QuartileMetrics is one review-length quartile of the test split (by words).
type QuartileMetrics struct {
	Accuracy float64 `json:"accuracy"`
	ECE      float64 `json:"ece"`
	ECEAfter float64 `json:"ece_calibrated"`
}

// QuartileStats is one length quartile over seeds.
type QuartileStats struct {
	Accuracy Stat `json:"accuracy"`
	ECE      Stat `json:"ece"`
	ECEAfter Stat `json:"ece_calibrated"`
}

// CompareRun is one training run of the grid.
type CompareRun struct {
	Seed         uint64            `json:"seed"`
	Dir          string            `json:"dir"`
	TrainSeconds float64           `json:"train_seconds"`
	BestStep     int               `json:"best_step"`
	Validation   metrics.Metrics   `json:"validation"`
	Temperature  float64           `json:"temperature"` // fitted on validation
	Test         metrics.Metrics   `json:"test"`
	TestAfter    metrics.Metrics   `json:"test_calibrated"` // with the temperature
	ByLength     []QuartileMetrics `json:"by_length"`
	// McNemar against the baseline's run of the same seed (nil for baselines).
	McNemar *stats.McNemarResult `json:"mcnemar,omitempty"`

	logits          *sentimentlib.RunLogits
	probs, probsCal []float64 // test P(positive) before and after the temperature
}

// Significance is a setting against its baseline, paired on the test reviews.
type Significance struct {
	Baseline string `json:"baseline"`
	// Paired bootstrap over test reviews of the seed-averaged difference (this minus baseline)
	// of accuracy, and of ECE before and after temperature scaling.
	Accuracy stats.BootstrapResult `json:"accuracy"`
	ECE      stats.BootstrapResult `json:"ece"`
	ECEAfter stats.BootstrapResult `json:"ece_calibrated"`
}

// CompareSettingResult is one setting over all seeds.
type CompareSettingResult struct {
	CompareSetting
	Runs []*CompareRun `json:"runs"`
	// Test metrics over seeds by metric name (accuracy, f1, roc_auc, nll, brier, ece), before
	// and after temperature scaling, and the temperature.
	Test        map[string]Stat `json:"test"`
	TestAfter   map[string]Stat `json:"test_calibrated"`
	Temperature Stat            `json:"temperature"`
	// Per length quartile: accuracy, ECE and calibrated ECE over seeds.
	ByLength []QuartileStats `json:"by_length"`
	Versus   *Significance   `json:"versus,omitempty"`
}

// Comparison is the result of Compare: compare.json.
type Comparison struct {
	Base      sentimentlib.Config     `json:"base_config"`
	Seeds     []uint64                `json:"seeds"`
	TestN     int                     `json:"test_reviews"`
	Quartiles [][2]int                `json:"length_quartiles_words"` // [lo, hi] words of each test quartile
	Resamples int                     `json:"bootstrap_resamples"`
	Settings  []*CompareSettingResult `json:"settings"`
}

var compareMetrics = []string{"accuracy", "f1", "roc_auc", "nll", "brier", "ece"}

// Compare trains (or reuses) every setting × seed of the grid, then compares them on the test
// split: metrics before and after temperature scaling fitted on validation, mean and standard
// deviation over seeds, a paired significance test of each setting against its baseline, and
// calibration by review-length quartile. Model selection inside each run uses validation only;
// the test logits are those sentimentlib.Train computed once with the best checkpoint.
func Compare(ctx context.Context, opts CompareOptions) (*Comparison, error) {
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.Settings == nil {
		opts.Settings = CompareSettings(opts.Base.Quick)
	}
	if opts.Seeds == nil {
		opts.Seeds = []uint64{1, 2, 3}
	}
	if opts.Resamples == 0 {
		opts.Resamples = 2000
	}
	if opts.RunsDir == "" {
		return nil, fmt.Errorf("compare: no runs directory")
	}
	names := map[string]bool{}
	for _, s := range opts.Settings {
		if names[s.Name] || s.Name == "" || strings.ContainsAny(s.Name, `/\ `) {
			return nil, fmt.Errorf("compare: setting name %q is empty, repeated or not a file name", s.Name)
		}
		names[s.Name] = true
	}
	for _, s := range opts.Settings {
		if s.Baseline != "" && !names[s.Baseline] {
			return nil, fmt.Errorf("compare: setting %q is tested against %q, which is not in the grid: add it", s.Name, s.Baseline)
		}
	}
	c := &Comparison{Base: opts.Base, Seeds: opts.Seeds, Resamples: opts.Resamples}
	total, done := len(opts.Settings)*len(opts.Seeds), 0
	byName := map[string]*CompareSettingResult{}
	for _, s := range opts.Settings {
		sr := &CompareSettingResult{CompareSetting: s}
		for _, seed := range opts.Seeds {
			done++
			cfg := opts.Base
			cfg.Seed, cfg.Loss, cfg.PositiveFraction = seed, s.Loss, s.PositiveFraction
			dir := filepath.Join(opts.RunsDir, fmt.Sprintf("%s-seed%d", s.Name, seed))
			fmt.Fprintf(opts.Progress, "[%d/%d] %s, seed %d -> %s\n", done, total, s.Name, seed, dir)
			res, err := sentimentlib.Train(ctx, cfg, dir, opts.Progress)
			if err != nil {
				return nil, fmt.Errorf("compare: %s seed %d: %w (rerun the same command to resume the grid)", s.Name, seed, err)
			}
			logits, err := sentimentlib.ReadLogits(dir)
			if err != nil {
				return nil, err
			}
			sr.Runs = append(sr.Runs, &CompareRun{Seed: seed, Dir: dir, TrainSeconds: res.TrainSeconds,
				BestStep: res.BestStep, Validation: res.Validation, logits: logits})
		}
		c.Settings = append(c.Settings, sr)
		byName[s.Name] = sr
	}
	if err := c.analyse(byName); err != nil {
		return nil, err
	}
	return c, nil
}

// analyse fills in everything computed from the runs' logits.
func (c *Comparison) analyse(byName map[string]*CompareSettingResult) error {
	// Every run must have scored the same test reviews, in the same order.
	first := c.Settings[0].Runs[0].logits.Test
	c.TestN = len(first.Labels)
	for _, sr := range c.Settings {
		for _, r := range sr.Runs {
			if !slices.Equal(r.logits.Test.Labels, first.Labels) || !slices.Equal(r.logits.Test.Words, first.Words) {
				return fmt.Errorf("compare: %s holds another test set than %s: the runs must share the data configuration", r.Dir, c.Settings[0].Runs[0].Dir)
			}
		}
	}
	for _, sr := range c.Settings {
		for _, r := range sr.Runs {
			t, err := stats.FitTemperature(r.logits.Validation.Logits, r.logits.Validation.Labels)
			if err != nil {
				return fmt.Errorf("compare: %s: %w", r.Dir, err)
			}
			r.Temperature = t
			r.probs, r.probsCal = metrics.Sigmoids(r.logits.Test.Logits, 1), metrics.Sigmoids(r.logits.Test.Logits, t)
			if r.Test, err = metrics.Compute(r.probs, first.Labels); err != nil {
				return err
			}
			if r.TestAfter, err = metrics.Compute(r.probsCal, first.Labels); err != nil {
				return err
			}
			if err := c.byLength(r); err != nil {
				return err
			}
		}
		sr.Test, sr.TestAfter = map[string]Stat{}, map[string]Stat{}
		for _, name := range compareMetrics {
			sr.Test[name] = statOf(collect(sr.Runs, func(r *CompareRun) float64 { return r.Test.Value(name) }))
			sr.TestAfter[name] = statOf(collect(sr.Runs, func(r *CompareRun) float64 { return r.TestAfter.Value(name) }))
		}
		sr.Temperature = statOf(collect(sr.Runs, func(r *CompareRun) float64 { return r.Temperature }))
		sr.ByLength = make([]QuartileStats, len(c.Quartiles))
		for q := range c.Quartiles {
			sr.ByLength[q].Accuracy = statOf(collect(sr.Runs, func(r *CompareRun) float64 { return r.ByLength[q].Accuracy }))
			sr.ByLength[q].ECE = statOf(collect(sr.Runs, func(r *CompareRun) float64 { return r.ByLength[q].ECE }))
			sr.ByLength[q].ECEAfter = statOf(collect(sr.Runs, func(r *CompareRun) float64 { return r.ByLength[q].ECEAfter }))
		}
	}
	for i, sr := range c.Settings {
		if sr.Baseline == "" {
			continue
		}
		base := byName[sr.Baseline]
		if err := c.significance(sr, base, uint64(i)); err != nil {
			return err
		}
	}
	return nil
}

// significance tests sr against base: McNemar per seed (paired by seed) and a paired bootstrap
// over test reviews of the seed-averaged accuracy and ECE differences.
func (c *Comparison) significance(sr, base *CompareSettingResult, seed uint64) error {
	labels := c.Settings[0].Runs[0].logits.Test.Labels
	type runSet struct {
		correct     [][]bool
		probs, cals [][]float64
	}
	prepare := func(s *CompareSettingResult) runSet {
		var rs runSet
		for _, r := range s.Runs {
			ok := make([]bool, len(r.probs))
			for i, p := range r.probs {
				ok[i] = (p >= 0.5) == (labels[i] == 1)
			}
			rs.correct, rs.probs, rs.cals = append(rs.correct, ok), append(rs.probs, r.probs), append(rs.cals, r.probsCal)
		}
		return rs
	}
	a, b := prepare(base), prepare(sr)
	for k, r := range sr.Runs {
		if base.Runs[k].Seed != r.Seed {
			return fmt.Errorf("compare: %s and %s have different seeds", sr.Name, base.Name)
		}
		m, err := stats.McNemar(a.correct[k], b.correct[k])
		if err != nil {
			return err
		}
		r.McNemar = &m
	}
	accuracy := func(rs runSet) func([]int) float64 {
		return func(idx []int) float64 {
			var sum float64
			for _, ok := range rs.correct {
				n := 0
				for _, i := range idx {
					if ok[i] {
						n++
					}
				}
				sum += float64(n) / float64(len(idx))
			}
			return sum / float64(len(rs.correct))
		}
	}
	ece := func(probs [][]float64) func([]int) float64 {
		return func(idx []int) float64 {
			p, y := make([]float64, len(idx)), make([]int, len(idx))
			var sum float64
			for _, run := range probs {
				for j, i := range idx {
					p[j], y[j] = run[i], labels[i]
				}
				sum += metrics.ECE(p, y, metrics.ECEBins)
			}
			return sum / float64(len(probs))
		}
	}
	v := &Significance{Baseline: base.Name}
	var err error
	if v.Accuracy, err = stats.PairedBootstrap(c.TestN, accuracy(a), accuracy(b), c.Resamples, seed); err != nil {
		return err
	}
	if v.ECE, err = stats.PairedBootstrap(c.TestN, ece(a.probs), ece(b.probs), c.Resamples, seed); err != nil {
		return err
	}
	if v.ECEAfter, err = stats.PairedBootstrap(c.TestN, ece(a.cals), ece(b.cals), c.Resamples, seed); err != nil {
		return err
	}
	sr.Versus = v
	return nil
}

// byLength fills r.ByLength from the test reviews' word-count quartiles (ByLength, as notebook
// 3 uses it) and, from the first run, the quartiles' word ranges.
func (c *Comparison) byLength(r *CompareRun) error {
	var buckets [2][]LengthBucket
	for k, probs := range [][]float64{r.probs, r.probsCal} {
		scored := make([]sentimentlib.Scored, len(probs))
		for i, p := range probs {
			scored[i] = sentimentlib.Scored{Index: i, Label: r.logits.Test.Labels[i], Probability: p, Tokens: r.logits.Test.Words[i]}
		}
		var err error
		if buckets[k], err = ByLength(scored, 4); err != nil {
			return err
		}
	}
	r.ByLength = make([]QuartileMetrics, len(buckets[0]))
	for q, b := range buckets[0] {
		r.ByLength[q] = QuartileMetrics{Accuracy: b.Metrics.Accuracy, ECE: b.Metrics.ECE, ECEAfter: buckets[1][q].Metrics.ECE}
	}
	if c.Quartiles == nil {
		for _, b := range buckets[0] {
			c.Quartiles = append(c.Quartiles, [2]int{b.Lo, b.Hi})
		}
	}
	return nil
}

func collect(runs []*CompareRun, f func(*CompareRun) float64) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

// Markdown renders the comparison's tables.
func (c *Comparison) Markdown() string {
	var b strings.Builder
	seeds := make([]string, len(c.Seeds))
	for i, s := range c.Seeds {
		seeds[i] = fmt.Sprint(s)
	}
	fmt.Fprintf(&b, "Test split: %d reviews. Mean ± standard deviation over seeds %s (one run per seed; the same seeds for every loss).\n\n",
		c.TestN, strings.Join(seeds, ", "))
	b.WriteString("### Test metrics, before temperature scaling\n\n| setting | loss | accuracy | F1 | ROC-AUC | NLL | Brier | ECE |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, sr := range c.Settings {
		fmt.Fprintf(&b, "| %s | %s |", sr.Name, sr.Description)
		for _, m := range compareMetrics {
			fmt.Fprintf(&b, " %s |", sr.Test[m])
		}
		b.WriteString("\n")
	}
	b.WriteString("\n### After temperature scaling (T fitted on validation; accuracy, F1 and ROC-AUC do not change)\n\n| setting | T | NLL | Brier | ECE |\n|---|---:|---:|---:|---:|\n")
	for _, sr := range c.Settings {
		fmt.Fprintf(&b, "| %s | %.2f ± %.2f | %s | %s | %s |\n", sr.Name, sr.Temperature.Mean, sr.Temperature.Std,
			sr.TestAfter["nll"], sr.TestAfter["brier"], sr.TestAfter["ece"])
	}
	fmt.Fprintf(&b, "\n### Against the baseline (paired on the test reviews)\n\n"+
		"Δ is this setting minus its baseline, averaged over seeds; the 95%% interval and p come from a paired bootstrap over test reviews (%d resamples). "+
		"McNemar: exact test per seed on the reviews exactly one of the two runs gets right (only-baseline / only-this, p).\n\n"+
		"| setting | vs | Δ accuracy [95%% CI] | p | McNemar per seed | Δ ECE [95%% CI] | p | Δ ECE calibrated [95%% CI] | p |\n|---|---|---:|---:|---|---:|---:|---:|---:|\n", c.Resamples)
	for _, sr := range c.Settings {
		if sr.Versus == nil {
			continue
		}
		v := sr.Versus
		var mc []string
		for _, r := range sr.Runs {
			mc = append(mc, fmt.Sprintf("%d/%d p=%s", r.McNemar.OnlyA, r.McNemar.OnlyB, pValue(r.McNemar.P)))
		}
		fmt.Fprintf(&b, "| %s | %s | %+.4f [%+.4f, %+.4f] | %s | %s | %+.4f [%+.4f, %+.4f] | %s | %+.4f [%+.4f, %+.4f] | %s |\n",
			sr.Name, v.Baseline, v.Accuracy.Diff, v.Accuracy.Lo, v.Accuracy.Hi, pValue(v.Accuracy.P), strings.Join(mc, "; "),
			v.ECE.Diff, v.ECE.Lo, v.ECE.Hi, pValue(v.ECE.P), v.ECEAfter.Diff, v.ECEAfter.Lo, v.ECEAfter.Hi, pValue(v.ECEAfter.P))
	}
	b.WriteString("\n### By review length (test quartiles by words)\n\n| setting |")
	for q, r := range c.Quartiles {
		fmt.Fprintf(&b, " Q%d accuracy (%d-%d words) |", q+1, r[0], r[1])
	}
	for q := range c.Quartiles {
		fmt.Fprintf(&b, " Q%d ECE |", q+1)
	}
	for q := range c.Quartiles {
		fmt.Fprintf(&b, " Q%d ECE calibrated |", q+1)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", 3*len(c.Quartiles)) + "\n")
	for _, sr := range c.Settings {
		fmt.Fprintf(&b, "| %s |", sr.Name)
		for _, q := range sr.ByLength {
			fmt.Fprintf(&b, " %.4f |", q.Accuracy.Mean)
		}
		for _, q := range sr.ByLength {
			fmt.Fprintf(&b, " %.4f |", q.ECE.Mean)
		}
		for _, q := range sr.ByLength {
			fmt.Fprintf(&b, " %.4f |", q.ECEAfter.Mean)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func pValue(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

// Plots returns the comparison's charts by file name: a reliability diagram per setting
// (test predictions of all seeds pooled, before and after temperature scaling), the
// validation accuracy curves (mean over seeds) and accuracy and ECE by length quartile, one
// chart per data group (balanced, imbalanced).
func (c *Comparison) Plots() (map[string]string, error) {
	out := map[string]string{}
	labels := c.Settings[0].Runs[0].logits.Test.Labels
	for _, sr := range c.Settings {
		var p, pc []float64
		var y []int
		for _, r := range sr.Runs {
			p = append(p, r.probs...)
			pc = append(pc, r.probsCal...)
			y = append(y, labels...)
		}
		out["reliability-"+sr.Name+".svg"] = plots.Reliability(sr.Name+": test, seeds pooled", p, y, 10).SVG()
		out["reliability-"+sr.Name+"-calibrated.svg"] = plots.Reliability(sr.Name+": test, after temperature scaling", pc, y, 10).SVG()
	}
	groups := map[string][]*CompareSettingResult{}
	var order []string
	for _, sr := range c.Settings {
		g := sr.Group()
		if groups[g] == nil {
			order = append(order, g)
		}
		groups[g] = append(groups[g], sr)
	}
	for gi, g := range order {
		suffix := ""
		if gi > 0 || strings.HasPrefix(g, "imbalanced") {
			suffix = "-" + strings.Fields(g)[0]
		}
		curves := &plots.Chart{Title: "Validation accuracy (mean over seeds), " + g, XLabel: "step", YLabel: "accuracy", Legend: plots.LegendBottomRight}
		acc := &plots.Chart{Title: "Test accuracy by length quartile, " + g, XLabel: "length quartile (words)", YLabel: "accuracy", Legend: plots.LegendBottomRight}
		ece := &plots.Chart{Title: "Test ECE by length quartile (before scaling), " + g, XLabel: "length quartile (words)", YLabel: "ECE", Legend: plots.LegendTopRight, YMin: 0}
		for _, sr := range groups[g] {
			steps, vals, err := meanValidationCurve(sr.Runs)
			if err != nil {
				return nil, err
			}
			curves.Add(plots.Series{Name: sr.Name, X: steps, Y: vals})
			var qx, qa, qe []float64
			for q, s := range sr.ByLength {
				qx, qa, qe = append(qx, float64(q+1)), append(qa, s.Accuracy.Mean), append(qe, s.ECE.Mean)
			}
			acc.Add(plots.Series{Name: sr.Name, X: qx, Y: qa})
			ece.Add(plots.Series{Name: sr.Name, X: qx, Y: qe})
		}
		out["validation-curves"+suffix+".svg"] = curves.SVG()
		out["accuracy-by-length"+suffix+".svg"] = acc.SVG()
		out["ece-by-length"+suffix+".svg"] = ece.SVG()
	}
	return out, nil
}

// meanValidationCurve averages the runs' validation accuracy at each evaluated step.
func meanValidationCurve(runs []*CompareRun) ([]float64, []float64, error) {
	sum, count := map[int]float64{}, map[int]int{}
	for _, r := range runs {
		h, err := ReadHistory(r.Dir)
		if err != nil {
			return nil, nil, err
		}
		for _, v := range h.Validation {
			sum[v.Step] += v.Validation.Accuracy
			count[v.Step]++
		}
	}
	var steps []int
	for s := range sum {
		steps = append(steps, s)
	}
	sort.Ints(steps)
	x, y := make([]float64, len(steps)), make([]float64, len(steps))
	for i, s := range steps {
		x[i], y[i] = float64(s), sum[s]/float64(count[s])
	}
	return x, y, nil
}

// WriteReport writes compare.json, compare.md and the charts (plots/*.svg) into dir, atomically
// file by file.
func (c *Comparison) WriteReport(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	if err := rundir.WriteJSON(filepath.Join(dir, "compare.json"), c); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "compare.md"), "# Loss comparison\n\n"+c.Markdown()); err != nil {
		return err
	}
	charts, err := c.Plots()
	if err != nil {
		return err
	}
	for name, svg := range charts {
		if err := writeFile(filepath.Join(dir, "plots", name), svg); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path, s string) error {
	return rundir.WriteFileAtomic(path, []byte(s))
}

// SelectSettings keeps the named settings of a grid, with the baselines they are tested
// against; an unknown name is an error that lists the known ones.
func SelectSettings(all []CompareSetting, names []string) ([]CompareSetting, error) {
	keep := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		i := slices.IndexFunc(all, func(s CompareSetting) bool { return s.Name == n })
		if i < 0 {
			known := make([]string, len(all))
			for j, s := range all {
				known[j] = s.Name
			}
			return nil, fmt.Errorf("no setting %q in the grid: want some of %s", n, strings.Join(known, ", "))
		}
		keep[n] = true
		if all[i].Baseline != "" {
			keep[all[i].Baseline] = true
		}
	}
	return slices.DeleteFunc(slices.Clone(all), func(s CompareSetting) bool { return !keep[s.Name] }), nil
}
