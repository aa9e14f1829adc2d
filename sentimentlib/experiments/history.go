package experiments

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sentiment-go/sentiment/sentimentlib"

	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
	"github.com/sentiment-go/sentiment/sentimentlib/plots"
)

// TrainPoint is one logged training step of metrics.jsonl.
type TrainPoint struct {
	Step    int     `json:"step"`
	Epoch   int     `json:"epoch"`
	Loss    float64 `json:"loss"`
	LossEMA float64 `json:"loss_ema"`
	Seconds float64 `json:"seconds"`
}

// ValidationPoint is one validation evaluation of metrics.jsonl.
type ValidationPoint struct {
	Step       int             `json:"step"`
	Epoch      int             `json:"epoch"`
	Seconds    float64         `json:"seconds"`
	Validation metrics.Metrics `json:"validation"`
	Best       bool            `json:"best"`
}

// History is a run's metrics.jsonl: the training loss and the validation evaluations.
type History struct {
	Train      []TrainPoint
	Validation []ValidationPoint
}

// ReadHistory reads DIR/metrics.jsonl of a training run.
func ReadHistory(dir string) (*History, error) {
	path := filepath.Join(dir, sentimentlib.MetricsFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w (is %s a model directory written by `sentiment train`?)", err, dir)
	}
	defer f.Close()
	h := &History{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	for line := 1; sc.Scan(); line++ {
		var kind struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &kind); err != nil {
			return nil, fmt.Errorf("history: %s line %d: %w", path, line, err)
		}
		switch kind.Type {
		case "train":
			var p TrainPoint
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				return nil, fmt.Errorf("history: %s line %d: %w", path, line, err)
			}
			h.Train = append(h.Train, p)
		case "validation":
			var p ValidationPoint
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				return nil, fmt.Errorf("history: %s line %d: %w", path, line, err)
			}
			h.Validation = append(h.Validation, p)
		}
	}
	return h, sc.Err()
}

// LossChart plots the training loss (smoothed) and the validation NLL against the step.
func (h *History) LossChart() *plots.Chart {
	c := &plots.Chart{Title: "Loss", XLabel: "step", YLabel: "loss"}
	var xs, ys, vx, vy []float64
	for _, p := range h.Train {
		xs, ys = append(xs, float64(p.Step)), append(ys, p.LossEMA)
	}
	for _, p := range h.Validation {
		vx, vy = append(vx, float64(p.Step)), append(vy, p.Validation.NLL)
	}
	return c.Add(plots.Series{Name: "training loss (moving average)", X: xs, Y: ys},
		plots.Series{Name: "validation NLL", X: vx, Y: vy},
		plots.Series{X: vx, Y: vy, Kind: plots.Markers, Color: plots.Palette[1]})
}

// AccuracyChart plots validation accuracy and ROC-AUC against the step.
func (h *History) AccuracyChart() *plots.Chart {
	c := &plots.Chart{Title: "Validation", XLabel: "step", YLabel: "score", Legend: plots.LegendCenterRight}
	var x, acc, auc []float64
	for _, p := range h.Validation {
		x = append(x, float64(p.Step))
		acc, auc = append(acc, p.Validation.Accuracy), append(auc, p.Validation.ROCAUC)
	}
	return c.Add(plots.Series{Name: "accuracy", X: x, Y: acc}, plots.Series{Name: "ROC-AUC", X: x, Y: auc},
		plots.Series{X: x, Y: acc, Kind: plots.Markers, Color: plots.Palette[0]},
		plots.Series{X: x, Y: auc, Kind: plots.Markers, Color: plots.Palette[1]})
}
