package plots

import (
	"encoding/xml"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// wellFormed parses svg as XML and returns its element names.
func wellFormed(t *testing.T, svg string) []string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	var names []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			names = append(names, se.Name.Local)
		}
	}
	if len(names) == 0 || names[0] != "svg" {
		t.Fatalf("root element %v, want svg", names)
	}
	return names
}

func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0, 2103, 6, []float64{0, 500, 1000, 1500, 2000}},
		{0.5, 1, 5, []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1}},
		{-3, 3, 3, []float64{-2, 0, 2}},
	} {
		got := Ticks(tc.lo, tc.hi, tc.n)
		if len(got) != len(tc.want) {
			t.Errorf("Ticks(%v, %v, %d) = %v, want %v", tc.lo, tc.hi, tc.n, got, tc.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-9 {
				t.Errorf("Ticks(%v, %v, %d) = %v, want %v", tc.lo, tc.hi, tc.n, got, tc.want)
				break
			}
		}
	}
}

// TestLineMapsDataToPlotArea: with fixed ranges, the data corners land on the plot area corners.
func TestLineMapsDataToPlotArea(t *testing.T) {
	c := Chart{Title: "a <title> & more", XMin: 0, XMax: 10, YMin: 0, YMax: 1, Width: 640, Height: 400}
	c.Add(Series{Name: "s", X: []float64{0, 10}, Y: []float64{0, 1}})
	svg := c.SVG()
	wellFormed(t, svg)
	m := regexp.MustCompile(`<polyline points="([^"]+)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatal("no polyline")
	}
	var got []float64
	for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ' ' || r == ',' }) {
		v, _ := strconv.ParseFloat(p, 64)
		got = append(got, v)
	}
	want := []float64{marginLeft, 400 - marginBottom, 640 - marginRight, marginTop}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 0.05 {
			t.Fatalf("points %v, want %v", got, want)
		}
	}
	if !strings.Contains(svg, "a &lt;title&gt; &amp; more") {
		t.Error("title not escaped")
	}
}

// TestGapsAndDegenerateData: NaN splits a line; constant or empty data still gives a valid chart.
func TestGapsAndDegenerateData(t *testing.T) {
	c := Chart{}
	c.Add(Series{X: []float64{0, 1, 2, 3, 4}, Y: []float64{1, 2, math.NaN(), 3, 4}})
	svg := c.SVG()
	wellFormed(t, svg)
	if n := strings.Count(svg, "<polyline"); n != 2 {
		t.Errorf("%d polylines, want 2 (a NaN gap)", n)
	}
	for _, c := range []Chart{{}, {Series: []Series{{X: []float64{1, 1}, Y: []float64{2, 2}}}}} {
		svg := c.SVG()
		wellFormed(t, svg)
		if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
			t.Errorf("degenerate chart has NaN/Inf coordinates: %s", svg)
		}
	}
}

func TestHistogram(t *testing.T) {
	s := Histogram("h", []float64{-5, 0, 0.5, 1.5, 2.5, 2.99, 100, math.NaN()}, 3, 0, 3)
	want := []float64{3, 1, 3} // -5 and 100 go to the end bins; NaN is dropped
	for i := range want {
		if s.Y[i] != want[i] {
			t.Fatalf("counts %v, want %v", s.Y, want)
		}
	}
	if s.X[0] != 0.5 || s.X[2] != 2.5 {
		t.Errorf("centres %v", s.X)
	}
	c := Chart{}
	c.Add(s)
	if n := strings.Count(c.SVG(), `fill-opacity="0.75"`); n != 3 {
		t.Errorf("%d bars, want 3", n)
	}
}

func TestDomainCharts(t *testing.T) {
	probs := []float64{0.9, 0.8, 0.7, 0.3, 0.2, 0.6}
	labels := []int{1, 1, 0, 0, 0, 1}
	for _, svg := range []string{ROC("roc", probs, labels).SVG(), Reliability("rel", probs, labels, 15).SVG(),
		Confusion("confusion", [2][2]int{{40, 10}, {5, 45}})} {
		wellFormed(t, svg)
	}
	roc := ROC("roc", probs, labels).SVG()
	if !strings.Contains(roc, "AUC 0.8889") { // 8 of 9 positive-negative pairs ordered
		t.Errorf("ROC legend lacks the AUC: %s", roc)
	}
	conf := Confusion("c", [2][2]int{{40, 10}, {5, 45}})
	for _, s := range []string{">40<", ">45<", "80.0%", "10.0%"} {
		if !strings.Contains(conf, s) {
			t.Errorf("confusion SVG lacks %q", s)
		}
	}
}

// TestLegendPlacement: the legend box sits in the chosen corner of the plot area, and
// LegendNone draws none.
func TestLegendPlacement(t *testing.T) {
	box := regexp.MustCompile(`<rect x="([0-9.]+)" y="([0-9.]+)" width="([0-9.]+)" height="([0-9.]+)" fill="white" fill-opacity="0.85"`)
	for _, tc := range []struct {
		pos          LegendPos
		right, below bool
	}{{LegendTopRight, true, false}, {LegendTopLeft, false, false}, {LegendBottomRight, true, true}, {LegendBottomLeft, false, true}} {
		c := Chart{Width: 640, Height: 400, Legend: tc.pos}
		c.Add(Series{Name: "a series", X: []float64{0, 1}, Y: []float64{0, 1}})
		m := box.FindStringSubmatch(c.SVG())
		if m == nil {
			t.Fatalf("legend %d: no box", tc.pos)
		}
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		if (x > 320) != tc.right || (y > 200) != tc.below {
			t.Errorf("legend %d at (%v, %v)", tc.pos, x, y)
		}
	}
	c := Chart{Legend: LegendNone}
	c.Add(Series{Name: "s", X: []float64{0, 1}, Y: []float64{0, 1}})
	if box.MatchString(c.SVG()) {
		t.Error("LegendNone drew a legend")
	}
}
