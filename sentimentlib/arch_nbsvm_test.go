package sentimentlib

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/testkit"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
	"github.com/sentiment-go/sentiment/sentimentlib/ngrams"
)

// tinyNBSVM trains the nbsvm preset in about a second on the fixture.
func tinyNBSVM(t testing.TB) Config {
	cfg, err := Preset("nbsvm", true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data = DataConfig{CacheDir: fixture, Offline: true}
	cfg.Epochs, cfg.BatchSize, cfg.MaxLen, cfg.HeadTokens = 3, 16, 512, 512
	cfg.NBSVM.MaxFeatures = 20_000
	return cfg
}

// bias is the trained nbsvm bias of a predictor.
func nbBias(t *testing.T, p *Predictor) float64 {
	v := p.store.GetVariable("/model/nbsvm/bias")
	if v == nil {
		t.Fatal("no /model/nbsvm/bias")
	}
	return float64(tensors.MustCopyFlatData[float32](must(v.Value()))[0])
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestNBSVMTrainReloadExplain(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyNBSVM(t)
	res, err := Train(context.Background(), cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Config.Architecture != "nbsvm" || res.Test.N != 100 || math.IsNaN(res.Test.NLL) || len(readValidation(t, dir)) != 3 {
		t.Fatalf("results %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, NgramsFile)); err != nil {
		t.Fatalf("no %s: %v", NgramsFile, err)
	}
	// The preset calibrates at the end: calibration.json is written and recorded (Load takes
	// it), and results.json has the calibrated test metrics, at the same accuracy.
	cal, err := ReadCalibration(dir)
	if err != nil {
		t.Fatalf("the nbsvm preset's run has no calibration: %v", err)
	}
	if res.TestCalibrated.N != 100 || res.TestCalibrated.Accuracy != res.Test.Accuracy {
		t.Errorf("test_calibrated %+v, test %+v", res.TestCalibrated, res.Test)
	}
	if _, err := os.Stat(filepath.Join(dir, TokenizerFile)); err == nil {
		t.Errorf("an nbsvm run wrote %s", TokenizerFile)
	}
	// Predictions identical after reload: the reloaded model's validation logits are the ones
	// Train saved from its best checkpoint.
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Calibration() != cal.LengthTemperature() || cal.Temperature == 1 {
		t.Errorf("loaded calibration %+v, written %+v", p.Calibration(), cal)
	}
	saved, err := ReadLogits(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := cfg.Data.load(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	subset(d, cfg)
	got, err := p.Logits(context.Background(), p.Features().EncodeAll(imdb.Texts(d.Validation)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, saved.Validation.Logits) {
		t.Error("the reloaded model's validation logits differ from the ones Train saved")
	}
	// Attributions: exact per-n-gram shares spread over the words, adding up to the logit minus
	// the bias, the baseline.
	bias := nbBias(t, p)
	e, err := p.Explain("A wonderful, moving film: the best acting I have seen. Not boring at all!")
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, w := range e.Words {
		sum += w.Attribution
	}
	if e.BaselineLogit != float64(float32(bias)) || math.Abs(sum-(e.Logit-bias)) > 1e-4 || e.Unknown {
		t.Errorf("attributions add up to %v, logit %v - bias %v = %v; baseline %v", sum, e.Logit, bias, e.Logit-bias, e.BaselineLogit)
	}
	if words := len(e.Words); words != 18 || e.Words[1].Word != "wonderful" {
		t.Errorf("%d words %+v: want the review's 18 words", words, e.Words)
	}
	// A review with no known n-gram gets the bias alone, and says so.
	for _, text := range []string{"", "zzqx vvbn", "<br /><br />"} {
		pr, err := p.Predict([]string{text})
		if err != nil {
			t.Fatal(err)
		}
		c := p.Calibration() // T(0) = T(1) = T (1/R)^power
		if want := 1 / (1 + math.Exp(-bias/(c.Temperature*math.Pow(1/c.Reference, c.Power)))); !pr[0].Unknown || math.Abs(pr[0].Probability-want) > 1e-6 {
			t.Errorf("%q: %+v, want unknown with the bias's probability %v", text, pr[0], want)
		}
		e, err := p.Explain(text)
		if err != nil {
			t.Fatal(err)
		}
		if !e.Unknown || e.Logit != e.BaselineLogit {
			t.Errorf("explain %q: %+v", text, e)
		}
	}
	if pr, _ := p.Predict([]string{"great"}); pr[0].Unknown {
		t.Error(`"great" is known to the model but was marked unknown`)
	}
}

// TestNBSVMFeaturesFromTrainingSplitOnly plants marker n-grams in each split: only the training
// split's reach the vocabulary, with the counts of the training reviews alone.
func TestNBSVMFeaturesFromTrainingSplitOnly(t *testing.T) {
	d, err := imdb.Load(context.Background(), imdb.Options{CacheDir: fixture, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	plant := func(rs []imdb.Review, marker string, label int) (n int) {
		for i := range rs {
			if rs[i].Label == label || label < 0 {
				rs[i].Text += " " + marker + " !"
				n++
			}
		}
		return n
	}
	npos := plant(d.Train, "zzztrain marker", 1)
	plant(d.Validation, "zzzvalidation marker", -1)
	plant(d.Test, "zzztest marker", -1)
	plant(d.Unsupervised, "zzzunsup marker", -1)
	cfg := tinyNBSVM(t)
	f, err := cfg.arch().features.fit(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	v := f.(*ngrams.Vocabulary)
	id, ok := v.ID("zzztrain marker")
	if !ok {
		t.Fatal("the training marker is missing: the test cannot tell anything")
	}
	if pos, neg := v.Counts(id); pos != npos || neg != 0 {
		t.Errorf("training marker in %d positive and %d negative reviews, want %d and 0", pos, neg, npos)
	}
	if r := v.Ratios()[id]; r <= 0 {
		t.Errorf("a marker of positive reviews has ratio %v", r)
	}
	for _, g := range []string{"zzzvalidation", "zzztest", "zzzunsup", "zzzvalidation marker", "zzztest marker"} {
		if _, ok := v.ID(g); ok {
			t.Errorf("%q is in the vocabulary: the features saw text outside the training split", g)
		}
	}
	// "marker !" ends the planted text of every split: it counts the training reviews alone.
	id, _ = v.ID("marker !")
	if pos, neg := v.Counts(id); pos != npos || neg != 0 {
		t.Errorf(`"marker !" in %d positive and %d negative reviews, want %d and 0`, pos, neg, npos)
	}
}

func TestNBSVMRefusesFeaturesOfAnotherModel(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyNBSVM(t)
	if _, err := Train(context.Background(), cfg, dir, nil); err != nil {
		t.Fatal(err)
	}
	d, err := imdb.Load(context.Background(), imdb.Options{CacheDir: fixture, Offline: true, SkipUnsupervised: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, NgramsFile)
	for name, reviews := range map[string][]imdb.Review{"other reviews": d.Train[:len(d.Train)/2], "the test split": d.Test} {
		other, err := ngrams.Fit(imdb.Texts(reviews), imdb.Labels(reviews), cfg.NBSVM.Options)
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Save(path); err != nil {
			t.Fatal(err)
		}
		_, err = Load(dir)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another run") {
			t.Errorf("%s: loading with a foreign %s: %v, want an error naming it", name, NgramsFile, err)
		}
	}
	if err := os.WriteFile(path, []byte(`{"format":"sentiment-ngrams-v1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a broken %s: %v", NgramsFile, err)
	}
	os.Remove(path)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), NgramsFile) {
		t.Errorf("a missing %s: %v", NgramsFile, err)
	}
}

// TestNBSVMWithSentimentWeightedLoss: every factor of the loss trains this architecture too,
// and changes what it learns.
func TestNBSVMWithSentimentWeightedLoss(t *testing.T) {
	cfg := tinyNBSVM(t)
	cfg.Epochs = 1
	bce, err := Train(context.Background(), cfg, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Loss = loss.Config{ConfidenceGamma: 2, LengthAlpha: 0.5, ClassBeta: 1, LabelSmoothing: 0.1}
	weighted, err := Train(context.Background(), cfg, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(weighted.Test.NLL) || weighted.Test.NLL == bce.Test.NLL || weighted.Config.Loss.NegativeCount == 0 {
		t.Errorf("weighted loss: test NLL %v (BCE %v), class counts %d/%d", weighted.Test.NLL, bce.Test.NLL,
			weighted.Config.Loss.NegativeCount, weighted.Config.Loss.PositiveCount)
	}
}

func TestNBSVMResumeGivesTheSameRun(t *testing.T) {
	cfg := tinyNBSVM(t)
	full, err := Train(context.Background(), cfg, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := Train(ctx, cfg, dir, &testkit.CancelAfter{Marker: "epoch 2/3", Cancel: cancel}); err == nil {
		t.Fatal("the interrupted run should report the interruption")
	}
	resumed, err := Train(context.Background(), cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Steps != full.Steps || resumed.Test != full.Test || resumed.Validation != full.Validation {
		t.Errorf("resumed run differs from the uninterrupted one:\n%+v\n%+v", resumed.Test, full.Test)
	}
}

// TestNBSVMBadConfigsAreClearErrors: nbsvm refuses its own out-of-range fields and an --init, naming them.
func TestNBSVMBadConfigsAreClearErrors(t *testing.T) {
	checkRefused(t, "nbsvm", []badField{
		{"nbsvm.max_n", "4", "nbsvm.max_n"},
		{"nbsvm.max_features", "0", "nbsvm.max_features"},
		{"nbsvm.alpha", "-1", "nbsvm.alpha"},
		{"nbsvm.scale", "0", "nbsvm.scale"},
		{"max_len", "4", "max_len"},
		{"learning_rate", "2", "learning_rate"},
		{"init", "runs/pretrain-cpu-seed1", "no encoder"},
		{"loss.confidence_gamma", "-1", "gamma"},
	})
}

// TestRefit: a refit trains on exactly the training and validation reviews of its twin's split,
// for exactly its configured epochs (the steps of that many passes over them), keeps the last
// step, never evaluates on validation, writes no calibration, and refuses to be evaluated on
// the validation reviews it trained on.
func TestRefit(t *testing.T) {
	ctx := context.Background()
	cfg := tinyNBSVM(t)
	twin, err := cfg.LoadData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Refit, cfg.Epochs = true, 2
	data, err := cfg.LoadData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(data.Validation) != 0 || len(data.Train) != len(twin.Train)+len(twin.Validation) ||
		data.Train[len(twin.Train)].Text != twin.Validation[0].Text || data.Train[0].Text != twin.Train[0].Text {
		t.Fatalf("refit data: %d train, %d validation; the twin has %d and %d", len(data.Train), len(data.Validation), len(twin.Train), len(twin.Validation))
	}
	dir := t.TempDir()
	res, err := Train(ctx, cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := batch.New("train", p.Features().EncodeAll(imdb.Texts(data.Train)), imdb.Labels(data.Train), cfg.BatchOptions(true))
	if err != nil {
		t.Fatal(err)
	}
	if perEpoch := len(ds.Plan(0)); res.Steps != 2*perEpoch || perEpoch < len(data.Train)/cfg.BatchSize-4 {
		t.Errorf("%d steps; 2 epochs of the %d reviews are %d batches", res.Steps, len(data.Train), 2*perEpoch)
	}
	if res.BestStep != res.Steps || res.Validation.N != 0 || res.Test.N != 100 {
		t.Errorf("best step %d of %d, validation n %d, test n %d", res.BestStep, res.Steps, res.Validation.N, res.Test.N)
	}
	if len(readValidation(t, dir)) != 0 {
		t.Error("a refit logged validation evaluations")
	}
	if _, err := os.Stat(filepath.Join(dir, CalibrationFile)); err == nil {
		t.Error("a refit wrote a calibration (it has no validation to fit it on)")
	}
	if _, err := p.Evaluate(ctx, "validation", ""); err == nil || !strings.Contains(err.Error(), "refit") {
		t.Errorf("evaluating a refit on validation: %v", err)
	}
	if m, err := p.Evaluate(ctx, "test", ""); err != nil || m.Accuracy != res.Test.Accuracy {
		t.Errorf("test: %+v, %v; train said %v", m, err, res.Test.Accuracy)
	}
	// Interrupted in its second epoch, the refit resumes to the uninterrupted result.
	dir2 := t.TempDir()
	cctx, cancel := context.WithCancel(ctx)
	if _, err := Train(cctx, cfg, dir2, &testkit.CancelAfter{Marker: "epoch 2/2", Cancel: cancel}); err == nil {
		t.Fatal("the interrupted refit should report it")
	}
	res2, err := Train(ctx, cfg, dir2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Test != res.Test || res2.Steps != res.Steps || res2.BestStep != res.BestStep {
		t.Errorf("resumed refit: test %+v after %d steps, uninterrupted %+v after %d", res2.Test, res2.Steps, res.Test, res.Steps)
	}
}
