package sentimentlib

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
	"github.com/sentiment-go/sentiment/sentimentlib/stats"
)

// Calibration is temperature scaling fitted on the validation split (Guo et al. 2017), with a
// temperature that depends on the input's length: the predictor divides the logit of an input
// of n ids by T(n) = Temperature × (n / ReferenceLength)^LengthPower before the sigmoid.
// Accuracy does not change (ROC-AUC may: inputs of different lengths are ranked anew);
// overconfident probabilities are softened and underconfident ones sharpened, separately for
// short and long inputs (a model trained on whole reviews is typically unsure of a one-line
// review whatever it says: docs/short-texts.md).
type Calibration struct {
	Temperature float64 `json:"temperature"`
	// LengthPower and ReferenceLength: see Calibration. ReferenceLength is the median number of
	// ids of the validation reviews. A file without them (written before) has one temperature.
	LengthPower     float64 `json:"length_power,omitempty"`
	ReferenceLength float64 `json:"reference_length,omitempty"`
	FittedOn        string  `json:"fitted_on"` // always "validation": the test split is never used to fit
	// Before and After are the validation reviews' metrics; SentencesBefore and SentencesAfter
	// those of the sentences the fit also used (the validation reviews' MiddleSentences).
	Before          metrics.Metrics `json:"validation_before"`
	After           metrics.Metrics `json:"validation_after"`
	SentencesBefore metrics.Metrics `json:"sentences_before,omitzero"`
	SentencesAfter  metrics.Metrics `json:"sentences_after,omitzero"`
}

// LengthTemperature is the calibration's T(n).
func (c Calibration) LengthTemperature() stats.LengthTemperature {
	return stats.LengthTemperature{Temperature: c.Temperature, Power: c.LengthPower, Reference: c.ReferenceLength}
}

// ReadCalibration reads DIR/calibration.json.
func ReadCalibration(dir string) (*Calibration, error) {
	var c Calibration
	path := filepath.Join(dir, CalibrationFile)
	if err := rundir.ReadJSON(path, &c); err != nil {
		return nil, fmt.Errorf("calibration: %w", err)
	}
	if !(c.Temperature > 0) || math.IsInf(c.Temperature, 0) {
		return nil, fmt.Errorf("calibration: %s: temperature %v must be positive", path, c.Temperature)
	}
	if math.IsNaN(c.LengthPower) || math.IsInf(c.LengthPower, 0) || (c.LengthPower != 0 && !(c.ReferenceLength > 0)) {
		return nil, fmt.Errorf("calibration: %s: length_power %v needs a positive reference_length (not %v): rerun `sentiment calibrate --model %s`", path, c.LengthPower, c.ReferenceLength, dir)
	}
	return &c, nil
}

// Calibrate fits the calibration of the model in dir on its validation split (the reviews,
// and the middle sentence of each, the two sets weighted equally) and
// writes calibration.json (atomically), which Load then applies. cacheDir overrides the data
// cache.
func Calibrate(ctx context.Context, dir, cacheDir string) (*Calibration, error) {
	p, err := load(dir, false) // the calibration it replaces may be damaged or half-written
	if err != nil {
		return nil, err
	}
	validation, err := p.splitReviews(ctx, "validation", cacheDir)
	if err != nil {
		return nil, err
	}
	return p.calibrate(ctx, dir, validation, nil, nil)
}

// calibrate fits p's calibration on the validation reviews (see Calibrate), applies it to p
// and writes it into dir. ids and logits, when not nil, are the reviews' (Train has them).
func (p *Predictor) calibrate(ctx context.Context, dir string, validation []imdb.Review, ids [][]int32, logits []float64) (*Calibration, error) {
	sents := MiddleSentences(validation)
	texts := make([]string, len(sents))
	for i, s := range sents {
		texts[i] = s.Text
	}
	if ids == nil {
		ids = p.feat.EncodeAll(imdb.Texts(validation))
		var err error
		if logits, err = p.Logits(ctx, ids); err != nil {
			return nil, err
		}
	}
	sentIDs := p.feat.EncodeAll(texts)
	sentLogits, err := p.Logits(ctx, sentIDs)
	if err != nil {
		return nil, err
	}
	ids = append(ids[:len(ids):len(ids)], sentIDs...)
	logits = append(logits[:len(logits):len(logits)], sentLogits...)
	labels := append(imdb.Labels(validation), labelsOf(sents)...)
	lengths := make([]int, len(ids))
	weights := make([]float64, len(ids))
	for i := range ids {
		lengths[i], weights[i] = len(ids[i]), 1
		if i >= len(validation) {
			weights[i] = float64(len(validation)) / float64(len(sents))
		}
	}
	reviewLengths := slices.Clone(lengths[:len(validation)])
	slices.Sort(reviewLengths)
	reference := float64(max(1, reviewLengths[len(reviewLengths)/2]))
	var lt stats.LengthTemperature
	if len(sents) == 0 { // nothing short to fit a power on: one temperature
		lt.Temperature, err = stats.FitTemperature(logits, labels)
	} else {
		lt, err = stats.FitLengthTemperature(logits, lengths, labels, weights, reference)
	}
	if err != nil {
		return nil, err
	}
	c := &Calibration{Temperature: lt.Temperature, FittedOn: "validation"}
	if lt.Power != 0 {
		c.LengthPower, c.ReferenceLength = lt.Power, lt.Reference
	}
	p.calibration = c.LengthTemperature()
	n := len(validation)
	raw := metrics.Sigmoids(logits, 1)
	after := p.calibrated(logits, ids)
	for _, x := range []struct {
		ps  []float64
		ls  []int
		dst *metrics.Metrics
	}{{raw[:n], labels[:n], &c.Before}, {after[:n], labels[:n], &c.After},
		{raw[n:], labels[n:], &c.SentencesBefore}, {after[n:], labels[n:], &c.SentencesAfter}} {
		if len(x.ps) == 0 {
			continue
		}
		if *x.dst, err = metrics.Compute(x.ps, x.ls); err != nil {
			return nil, err
		}
	}
	if err := rundir.WriteJSON(filepath.Join(dir, CalibrationFile), c); err != nil {
		return nil, err
	}
	return c, recordCalibration(dir)
}

// recordCalibration adds calibration.json, as written now, to the manifest of a run that has
// one, the other entries kept as they were (a run written before manifests stays without).
func recordCalibration(dir string) error { return rundir.RecordFile(dir, CalibrationFile) }
