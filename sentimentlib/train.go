package sentimentlib

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/gomlx/compute/gobackend" // the pure-Go CPU backend, GoMLX's default here
	"github.com/gomlx/gomlx/ml/train"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/trainloop"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

// SplitLogits is a split's logits (before any temperature), labels and lengths in words
// (whitespace-separated, so comparable across tokenizers), in the split's order.
type SplitLogits struct {
	Logits []float64 `json:"logits"`
	Labels []int     `json:"labels"`
	Words  []int     `json:"words"`
}

// RunLogits is what logits.json holds: Train writes the best checkpoint's logits once, so
// analyses over many runs (the loss comparison, temperature fits) need no second pass of the
// model over the data.
type RunLogits struct {
	BestStep   int         `json:"best_step"`
	Validation SplitLogits `json:"validation"`
	Test       SplitLogits `json:"test"`
}

// ReadLogits reads DIR/logits.json.
func ReadLogits(dir string) (*RunLogits, error) {
	var l RunLogits
	if _, err := os.Stat(filepath.Join(dir, LogitsFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, missingLogits(dir)
	}
	if err := rundir.ReadJSON(filepath.Join(dir, LogitsFile), &l); err != nil {
		return nil, fmt.Errorf("logits: %w (written by sentiment train since this version; rerun the training command)", err)
	}
	return &l, nil
}

// missingLogits says why dir has no logits.json: no such directory, a pretraining, a training
// that has not finished, or one from before logits.json.
func missingLogits(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("logits: no run directory %s (%w): train it first, or check the path", dir, err)
	}
	if err := notAPretraining(dir); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, BestCheckpoint)); err != nil {
		return fmt.Errorf("logits: %s holds no finished training (no %s): run or resume its `sentiment train` first", dir, BestCheckpoint)
	}
	return fmt.Errorf("logits: %s has no %s, which sentiment train writes when it ends: rerun its training command (it resumes a run that was stopped; a run from a version before %s trains again)", dir, LogitsFile, LogitsFile)
}

func splitLogits(logits []float64, reviews []imdb.Review) SplitLogits {
	s := SplitLogits{Logits: logits, Labels: imdb.Labels(reviews), Words: make([]int, len(reviews))}
	for i, r := range reviews {
		s.Words[i] = len(strings.Fields(r.Text))
	}
	return s
}

// Results is what results.json holds.
type Results struct {
	Preset       string          `json:"preset"`
	Seed         uint64          `json:"seed"`
	Quick        bool            `json:"quick"`
	Config       Config          `json:"config"`
	TrainSeconds float64         `json:"train_seconds"`
	Steps        int             `json:"steps"`
	BestStep     int             `json:"best_step"`
	Validation   metrics.Metrics `json:"validation"`
	Test         metrics.Metrics `json:"test"`
	// TestCalibrated are the test metrics with the calibration a run with Config.Calibrate
	// fitted on validation (Test is before it; the accuracy is the same).
	TestCalibrated metrics.Metrics `json:"test_calibrated,omitzero"`
	Backend        string          `json:"backend"`
	// CacheDir is the Hugging Face cache the run read (absolute): eval and calibrate read it
	// again unless told otherwise (--hf-cache, HF_HUB_CACHE, HF_HOME).
	CacheDir string `json:"cache_dir,omitempty"`
	SIMD     bool   `json:"simd"`
}

// Train trains a classifier as cfg says, writing into outDir: config.json, the features
// (tokenizer.json, ngrams.json or words.json), checkpoints, metrics.jsonl, logits.json and
// results.json. If outDir holds a resumable run with the same config, it resumes it. Progress
// goes to progress (nil: silent).
func Train(ctx context.Context, cfg Config, outDir string, progress io.Writer) (*Results, error) {
	progress = cmp.Or[io.Writer](progress, io.Discard)
	return rundir.Run(cfg, outDir, "train", progress, func(resuming bool) (*Results, error) {
		prep, err := trainingData(ctx, cfg, outDir, resuming, progress)
		if err != nil {
			return nil, err
		}
		trainDS, err := batch.New("train", prep.Train, imdb.Labels(prep.Data.Train), cfg.BatchOptions(true))
		if err != nil {
			return nil, err
		}
		if cfg.Loss.ClassBeta > 0 && cfg.Loss.NegativeCount == 0 {
			cfg.Loss.NegativeCount, cfg.Loss.PositiveCount = imdb.CountLabels(prep.Data.Train)
		}
		steps := len(trainDS.Plan(0)) * cfg.Epochs
		if steps == 0 {
			return nil, fmt.Errorf("train: batch_size %d is larger than the %d training reviews, so no step would run: lower it", cfg.BatchSize, len(prep.Train))
		}
		trainer, p, err := NewTraining(cfg, prep.Features, steps)
		if err != nil {
			return nil, err
		}
		run := &trainloop.Run{Name: "train", Dir: outDir, Store: p.store, Trainer: trainer, Batches: trainDS, Steps: steps,
			Epochs: cfg.Epochs, EvalEvery: cfg.EvalEverySteps, EvalEachEpoch: true, Progress: progress}
		if a := cfg.arch(); a.rowsTrained != nil && a.rowsTrained(cfg) {
			vocab := prep.Features.VocabSize()
			run.Make = func(p batch.Planned, _ int) train.Batch {
				return withBatchRows(trainDS.Make(p), trainDS.Tokens(p), vocab)
			}
		}
		run.Evaluate = (&validation{ctx: ctx, cfg: cfg, run: run, p: p, ids: prep.Validation, labels: imdb.Labels(prep.Data.Validation), progress: progress}).evaluate
		st := rundir.State{BestScore: math.Inf(-1)}
		if err := run.Train(ctx, &st, resuming, func() error { return initEncoder(p.store, cfg, progress) }); err != nil {
			return nil, err
		}
		res := &Results{Preset: cfg.Preset, Seed: cfg.Seed, Quick: cfg.Quick, Config: cfg, TrainSeconds: st.Seconds,
			Steps: st.Step, BestStep: st.BestStep, Backend: p.backend.Name(), SIMD: SIMDEnabled}
		if abs, err := filepath.Abs(prep.Data.CacheDir); err == nil {
			res.CacheDir = abs
		}
		return res, testBest(ctx, p, outDir, prep, res, progress)
	})
}

// ResumeStep is the step a rerun of the run in dir resumes from: that of its last checkpoint.
// It reports false when dir holds no checkpoint to resume.
func ResumeStep(dir string) (int, bool) {
	st, ok := rundir.LastState(dir)
	return st.Step, ok
}

// trainingData reads the data cfg names and its features, fitted on the training split only
// (reloaded when resuming, the pretrained tokenizer with --init), and encodes every split; a
// new run writes its features and config.json.
func trainingData(ctx context.Context, cfg Config, outDir string, resuming bool, progress io.Writer) (*Prepared, error) {
	data, err := cfg.LoadData(ctx)
	if err != nil {
		return nil, err
	}
	kind := cfg.arch().features
	var feat Features
	switch {
	case resuming:
		feat, err = kind.load(filepath.Join(outDir, kind.file), cfg)
	case cfg.Init != "":
		if err := cfg.checkInit(); err != nil {
			return nil, err
		}
		feat, err = kind.load(filepath.Join(cfg.Init, kind.file), cfg) // the pretraining's tokenizer or words
	default:
		feat, err = kind.fit(data, cfg)
	}
	if err != nil {
		return nil, err
	}
	prep := Encode(data, feat)
	fmt.Fprintf(progress, "data: %d train / %d validation / %d test reviews; %s\n",
		len(prep.Train), len(prep.Validation), len(prep.Test), kind.describe(feat))
	if !resuming {
		if err := writeRunStart(outDir, feat, kind.file, cfg); err != nil {
			return nil, err
		}
	}
	return prep, nil
}

// validation is the classifier's evaluator: validation metrics, logged and printed, the best
// checkpoint when they improve on the best so far, early stopping after cfg.Patience
// evaluations without improvement.
type validation struct {
	ctx      context.Context // the run's: an evaluation stops when it ends
	cfg      Config
	run      *trainloop.Run
	p        *Predictor
	ids      [][]int32
	labels   []int
	progress io.Writer
}

func (v *validation) evaluate(st *rundir.State, epochDone bool) (bool, error) {
	if v.cfg.Refit { // no validation: the last step is the one kept, saved once
		if st.Step != v.run.Steps {
			return false, nil
		}
		st.BestStep = st.Step
		if err := rundir.SaveCheckpoint(v.p.store, filepath.Join(v.run.Dir, BestCheckpoint)); err != nil {
			return false, err
		}
		v.run.Log(map[string]any{"type": "refit", "step": st.Step, "seconds": st.Seconds})
		fmt.Fprintf(v.progress, "\nstep %d: refit on every training review, no validation; the last step kept\n", st.Step)
		return false, nil
	}
	if err := v.p.Sync(); err != nil {
		return false, err
	}
	probs, err := v.p.probabilities(v.ctx, v.ids)
	if err != nil {
		return false, err
	}
	m, err := metrics.Compute(probs, v.labels)
	if err != nil {
		return false, err
	}
	score := m.Value(v.cfg.SelectMetric)
	if v.cfg.SelectMetric == "nll" {
		score = -m.NLL // higher is better
	}
	improved := score > st.BestScore
	if improved {
		st.BestScore, st.BestStep, st.BadEvals = score, st.Step, 0
		if err := rundir.SaveCheckpoint(v.p.store, filepath.Join(v.run.Dir, BestCheckpoint)); err != nil {
			return false, err
		}
	} else {
		st.BadEvals++
	}
	epoch := st.Epoch + 1 // the epoch in progress, or the one just completed
	if epochDone {
		epoch = st.Epoch
	}
	v.run.Log(map[string]any{"type": "validation", "step": st.Step, "epoch": epoch, "seconds": st.Seconds, "validation": m, "best": improved})
	fmt.Fprintf(v.progress, "\nstep %d (epoch %d): validation accuracy %.4f f1 %.4f auc %.4f nll %.4f%s\n",
		st.Step, epoch, m.Accuracy, m.F1, m.ROCAUC, m.NLL, map[bool]string{true: "  (best)"}[improved])
	stop := v.cfg.Patience > 0 && st.BadEvals >= v.cfg.Patience
	if stop {
		fmt.Fprintf(v.progress, "early stopping: %s did not improve for %d evaluations\n", v.cfg.SelectMetric, st.BadEvals)
	}
	return stop, nil
}

// testBest scores validation and test once with the best checkpoint, and writes logits.json,
// the manifest of the model's files (config.json, the features, best.ckpt) and, last,
// results.json.
func testBest(ctx context.Context, p *Predictor, outDir string, prep *Prepared, res *Results, progress io.Writer) error {
	data := prep.Data
	if _, err := rundir.LoadCheckpoint(p.store, filepath.Join(outDir, BestCheckpoint)); err != nil {
		return err
	}
	if err := p.Sync(); err != nil {
		return err
	}
	saved := RunLogits{BestStep: res.BestStep}
	for _, sp := range []struct {
		ids     [][]int32
		reviews []imdb.Review
		logits  *SplitLogits
		dst     *metrics.Metrics
	}{{prep.Validation, data.Validation, &saved.Validation, &res.Validation}, {prep.Test, data.Test, &saved.Test, &res.Test}} {
		if len(sp.reviews) == 0 { // no_test
			continue
		}
		logits, err := p.Logits(ctx, sp.ids)
		if err != nil {
			return err
		}
		*sp.logits = splitLogits(logits, sp.reviews)
		if *sp.dst, err = metrics.Compute(metrics.Sigmoids(logits, 1), sp.logits.Labels); err != nil {
			return err
		}
	}
	if b, err := json.Marshal(saved); err != nil { // compact: 27,500 numbers
		return err
	} else if err := rundir.WriteFileAtomic(filepath.Join(outDir, LogitsFile), b); err != nil {
		return err
	}
	if err := rundir.WriteManifest(outDir, ConfigFile, res.Config.arch().features.file, BestCheckpoint, LogitsFile); err != nil {
		return err
	}
	if res.Config.Calibrate && res.Config.Refit {
		fmt.Fprintln(progress, "calibration: skipped: a refit has no validation split to fit it on")
	} else if res.Config.Calibrate {
		c, err := p.calibrate(ctx, outDir, data.Validation, prep.Validation, saved.Validation.Logits)
		if err != nil {
			return err
		}
		fmt.Fprintf(progress, "calibrated on validation: temperature %.3f × (n / %g ids)^%.2f; validation ECE %.4f -> %.4f, of its sentences %.4f -> %.4f\n",
			c.Temperature, c.ReferenceLength, c.LengthPower, c.Before.ECE, c.After.ECE, c.SentencesBefore.ECE, c.SentencesAfter.ECE)
		if len(data.Test) > 0 {
			if res.TestCalibrated, err = metrics.Compute(p.calibrated(saved.Test.Logits, prep.Test), saved.Test.Labels); err != nil {
				return err
			}
		}
	}
	if res.Config.NoTest {
		fmt.Fprintf(progress, "test: not read (no_test); best validation accuracy %.4f at step %d (%.0f s)\n", res.Validation.Accuracy, res.BestStep, res.TrainSeconds)
	} else {
		which := "best validation step"
		if res.Config.Refit {
			which = "refit: the last step"
		}
		fmt.Fprintf(progress, "test: accuracy %.4f f1 %.4f auc %.4f (%s %d, %.0f s)\n",
			res.Test.Accuracy, res.Test.F1, res.Test.ROCAUC, which, res.BestStep, res.TrainSeconds)
	}
	return rundir.WriteJSON(filepath.Join(outDir, ResultsFile), res)
}

// LoadData reads the splits cfg trains on: its cache, train/validation split and subsets
// (max_train_reviews, max_eval_reviews, positive_fraction), without the test split under
// no_test.
func (cfg Config) LoadData(ctx context.Context) (*imdb.Data, error) {
	data, err := cfg.Data.load(ctx, false)
	if err != nil {
		return nil, err
	}
	subset(data, cfg)
	if cfg.NoTest {
		data.Test = nil
	}
	if cfg.Refit {
		refitSplit(data)
	}
	if cfg.Data.TrainSentences {
		for _, s := range ReviewSentences(data.Train) {
			data.Train = append(data.Train, imdb.Review{Text: s.Text, Label: s.Label})
		}
	}
	return data, nil
}

// refitSplit moves the validation reviews into the training split, for a refit (Config.Refit)
// and its pretraining (PretrainConfig.Refit).
func refitSplit(data *imdb.Data) {
	data.Train = append(data.Train[:len(data.Train):len(data.Train)], data.Validation...)
	data.Validation = nil
}

// subset applies PositiveFraction, MaxTrainReviews and MaxEvalReviews (the splits are already
// shuffled).
func subset(d *imdb.Data, cfg Config) {
	if f := cfg.PositiveFraction; f > 0 && f < 1 {
		_, pos := imdb.CountLabels(d.Train)
		keep := int(math.Round(f * float64(pos)))
		kept := d.Train[:0:0]
		for _, r := range d.Train {
			if r.Label == 1 {
				if keep == 0 {
					continue
				}
				keep--
			}
			kept = append(kept, r)
		}
		d.Train = kept
	}
	if cfg.MaxTrainReviews > 0 && len(d.Train) > cfg.MaxTrainReviews {
		d.Train = d.Train[:cfg.MaxTrainReviews]
	}
	if cfg.MaxEvalReviews > 0 {
		if len(d.Validation) > cfg.MaxEvalReviews {
			d.Validation = d.Validation[:cfg.MaxEvalReviews]
		}
		if len(d.Test) > cfg.MaxEvalReviews {
			// The test split is ordered by label: take an even sample, seeded by the data split
			// seed (not the run's seed) so that runs of several seeds share one test set.
			_, d.Test, _ = imdb.StratifiedSplit(d.Test, float64(cfg.MaxEvalReviews)/float64(len(d.Test)), cfg.Data.SplitSeed)
		}
	}
}

// BatchOptions is how cfg batches reviews: its batch size, truncation and length buckets;
// training batches are reshuffled every epoch from the seed and drop incomplete batches.
func (cfg Config) BatchOptions(training bool) batch.Options {
	return batch.Options{BatchSize: cfg.BatchSize, Truncation: batch.Truncation{MaxLen: cfg.MaxLen, Head: cfg.HeadTokens},
		Buckets:    batch.Buckets(cfg.MaxLen, cmp.Or(cfg.LengthBuckets, 4)),
		PrependCLS: cfg.Pooling == "cls", Shuffle: training, Seed: cfg.Seed, DropRemainder: training}
}

// writeRunStart writes what a new run (cfg: a Config or a PretrainConfig) starts from: its
// features (as file) and config.json; metrics.jsonl starts afresh.
func writeRunStart(outDir string, feat Features, file string, cfg any) error {
	if err := feat.Save(filepath.Join(outDir, file)); err != nil {
		return err
	}
	if err := rundir.WriteJSON(filepath.Join(outDir, ConfigFile), cfg); err != nil {
		return err
	}
	os.Remove(filepath.Join(outDir, MetricsFile))
	return nil
}
