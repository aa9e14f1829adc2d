package sentimentlib

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/testkit"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

// tinyConfig trains in seconds on the fixture.
func tinyConfig(t testing.TB) Config {
	cfg, err := Preset("default", true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data = DataConfig{CacheDir: fixture, VocabSize: 2000, Offline: true}
	cfg.Dim, cfg.FFNDim, cfg.Heads, cfg.MaxLen, cfg.HeadTokens = 16, 32, 2, 64, 16
	cfg.Epochs, cfg.WarmupSteps, cfg.Patience, cfg.BatchSize = 3, 2, 0, 16
	return cfg
}

func readValidation(t *testing.T, dir string) []map[string]any {
	f, err := os.Open(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == "validation" {
			out = append(out, m)
		}
	}
	return out
}

func TestTrainWritesResultsAndReloads(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t)
	res, err := Train(context.Background(), cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Test.N != 100 || res.Validation.N != 30 || math.IsNaN(res.Test.NLL) {
		t.Errorf("results %+v", res)
	}
	vals := readValidation(t, dir)
	if len(vals) != 3 {
		t.Fatalf("%d validation lines, want one per epoch (3)", len(vals))
	}
	n0 := vals[0]["validation"].(map[string]any)["nll"].(float64)
	n2 := vals[2]["validation"].(map[string]any)["nll"].(float64)
	if n0 == n2 {
		t.Errorf("validation NLL identical after epochs 1 and 3 (%v): evaluation does not see the training updates", n0)
	}
	for _, f := range []string{ConfigFile, TokenizerFile, BestCheckpoint, LastCheckpoint, ResultsFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	// Reload: the test metrics are reproduced exactly from the saved model.
	m, err := Evaluate(context.Background(), dir, "test", fixture)
	if err != nil {
		t.Fatal(err)
	}
	if m != res.Test {
		t.Errorf("metrics after reload %+v differ from training's %+v", m, res.Test)
	}
	// logits.json holds the best checkpoint's logits: they give the results' metrics back, and
	// the lengths are word counts of the test reviews.
	lg, err := ReadLogits(dir)
	if err != nil {
		t.Fatal(err)
	}
	scored, err := PredictSplit(context.Background(), dir, "test", fixture)
	if err != nil {
		t.Fatal(err)
	}
	if lm, err := metrics.Compute(metrics.Sigmoids(lg.Test.Logits, 1), lg.Test.Labels); err != nil || lm != res.Test || len(lg.Validation.Logits) != 30 || lg.BestStep != res.BestStep {
		t.Errorf("logits.json: test metrics %+v (err %v), %d validation logits, best step %d; want %+v, 30, %d", lm, err, len(lg.Validation.Logits), lg.BestStep, res.Test, res.BestStep)
	}
	for i, s := range scored {
		if s.Label != lg.Test.Labels[i] || len(strings.Fields(s.Text)) != lg.Test.Words[i] || math.Abs(metrics.Sigmoid(lg.Test.Logits[i], 1)-s.Probability) > 1e-12 {
			t.Fatalf("logits.json test row %d: label %d, words %d, p %v; reviews say %d, %d, %v", i, lg.Test.Labels[i], lg.Test.Words[i], metrics.Sigmoid(lg.Test.Logits[i], 1), s.Label, len(strings.Fields(s.Text)), s.Probability)
		}
	}
	checkExplain(t, dir)
	checkCalibrate(t, dir)
	checkSavedPredictions(t, dir)
}

// checkSavedPredictions: SavedPredictions gives PredictSplit's answer (temperature 2 included)
// from logits.json, reads that file rather than the model, and runs the model when the file
// is older than the best checkpoint or describes other reviews.
func checkSavedPredictions(t *testing.T, dir string) {
	ctx := context.Background()
	if err := rundir.WriteJSON(filepath.Join(dir, CalibrationFile), Calibration{Temperature: 2, FittedOn: "validation"}); err != nil {
		t.Fatal(err)
	}
	if err := recordCalibration(dir); err != nil { // as Calibrate records what it writes
		t.Fatal(err)
	}
	live, err := PredictSplit(ctx, dir, "test", fixture)
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, got []Scored, flipped bool) {
		t.Helper()
		if len(got) != len(live) {
			t.Fatalf("%s: %d predictions, want %d", what, len(got), len(live))
		}
		for i, g := range got {
			want := live[i].Probability
			if flipped {
				want = 1 - want
			}
			if g.Index != live[i].Index || g.Label != live[i].Label || g.Tokens != live[i].Tokens || g.Text != live[i].Text || math.Abs(g.Probability-want) > 1e-12 {
				t.Fatalf("%s row %d: %+v, want probability %v of %+v", what, i, g, want, live[i])
			}
		}
	}
	saved, err := SavedPredictions(ctx, dir, "test", fixture)
	if err != nil {
		t.Fatal(err)
	}
	same("saved", saved, false)
	val, err := SavedPredictions(ctx, dir, "validation", fixture)
	if err != nil || len(val) != 30 {
		t.Fatalf("saved validation: %d rows, %v", len(val), err)
	}

	// Negated logits in a file newer than the checkpoint: the probabilities flip, so the file
	// is what is read.
	lg, err := ReadLogits(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range lg.Test.Logits {
		lg.Test.Logits[i] = -lg.Test.Logits[i]
	}
	ckpt, err := os.Stat(filepath.Join(dir, BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	write := func(l *RunLogits, offset time.Duration) {
		t.Helper()
		if err := rundir.WriteJSON(filepath.Join(dir, LogitsFile), l); err != nil {
			t.Fatal(err)
		}
		if err := rundir.RecordFile(dir, LogitsFile); err != nil { // as if the run had written it
			t.Fatal(err)
		}
		at := ckpt.ModTime().Add(offset)
		if err := os.Chtimes(filepath.Join(dir, LogitsFile), at, at); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, flipped bool) {
		t.Helper()
		got, err := SavedPredictions(ctx, dir, "test", fixture)
		if err != nil {
			t.Fatal(err)
		}
		same(what, got, flipped)
	}
	write(lg, time.Minute)
	check("negated logits.json", true)
	write(lg, -time.Minute)
	check("logits.json older than best.ckpt", false)
	lg.Test.Labels[3] = 1 - lg.Test.Labels[3]
	write(lg, time.Minute)
	check("logits.json with another label", false)
}

// checkCalibrate: the fitted temperature lowers (or keeps) the validation NLL without changing
// accuracy, is saved, and the reloaded predictor applies it.
func checkCalibrate(t *testing.T, dir string) {
	c, err := Calibrate(context.Background(), dir, fixture)
	if err != nil {
		t.Fatal(err)
	}
	if c.After.NLL > c.Before.NLL+1e-12 || c.After.Accuracy != c.Before.Accuracy || c.FittedOn != "validation" {
		t.Errorf("calibration %+v", c)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Temperature() != c.Temperature {
		t.Errorf("reloaded temperature %v, fitted %v", p.Temperature(), c.Temperature)
	}
	// The probability of a text of n ids is sigmoid(logit / T(n)), T(n) = T (n/R)^power, in
	// Explain and in Predict, for a short text and a long one.
	for _, text := range []string{"a fine film", strings.Repeat("a fine film, but the plot is thin and the ending drags. ", 20)} {
		e, err := p.Explain(text)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := p.Predict([]string{text})
		if err != nil {
			t.Fatal(err)
		}
		temp := c.Temperature
		if c.LengthPower != 0 {
			temp *= math.Pow(float64(len(p.Features().EncodeAll([]string{text})[0]))/c.ReferenceLength, c.LengthPower)
		}
		if want := 1 / (1 + math.Exp(-e.Logit/temp)); math.Abs(e.Probability-want) > 1e-12 || math.Abs(pr[0].Probability-want) > 1e-6 {
			t.Errorf("calibrated probability %v (Predict %v), want sigmoid(logit/T(n)) = %v", e.Probability, pr[0].Probability, want)
		}
	}
	// A length power without its reference length is refused, naming the fix.
	if err := rundir.WriteJSON(filepath.Join(dir, CalibrationFile), Calibration{Temperature: 1, LengthPower: 0.4, FittedOn: "validation"}); err != nil {
		t.Fatal(err)
	}
	if err := recordCalibration(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "reference_length") || !strings.Contains(err.Error(), "sentiment calibrate") {
		t.Errorf("length_power without reference_length: error %v", err)
	}
	// A broken calibration file is an error naming it, not a silent fallback.
	if err := os.WriteFile(filepath.Join(dir, CalibrationFile), []byte(`{"temperature": -1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := recordCalibration(dir); err != nil { // recorded, so that the temperature check is what refuses it
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), CalibrationFile) || !strings.Contains(err.Error(), "temperature") {
		t.Errorf("negative temperature: error %v", err)
	}
}

// checkExplain: an explanation agrees with Predict, covers every word of a short review, and
// renders as HTML with the words escaped.
func checkExplain(t *testing.T, dir string) {
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	text := "A wonderful film, though the ending was terrible."
	e, err := p.Explain(text)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := p.Predict([]string{text})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(e.Probability-pred[0].Probability) > 1e-6 || e.Label != pred[0].Label {
		t.Errorf("Explain %+v disagrees with Predict %+v", e.Prediction, pred[0])
	}
	// Integrated Gradients are complete: the attributions add up to logit - baseline logit.
	sum := 0.0
	for _, w := range e.Words {
		sum += w.Attribution
	}
	if diff := e.Logit - e.BaselineLogit; math.Abs(sum-diff) > 0.02*math.Abs(diff)+1e-3 {
		t.Errorf("attributions sum to %v, logit - baseline = %v", sum, diff)
	}
	var words []string
	for _, w := range e.Words {
		words = append(words, w.Word)
		if math.IsNaN(w.Attribution) {
			t.Errorf("NaN attribution for %q", w.Word)
		}
	}
	if got := strings.Join(words, " "); got != "a wonderful film , though the ending was terrible ." {
		t.Errorf("explained words %q", got)
	}
	html := e.HTML()
	if !strings.Contains(html, ">wonderful</span>") {
		t.Errorf("HTML: %s", html)
	}
}

// TestSameSeedSameRun: two runs with one seed give identical metrics (go backend); another seed
// gives other weights.
func TestSameSeedSameRun(t *testing.T) {
	cfg := tinyConfig(t)
	a, err := Train(context.Background(), cfg, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), cfg, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Test != b.Test || a.Validation != b.Validation {
		t.Errorf("same seed, different results:\n%+v\n%+v", a.Test, b.Test)
	}
	cfg.Seed = 2
	c, err := Train(context.Background(), cfg, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Test.NLL == a.Test.NLL {
		t.Errorf("seeds 1 and 2 give the same test NLL %v: the seed is not used", a.Test.NLL)
	}
}

// TestResumeGivesTheSameRun: a run interrupted in epoch 2 resumes to the uninterrupted run's
// metrics, for the transformer and for the region CNN whose tables are trained by rows.
func TestResumeGivesTheSameRun(t *testing.T) {
	regions := tinyRegions(t)
	regions.Epochs = 3
	if !regions.Regions.SparseTables {
		t.Fatal("the regions preset should train its tables by rows")
	}
	for _, cfg := range []Config{tinyConfig(t), regions} {
		t.Run(cfg.Architecture, func(t *testing.T) { checkResume(t, cfg) })
	}
}

func checkResume(t *testing.T, cfg Config) {
	full, err := Train(context.Background(), cfg, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	// Interrupt during epoch 2, after the epoch-1 checkpoint.
	_, err = Train(ctx, cfg, dir, &testkit.CancelAfter{Marker: "epoch 2/3", Cancel: cancel})
	if err == nil {
		t.Fatal("the interrupted run should report the interruption")
	}
	resumed, err := Train(context.Background(), cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Steps != full.Steps {
		t.Errorf("resumed run: %d steps, uninterrupted %d", resumed.Steps, full.Steps)
	}
	// The resumed run continued after the epoch-1 checkpoint: one validation line per epoch, with
	// the epoch-1 line written once (before the interruption) and steps strictly increasing.
	vals := readValidation(t, dir)
	if len(vals) != 3 {
		t.Fatalf("%d validation lines after resume, want 3", len(vals))
	}
	for i := 1; i < len(vals); i++ {
		if vals[i]["step"].(float64) <= vals[i-1]["step"].(float64) {
			t.Errorf("validation steps not increasing: %v then %v", vals[i-1]["step"], vals[i]["step"])
		}
	}
	if resumed.Test != full.Test || resumed.Validation != full.Validation {
		t.Errorf("resumed run's metrics differ from the uninterrupted run's:\nresumed test %+v\nfull test    %+v", resumed.Test, full.Test)
	}
	// Running a finished run again returns its results without training or logging again.
	before, _ := os.ReadFile(filepath.Join(dir, MetricsFile))
	var progress strings.Builder
	again, err := Train(context.Background(), cfg, dir, &progress)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, MetricsFile))
	if again.Test != resumed.Test || string(before) != string(after) || !strings.Contains(progress.String(), "already trained") {
		t.Errorf("rerun of a finished run: results %+v, metrics.jsonl changed %v, progress %q", again.Test, string(before) != string(after), progress.String())
	}
	// Another configuration in the same directory is refused.
	cfg.Dropout = 0.25
	if _, err := Train(context.Background(), cfg, dir, nil); err == nil {
		t.Error("training another configuration into a used directory should fail")
	}
}

// TestQuickRunLearns trains the --quick transformer on the real IMDB data (the cache that
// HF_HUB_CACHE / HF_HOME name, downloaded when missing; CI points it at ../shared/hf-cache) and
// checks that validation accuracy clearly beats chance (0.5 on the balanced split).
func TestQuickRunLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for about a minute; -short skips it")
	}
	cfg, err := Preset("default", true)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Train(context.Background(), cfg, t.TempDir(), nil)
	if err != nil {
		t.Fatalf("quick run on the real data: %v\n(point HF_HUB_CACHE at a cache holding stanfordnlp/imdb, or allow the download)", err)
	}
	// 1,000 balanced validation reviews: chance gives 0.50 +- 0.016 (one standard error).
	if res.Validation.N != 1000 || res.Validation.Accuracy < 0.75 {
		t.Errorf("quick run: validation accuracy %.4f on %d reviews, want >= 0.75", res.Validation.Accuracy, res.Validation.N)
	}
	if !res.Quick || res.Test.N != 1000 {
		t.Errorf("quick results: quick=%v, %d test reviews", res.Quick, res.Test.N)
	}
	t.Logf("quick run: validation accuracy %.4f, test accuracy %.4f, %.0f s", res.Validation.Accuracy, res.Test.Accuracy, res.TrainSeconds)
}
