package sentimentlib

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/jsonfield"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/stats"
)

// Load reads a model directory written by Train: config.json, the features (tokenizer.json,
// ngrams.json or words.json), the best checkpoint and calibration.json when there is one.
// Before it uses anything it checks every file against the run's manifest.json (their sizes
// and SHA-256), and refuses a file that changed since the run wrote it; a run written before
// manifests loads unverified (Predictor.Verified). It refuses a directory whose files do not
// fit each other or whose weights are not all finite, with an error that names the file.
func Load(dir string) (*Predictor, error) { return load(dir, true) }

// load is Load; without calibrated it leaves calibration.json aside (temperature 1), as
// Calibrate, which replaces it, wants.
func load(dir string, calibrated bool) (*Predictor, error) {
	if err := notAPretraining(dir); err != nil {
		return nil, err
	}
	verified, calibrated, err := verifyRun(dir, calibrated)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	cfg, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("load %s: %s: %w", dir, filepath.Join(dir, ConfigFile), err)
	}
	a := cfg.arch()
	featuresPath := filepath.Join(dir, a.features.file)
	feat, err := a.features.load(featuresPath, cfg)
	if err != nil {
		return nil, err
	}
	backend, err := newBackend("load")
	if err != nil {
		return nil, err
	}
	p := &Predictor{cfg: cfg, feat: feat, store: newStore(cfg, feat.VocabSize(), 1), backend: backend, calibration: stats.LengthTemperature{Temperature: 1}, verified: verified}
	checkpoint := filepath.Join(dir, BestCheckpoint)
	if _, err := rundir.LoadCheckpoint(p.store, checkpoint); err != nil {
		return nil, err
	}
	if a.checkFixed != nil {
		if err := a.checkFixed(p.store, feat, featuresPath, checkpoint); err != nil {
			return nil, err
		}
	}
	if c, err := ReadCalibration(dir); err == nil && calibrated {
		p.calibration = c.LengthTemperature()
	} else if calibrated && !os.IsNotExist(errors.Unwrap(err)) {
		return nil, err
	}
	var res struct {
		CacheDir string `json:"cache_dir"`
	}
	if rundir.ReadJSON(filepath.Join(dir, ResultsFile), &res) == nil {
		p.cacheDir = res.CacheDir
	}
	return p, p.check(dir)
}

// verifyRun checks dir's files against its manifest, when it has one (verified): every file
// it records, which must include config.json and best.ckpt, unchanged. A calibration.json is
// used (calibrated) only when asked, and, in a verified run, only as recorded; a recorded one
// that was removed leaves the model uncalibrated.
func verifyRun(dir string, calibrate bool) (verified, calibrated bool, err error) {
	m, verified, err := rundir.ReadManifest(dir)
	if err != nil || !verified {
		return false, calibrate, err
	}
	for _, name := range []string{ConfigFile, BestCheckpoint} {
		if !m.Lists(name) {
			return true, false, fmt.Errorf("%s does not record %s: it was not written by this program; restore the run directory, or retrain", filepath.Join(dir, rundir.ManifestFile), name)
		}
	}
	if err := m.Verify(dir, CalibrationFile); err != nil {
		return true, false, err
	}
	calPath := filepath.Join(dir, CalibrationFile)
	switch {
	case !calibrate || !rundir.Exists(calPath):
		return true, false, nil
	case !m.Lists(CalibrationFile):
		return true, false, fmt.Errorf("%s is not recorded in %s: this run's calibrate did not write it (or was interrupted): rerun `sentiment calibrate --model %s`, or remove it", calPath, rundir.ManifestFile, dir)
	}
	if err := m.VerifyFile(dir, CalibrationFile); err != nil {
		return true, false, fmt.Errorf("%w (or rerun `sentiment calibrate --model %s`, which writes it anew)", err, dir)
	}
	return true, true, nil
}

// notAPretraining refuses a pretraining's directory (encoder.ckpt and no best.ckpt), which holds
// an encoder, not a classifier, and says how to fine-tune one from it.
func notAPretraining(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, EncoderCheckpoint)); err != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, BestCheckpoint)); err == nil {
		return nil
	}
	preset := "PRESET"
	if pc, _, err := readPretrained(dir); err == nil {
		preset = pc.FineTunePreset()
	}
	return fmt.Errorf("load %s: it holds a pretraining (%s from sentiment pretrain), not a classifier: fine-tune one from it with `sentiment train --preset %s --init %s`, then use that run",
		dir, EncoderCheckpoint, preset, dir)
}

// readConfig reads dir's config.json strictly: a field this version does not know is refused,
// naming it and the known ones (an edit with a typo would otherwise be ignored silently).
func readConfig(dir string) (Config, error) {
	var cfg Config
	path := filepath.Join(dir, ConfigFile)
	err := rundir.ReadJSONStrict(path, &cfg)
	if _, field, ok := strings.Cut(fmt.Sprint(err), "json: unknown field "); ok {
		return cfg, fmt.Errorf("load %s: %s has the field %s, which no configuration has (fields: %s): remove or correct it", dir, path, field, strings.Join(jsonfield.Names(cfg), ", "))
	}
	if err != nil {
		return cfg, fmt.Errorf("load %s: %w (is it a directory written by `sentiment train`?)", dir, err)
	}
	return cfg, nil
}

// reuseShape finds GoMLX's report of a variable whose shape is not the one the graph asks for.
var reuseShape = regexp.MustCompile(`reuse variable "([^"]+)", but with different shape from original: previous shape=\(\w+\)(\[[^\]]*\]), requested shape=\(\w+\)(\[[^\]]*\])`)

// check runs the model once, on a review of one id, so that a config.json, features and
// checkpoint that do not fit each other fail now rather than on every prediction; it also
// refuses a checkpoint that lacks a variable the model needs (which would start at random) and
// weights that are not finite.
func (p *Predictor) check(dir string) error {
	loaded := map[string]bool{}
	for v := range p.store.IterVariables() {
		loaded[v.Path()] = true
	}
	if err := p.compile(); err != nil {
		return err
	}
	files := fmt.Sprintf("%s, %s and %s", ConfigFile, p.cfg.arch().features.file, BestCheckpoint)
	logits, err := p.Logits(context.Background(), [][]int32{{1}})
	if err != nil {
		cause := err.Error()
		if m := reuseShape.FindStringSubmatch(cause); m != nil {
			cause = fmt.Sprintf("%s has shape %s in the checkpoint, the configuration makes it %s", m[1], m[2], m[3])
		}
		return fmt.Errorf("load %s: %s do not fit each other (%s): they come from different runs; copy a run directory whole", dir, files, cause)
	}
	for v := range p.store.IterVariables() {
		if !loaded[v.Path()] {
			return fmt.Errorf("load %s: %s lacks the variable %s that %s asks for: they come from different runs", dir, filepath.Join(dir, BestCheckpoint), v.Path(), ConfigFile)
		}
		t, err := v.Value()
		if err != nil {
			return err
		}
		if t.DType() == dtypes.Float32 && slices.ContainsFunc(tensors.MustCopyFlatData[float32](t), func(x float32) bool { return math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) }) {
			return fmt.Errorf("load %s: %s holds weights that are not finite (variable %s): the run diverged; retrain it (a lower learning rate)", dir, filepath.Join(dir, BestCheckpoint), v.Path())
		}
	}
	if math.IsNaN(logits[0]) || math.IsInf(logits[0], 0) {
		return fmt.Errorf("load %s: the model's output is %v", dir, logits[0])
	}
	return nil
}
