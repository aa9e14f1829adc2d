package experiments

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

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
	// HeldOut are a pretraining's held-out losses and accuracies (a classifier's: none).
	HeldOut map[string]float64 `json:"held_out"`
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

// Lines is one line per evaluation of the run called name: its step and epoch, then the
// classifier's validation accuracy, F1, ROC-AUC and NLL (best marked), or a pretraining's
// non-zero held-out numbers.
func (h *History) Lines(name string) []string {
	var out []string
	for _, p := range h.Validation {
		line := fmt.Sprintf("%s  step %d", name, p.Step)
		if p.Epoch > 0 {
			line += fmt.Sprintf(" (epoch %d)", p.Epoch)
		}
		if p.HeldOut != nil {
			for _, k := range slices.Sorted(maps.Keys(p.HeldOut)) {
				if v := p.HeldOut[k]; v != 0 {
					line += fmt.Sprintf("  %s %.4f", k, v)
				}
			}
		} else {
			m := p.Validation
			line += fmt.Sprintf("  validation accuracy %.4f  f1 %.4f  auc %.4f  nll %.4f", m.Accuracy, m.F1, m.ROCAUC, m.NLL)
			if p.Best {
				line += "  (best)"
			}
		}
		out = append(out, fmt.Sprintf("%s  %.0f s", line, p.Seconds))
	}
	return out
}

// HistorySVG draws runs' histories side by side, one colour a run: the training loss (moving
// average) and, beside it, each classifier's validation accuracy or each pretraining's first
// held-out loss, against the step.
func HistorySVG(names []string, hs []*History) string {
	loss := &plots.Chart{Title: "Training loss (moving average)", XLabel: "step", YLabel: "loss"}
	val := &plots.Chart{Title: "Validation", XLabel: "step", YLabel: "accuracy, or held-out loss"}
	for i, h := range hs {
		color := plots.Palette[i%len(plots.Palette)]
		var xs, ys, vx, vy []float64
		for _, p := range h.Train {
			xs, ys = append(xs, float64(p.Step)), append(ys, p.LossEMA)
		}
		label := names[i] + ": accuracy"
		for _, p := range h.Validation {
			v := p.Validation.Accuracy
			if p.HeldOut != nil {
				for _, k := range slices.Sorted(maps.Keys(p.HeldOut)) {
					if strings.HasSuffix(k, "loss") && p.HeldOut[k] != 0 {
						v, label = p.HeldOut[k], names[i]+": held-out "+k
						break
					}
				}
			}
			vx, vy = append(vx, float64(p.Step)), append(vy, v)
		}
		loss.Add(plots.Series{Name: names[i], X: xs, Y: ys, Color: color})
		val.Add(plots.Series{Name: label, X: vx, Y: vy, Color: color}, plots.Series{X: vx, Y: vy, Kind: plots.Markers, Color: color})
	}
	return `<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="400" viewBox="0 0 1280 400">` +
		`<g>` + loss.SVG() + `</g><g transform="translate(640,0)">` + val.SVG() + `</g></svg>`
}
