package sentimentlib

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// tinyConfig trains in seconds on the fixture.
func tinyConfig(t *testing.T) Config {
	cfg, err := Preset("default", true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data = DataConfig{CacheDir: fixture, VocabSize: 2000, Offline: true}
	cfg.Dim, cfg.FFNDim, cfg.Heads, cfg.MaxLen, cfg.HeadTokens = 16, 32, 2, 64, 16
	cfg.Epochs, cfg.WarmupSteps, cfg.Patience, cfg.BatchSize = 3, 2, 0, 16
	return cfg
}

func readValidation(t *testing.T, dir string) []map[string]any {
	f, err := os.Open(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == "validation" {
			out = append(out, m)
		}
	}
	return out
}

func TestTrainWritesResultsAndReloads(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t)
	res, err := Train(context.Background(), cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Test.N != 100 || res.Validation.N != 30 || math.IsNaN(res.Test.NLL) {
		t.Errorf("results %+v", res)
	}
	vals := readValidation(t, dir)
	if len(vals) != 3 {
		t.Fatalf("%d validation lines, want one per epoch (3)", len(vals))
	}
	n0 := vals[0]["validation"].(map[string]any)["nll"].(float64)
	n2 := vals[2]["validation"].(map[string]any)["nll"].(float64)
	if n0 == n2 {
		t.Errorf("validation NLL identical after epochs 1 and 3 (%v): evaluation does not see the training updates", n0)
	}
	for _, f := range []string{ConfigFile, TokenizerFile, BestCheckpoint, LastCheckpoint, ResultsFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	// Reload: the test metrics are reproduced exactly from the saved model.
	m, err := Evaluate(context.Background(), dir, "test", fixture)
	if err != nil {
		t.Fatal(err)
	}
	if m != res.Test {
		t.Errorf("metrics after reload %+v differ from training's %+v", m, res.Test)
	}
}
