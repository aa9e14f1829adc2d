package plots

import (
	"fmt"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

// ROC is the ROC curve of predicted probabilities against labels, with the chance diagonal.
func ROC(title string, probs []float64, labels []int) *Chart {
	fpr, tpr := metrics.ROCCurve(probs, labels)
	c := &Chart{Title: title, XLabel: "false positive rate", YLabel: "true positive rate", XMin: 0, XMax: 1, YMin: 0, YMax: 1, Width: 440, Height: 420, Legend: LegendBottomRight}
	c.Add(Series{Name: fmt.Sprintf("model (AUC %.4f)", metrics.ROCAUC(probs, labels)), X: fpr, Y: tpr},
		Series{Name: "chance", X: []float64{0, 1}, Y: []float64{0, 1}, Dashed: true, Color: "#999999"})
	return c
}

// Reliability is a reliability diagram: accuracy per confidence bin (bars) against the diagonal
// of perfect calibration; the gap between them is what the ECE averages.
func Reliability(title string, probs []float64, labels []int, bins int) *Chart {
	rel := metrics.Reliability(probs, labels, bins)
	var x, acc, conf []float64
	for _, b := range rel {
		if b.Count == 0 {
			continue
		}
		x = append(x, (b.Lo+b.Hi)/2)
		acc = append(acc, b.Accuracy)
		conf = append(conf, b.MeanConfidence)
	}
	c := &Chart{Title: title, XLabel: "confidence of the predicted class", YLabel: "accuracy", XMin: 0.5, XMax: 1, YMin: 0, YMax: 1, Width: 440, Height: 420, Legend: LegendTopLeft}
	c.Add(Series{Name: fmt.Sprintf("accuracy (ECE %.4f)", metrics.ECE(probs, labels, bins)), X: x, Y: acc, Kind: Bars, Width: 0.5 / float64(bins) * 0.9},
		Series{Name: "mean confidence", X: x, Y: conf, Kind: Markers, Color: "#D55E00"},
		Series{Name: "perfect calibration", X: []float64{0.5, 1}, Y: []float64{0.5, 1}, Dashed: true, Color: "#999999"})
	return c
}

// Confusion draws the confusion matrix [[tn, fp], [fn, tp]] as a 2x2 heatmap with counts and
// row percentages (rows: true label, columns: predicted label).
func Confusion(title string, conf [2][2]int) string {
	names := []string{"negative", "positive"}
	const cell, left, top = 120.0, 110.0, 60.0
	var b strings.Builder
	w, h := left+2*cell+20, top+2*cell+50
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="13">`, w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="white"/>`, w, h)
	fmt.Fprintf(&b, `<text x="%.1f" y="20" text-anchor="middle" font-size="15" font-weight="bold">%s</text>`, w/2, esc(title))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">predicted</text>`, left+cell, top-24)
	fmt.Fprintf(&b, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle">true</text>`, top+cell)
	for i := range 2 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, left+cell*(float64(i)+0.5), top-6, names[i])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, left-8, top+cell*(float64(i)+0.5), names[i])
		row := conf[i][0] + conf[i][1]
		for j := range 2 {
			frac := 0.0
			if row > 0 {
				frac = float64(conf[i][j]) / float64(row)
			}
			color := "#0072B2"
			if i != j {
				color = "#D55E00"
			}
			x, y := left+cell*float64(j), top+cell*float64(i)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.0f" height="%.0f" fill="%s" fill-opacity="%.3f" stroke="#333"/>`, x, y, cell, cell, color, 0.1+0.8*frac)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="18" font-weight="bold">%d</text>`, x+cell/2, y+cell/2, conf[i][j])
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.1f%%</text>`, x+cell/2, y+cell/2+20, 100*frac)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}
