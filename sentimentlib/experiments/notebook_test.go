package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotebookModel: $SENTIMENT_MODEL as README writes it (runs/NAME, from the repository
// root) is found from notebooks/; one that exists from the working directory, or absolute, is
// kept; unset gives the fallback. The hint names training only for a run that is missing.
func TestNotebookModel(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"notebooks", "runs/nbsvm-seed1", "notebooks/runs/local"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(filepath.Join(root, "notebooks"))
	for env, want := range map[string]string{"": "../runs/default", "runs/nbsvm-seed1": "../runs/nbsvm-seed1", "runs/local": "runs/local", "/abs/run": "/abs/run", "runs/missing": "runs/missing"} {
		t.Setenv("SENTIMENT_MODEL", env)
		if got := NotebookModel("../runs/default"); got != want {
			t.Errorf("SENTIMENT_MODEL=%q: %q, want %q", env, got, want)
		}
	}
	if h := NotebookHint("../runs/nbsvm-seed1"); h != "" {
		t.Errorf("an existing run: hint %q", h)
	}
	if h := NotebookHint("runs/missing"); !strings.Contains(h, "no run at runs/missing") {
		t.Errorf("a missing run: hint %q", h)
	}
}
