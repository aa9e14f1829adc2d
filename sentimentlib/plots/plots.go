// Package plots draws the project's charts as self-contained SVG: line charts (training curves,
// ROC), bar charts (histograms, reliability diagrams) and a confusion-matrix heatmap. SVG is text,
// so the charts render the same in Jupyter, in nbconvert HTML, on GitHub and in the web demo, and
// the package needs nothing beyond the standard library.
//
// A Chart is a plain value: fill it, then call SVG.
//
//	c := plots.Chart{Title: "Validation accuracy", XLabel: "step", YLabel: "accuracy"}
//	c.Add(plots.Series{Name: "seed 1", X: steps, Y: acc})
//	svg := c.SVG()
package plots

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Palette is the colour cycle of series without a colour (colour-blind safe, Okabe & Ito 2008).
var Palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

// Kind is how a series is drawn.
type Kind int

const (
	Line    Kind = iota // a polyline through the points
	Markers             // a dot at each point
	Bars                // a bar from 0 (or the axis minimum) to each Y, centred on X
)

// Series is one set of points.
type Series struct {
	Name   string
	X, Y   []float64
	Kind   Kind
	Color  string  // default: the palette colour of the series' index
	Dashed bool    // dashed line (reference lines such as the diagonal)
	Width  float64 // bar width in X units (Bars; default: the smallest gap between X values)
}

// LegendPos is where the legend of named series goes, inside the plot area.
type LegendPos int

const (
	LegendTopRight LegendPos = iota
	LegendTopLeft
	LegendBottomRight
	LegendBottomLeft
	LegendCenterRight
	LegendNone
)

// Chart is a 2-D chart with axes, ticks, title and legend.
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
	Legend                LegendPos
	// Fixed axis ranges; when Min == Max the range is computed from the data.
	XMin, XMax, YMin, YMax float64
	// Size in pixels (default 640 x 400).
	Width, Height int
}

// Add appends series to the chart and returns it.
func (c *Chart) Add(s ...Series) *Chart {
	c.Series = append(c.Series, s...)
	return c
}

const (
	marginLeft, marginRight, marginTop, marginBottom = 64.0, 16.0, 36.0, 48.0
)

// ranges returns the axis ranges: fixed ones, or the data's (finite values only) with 5% padding.
func (c *Chart) ranges() (x0, x1, y0, y1 float64) {
	x0, x1, y0, y1 = c.XMin, c.XMax, c.YMin, c.YMax
	autoX, autoY := x0 == x1, y0 == y1
	if autoX {
		x0, x1 = math.Inf(1), math.Inf(-1)
	}
	if autoY {
		y0, y1 = math.Inf(1), math.Inf(-1)
	}
	for _, s := range c.Series {
		for i := range min(len(s.X), len(s.Y)) {
			x, y := s.X[i], s.Y[i]
			if !finite(x) || !finite(y) {
				continue
			}
			if autoX {
				half := 0.0
				if s.Kind == Bars {
					half = barWidth(s) / 2
				}
				x0, x1 = math.Min(x0, x-half), math.Max(x1, x+half)
			}
			if autoY {
				y0, y1 = math.Min(y0, y), math.Max(y1, y)
				if s.Kind == Bars {
					y0 = math.Min(y0, 0)
				}
			}
		}
	}
	fix := func(lo, hi float64, auto bool) (float64, float64) {
		if math.IsInf(lo, 1) { // no finite data
			return 0, 1
		}
		if lo == hi {
			return lo - 0.5, hi + 0.5
		}
		if auto {
			pad := 0.05 * (hi - lo)
			return lo - pad, hi + pad
		}
		return lo, hi
	}
	x0, x1 = fix(x0, x1, autoX)
	y0, y1 = fix(y0, y1, autoY)
	return
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func barWidth(s Series) float64 {
	if s.Width > 0 {
		return s.Width
	}
	w := math.Inf(1)
	for i := 1; i < len(s.X); i++ {
		if d := math.Abs(s.X[i] - s.X[i-1]); d > 0 {
			w = math.Min(w, d)
		}
	}
	if math.IsInf(w, 1) {
		return 1
	}
	return 0.9 * w
}

// Ticks returns about n "nice" tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of 10).
func Ticks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || n < 1 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

func formatTick(v float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	switch {
	case a >= 1e5 || a < 1e-3:
		return fmt.Sprintf("%.0e", v)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

// SVG renders the chart.
func (c *Chart) SVG() string {
	w, h := float64(c.Width), float64(c.Height)
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 400
	}
	x0, x1, y0, y1 := c.ranges()
	pw, ph := w-marginLeft-marginRight, h-marginTop-marginBottom
	px := func(x float64) float64 { return marginLeft + (x-x0)/(x1-x0)*pw }
	py := func(y float64) float64 { return marginTop + (1-(y-y0)/(y1-y0))*ph }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`, w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="white"/>`, w, h)
	if c.Title != "" {
		fmt.Fprintf(&b, `<text x="%.1f" y="22" text-anchor="middle" font-size="15" font-weight="bold">%s</text>`, w/2, esc(c.Title))
	}
	// Grid and ticks.
	for _, t := range Ticks(x0, x1, 6) {
		X := px(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`, X, marginTop, X, marginTop+ph)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, X, marginTop+ph+16, formatTick(t))
	}
	for _, t := range Ticks(y0, y1, 5) {
		Y := py(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`, marginLeft, Y, marginLeft+pw, Y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, marginLeft-6, Y, formatTick(t))
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`, marginLeft, marginTop, pw, ph)
	if c.XLabel != "" {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, marginLeft+pw/2, h-10, esc(c.XLabel))
	}
	if c.YLabel != "" {
		fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">%s</text>`, marginTop+ph/2, esc(c.YLabel))
	}
	// Series, clipped to the plot area.
	b.WriteString(fmt.Sprintf(`<clipPath id="plotarea"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"/></clipPath><g clip-path="url(#plotarea)">`, marginLeft, marginTop, pw, ph))
	for i, s := range c.Series {
		color := s.Color
		if color == "" {
			color = Palette[i%len(Palette)]
		}
		n := min(len(s.X), len(s.Y))
		switch s.Kind {
		case Bars:
			bw := barWidth(s)
			base := math.Max(y0, math.Min(0, y1))
			for j := range n {
				if !finite(s.X[j]) || !finite(s.Y[j]) {
					continue
				}
				xa, xb := px(s.X[j]-bw/2), px(s.X[j]+bw/2)
				ya, yb := py(math.Max(s.Y[j], base)), py(math.Min(s.Y[j], base))
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.75"/>`, xa, ya, xb-xa, yb-ya, color)
			}
		case Markers:
			for j := range n {
				if finite(s.X[j]) && finite(s.Y[j]) {
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, px(s.X[j]), py(s.Y[j]), color)
				}
			}
		default:
			var pts []string
			flush := func() {
				if len(pts) > 0 {
					dash := ""
					if s.Dashed {
						dash = ` stroke-dasharray="6 4"`
					}
					fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, strings.Join(pts, " "), color, dash)
				}
				pts = pts[:0]
			}
			for j := range n {
				if !finite(s.X[j]) || !finite(s.Y[j]) { // a gap in the line
					flush()
					continue
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[j]), py(s.Y[j])))
			}
			flush()
		}
	}
	b.WriteString(`</g>`)
	// Legend of the named series, on a white box in the chosen corner of the plot area.
	type entry struct{ name, color string }
	var entries []entry
	longest := 0
	for i, s := range c.Series {
		if s.Name == "" {
			continue
		}
		color := s.Color
		if color == "" {
			color = Palette[i%len(Palette)]
		}
		entries = append(entries, entry{s.Name, color})
		longest = max(longest, len([]rune(s.Name)))
	}
	if len(entries) > 0 && c.Legend != LegendNone {
		bw, bh := 34+6.8*float64(longest), 8+16*float64(len(entries)) // 6.8 px: a 12 px sans-serif character, roughly
		bx, by := marginLeft+pw-bw-8, marginTop+8
		if c.Legend == LegendTopLeft || c.Legend == LegendBottomLeft {
			bx = marginLeft + 8
		}
		switch c.Legend {
		case LegendBottomRight, LegendBottomLeft:
			by = marginTop + ph - bh - 8
		case LegendCenterRight:
			by = marginTop + (ph-bh)/2
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="white" fill-opacity="0.85" stroke="#ccc"/>`, bx, by, bw, bh)
		for i, e := range entries {
			y := by + 16*float64(i+1)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/><text x="%.1f" y="%.1f">%s</text>`,
				bx+8, y-10, e.color, bx+26, y, esc(e.name))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func esc(s string) string { return html.EscapeString(s) }

// Histogram counts values into bins equal-width bins over [lo, hi] (values outside go to the
// end bins) and returns the bar series: X the bin centres, Y the counts.
func Histogram(name string, values []float64, bins int, lo, hi float64) Series {
	if bins < 1 {
		bins = 1
	}
	counts := make([]float64, bins)
	width := (hi - lo) / float64(bins)
	for _, v := range values {
		if !finite(v) {
			continue
		}
		i := int(math.Floor((v - lo) / width))
		counts[max(0, min(bins-1, i))]++
	}
	x := make([]float64, bins)
	for i := range x {
		x[i] = lo + (float64(i)+0.5)*width
	}
	return Series{Name: name, X: x, Y: counts, Kind: Bars, Width: width * 0.95}
}
