package experiments

import (
	"context"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

// TestReadHistory: the history reads back what a training run logged.
func TestReadHistory(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t)
	res, err := sentimentlib.Train(context.Background(), cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ReadHistory(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Validation) != 3 || len(h.Train) == 0 || h.Validation[2].Step != res.Steps || h.Validation[0].Epoch != 1 || h.Validation[2].Validation != res.Validation && res.BestStep == res.Steps {
		t.Errorf("history: %d validation points %+v, %d train points", len(h.Validation), h.Validation, len(h.Train))
	}
	if svg := h.LossChart().SVG(); !strings.Contains(svg, "validation NLL") {
		t.Error("loss chart lacks its validation series")
	}
}
