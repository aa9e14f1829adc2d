package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResultsIndex(t *testing.T) {
	dir := t.TempDir()
	write := func(path, body string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, path), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b/README.md", "# Study B\n\nThe second study ([page](../../docs/b.md), [run](run1)). It has more.\n\n| run |\n")
	write("b/run1/results.json", "{}")
	write("b/run2/results.json", "{}")
	write("a/README.md", "# Study A\nFirst line\nsecond line of the same paragraph.\n")
	index, err := ResultsIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := strings.Index(index, "| [a](a/README.md) | 0 | Study A: First line second line of the same paragraph. |")
	b := strings.Index(index, "| [b](b/README.md) | 2 | Study B: The second study ([page](../docs/b.md), [run](b/run1)). |")
	if a < 0 || b < a {
		t.Errorf("index:\n%s", index)
	}
	write("c/notes.txt", "")
	if _, err := ResultsIndex(dir); err == nil || !strings.Contains(err.Error(), "study c") {
		t.Errorf("a study without README: %v", err)
	}
}
