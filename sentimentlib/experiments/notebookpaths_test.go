package experiments

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// machinePath is an absolute path under a directory that names a machine's layout (a home, a
// checkout, a temporary directory), as a notebook's output would print it.
var machinePath = regexp.MustCompile(`(^|[\s"'(=:])/(home|root|work|tmp|Users|builds|var|opt|mnt|srv)/`)

// machinePaths returns the outputs of the notebook at path that name a machine path.
func machinePaths(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			Outputs []json.RawMessage `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var found []string
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			var text string
			var walk func(v any)
			walk = func(v any) {
				switch v := v.(type) {
				case string:
					text += v
				case []any:
					for _, x := range v {
						walk(x)
					}
				case map[string]any:
					for _, x := range v {
						walk(x)
					}
				}
			}
			var v any
			if json.Unmarshal(o, &v) == nil {
				walk(v)
			}
			if m := machinePath.FindStringIndex(text); m != nil {
				found = append(found, text[m[0]:min(len(text), m[1]+40)])
			}
		}
	}
	return found
}

// TestCommittedNotebooksNameNoMachinePath: the committed notebooks' outputs name no path of the
// machine that executed them (make notebooks-real scrubs them with scripts/scrub-notebooks.py).
func TestCommittedNotebooksNameNoMachinePath(t *testing.T) {
	paths, err := filepath.Glob("../../notebooks/*.ipynb")
	if err != nil || len(paths) < 5 {
		t.Fatalf("notebooks: %v (%d found)", err, len(paths))
	}
	for _, p := range paths {
		if found := machinePaths(t, p); len(found) > 0 {
			t.Errorf("%s prints machine paths: %q (run scripts/scrub-notebooks.py on it)", p, found)
		}
	}
	// The check itself finds one.
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ipynb")
	os.WriteFile(bad, []byte(`{"cells": [{"outputs": [{"text": ["local directory \"/work/main\"\n"]}]}]}`), 0o644)
	if len(machinePaths(t, bad)) != 1 {
		t.Error("a notebook printing /work/main passed the check")
	}
}
