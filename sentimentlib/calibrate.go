package sentimentlib

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
	"github.com/sentiment-go/sentiment/sentimentlib/stats"
)

// Calibration is temperature scaling fitted on the validation split (Guo et al. 2017): the
// predictor divides logits by Temperature before the sigmoid. Accuracy does not change;
// overconfident probabilities (Temperature > 1) are softened.
type Calibration struct {
	Temperature float64         `json:"temperature"`
	FittedOn    string          `json:"fitted_on"` // always "validation": the test split is never used to fit
	Before      metrics.Metrics `json:"validation_before"`
	After       metrics.Metrics `json:"validation_after"`
}

// ReadCalibration reads DIR/calibration.json.
func ReadCalibration(dir string) (*Calibration, error) {
	var c Calibration
	if err := rundir.ReadJSON(filepath.Join(dir, CalibrationFile), &c); err != nil {
		return nil, fmt.Errorf("calibration: %w", err)
	}
	if !(c.Temperature > 0) {
		return nil, fmt.Errorf("calibration: %s: temperature %v must be positive", filepath.Join(dir, CalibrationFile), c.Temperature)
	}
	return &c, nil
}

// Calibrate fits the temperature of the model in dir on its validation split and writes
// calibration.json (atomically), which Load then applies. cacheDir overrides the data cache.
func Calibrate(ctx context.Context, dir, cacheDir string) (*Calibration, error) {
	p, err := load(dir, false) // the calibration it replaces may be damaged or half-written
	if err != nil {
		return nil, err
	}
	validation, err := p.splitReviews(ctx, "validation", cacheDir)
	if err != nil {
		return nil, err
	}
	logits, err := p.Logits(ctx, p.feat.EncodeAll(imdb.Texts(validation)))
	if err != nil {
		return nil, err
	}
	labels := imdb.Labels(validation)
	t, err := stats.FitTemperature(logits, labels)
	if err != nil {
		return nil, err
	}
	c := &Calibration{Temperature: t, FittedOn: "validation"}
	for _, x := range []struct {
		t   float64
		dst *metrics.Metrics
	}{{1, &c.Before}, {t, &c.After}} {
		if *x.dst, err = metrics.Compute(metrics.Sigmoids(logits, x.t), labels); err != nil {
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
