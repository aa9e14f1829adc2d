package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSummaryCommand prints a table of seeds from results.json files and refuses no arguments.
func TestSummaryCommand(t *testing.T) {
	root := t.TempDir()
	var dirs []string
	for i, acc := range []float64{0.8, 0.9} {
		dir := filepath.Join(root, fmt.Sprintf("x-seed%d", i+1))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b := fmt.Sprintf(`{"seed": %d, "validation": {"accuracy": %g}, "test": {"accuracy": %g, "nll": 0.5}}`, i+1, acc, acc-0.1)
		if err := os.WriteFile(filepath.Join(dir, "results.json"), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"summary"}, dirs...), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| x | 1,2 | 0.8500 ± 0.0707 | 0.7500 ± 0.0707 | 0.500 ± 0.000 |") {
		t.Errorf("summary output:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"summary"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "name the run directories") {
		t.Errorf("summary without directories: %v", err)
	}
}
