package rundir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManifest: files recorded with their size and SHA-256 verify as they are; a changed byte
// (same size), a changed size, a removed file or a manifest of another format is an error
// naming the file; a directory without a manifest has none, without an error.
func TestManifest(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"a.json": `{"x": 1}`, "b.ckpt": "weights"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := ReadManifest(dir); ok || err != nil {
		t.Fatalf("no manifest yet: %v, %v", ok, err)
	}
	if err := WriteManifest(dir, "a.json", "b.ckpt"); err != nil {
		t.Fatal(err)
	}
	m, ok, err := ReadManifest(dir)
	// The SHA-256 of "weights", computed apart (echo -n weights | sha256sum).
	const want = "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c"
	if !ok || err != nil || len(m.Files) != 2 || m.Files[1].Name != "b.ckpt" || m.Files[1].Size != 7 || m.Files[1].SHA256 != want ||
		!m.Lists("a.json") || m.Lists("c") {
		t.Fatalf("manifest %+v, %v, %v", m, ok, err)
	}
	if err := m.Verify(dir); err != nil {
		t.Fatalf("unchanged files: %v", err)
	}
	for _, c := range []struct {
		name, file string
		change     func()
	}{
		{"a byte", "b.ckpt", func() { os.WriteFile(filepath.Join(dir, "b.ckpt"), []byte("weighTs"), 0o644) }},
		{"the size", "a.json", func() { os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"x": 10}`), 0o644) }},
		{"removed", "a.json", func() { os.Remove(filepath.Join(dir, "a.json")) }},
	} {
		c.change()
		if err := m.Verify(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, c.file)) {
			t.Errorf("%s: %v, want an error naming %s", c.name, err, c.file)
		}
		os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"x": 1}`), 0o644)
		os.WriteFile(filepath.Join(dir, "b.ckpt"), []byte("weights"), 0o644)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"format": "other", "files": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), "not written by this program") {
		t.Errorf("another format: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"format": "sentiment-manifest-v1", "files": [{"name": "../a.json", "size": 8, "sha256": ""}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), "not a file of the run directory") {
		t.Errorf("a name outside the directory: %v", err)
	}
}

// FuzzManifest: whatever manifest.json holds, reading and verifying it never panics, and a
// manifest that verifies names only files that are there as it says.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"format": "sentiment-manifest-v1", "files": [{"name": "a", "size": 1, "sha256": "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"}]}`))
	f.Add([]byte(`{"format": "sentiment-manifest-v1", "files": [{"name": "../../etc/passwd", "size": -1, "sha256": ""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "a"), []byte("a"), 0o644)
		os.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644)
		m, ok, err := ReadManifest(dir)
		if err != nil || !ok {
			return
		}
		if m.Verify(dir) == nil {
			for _, e := range m.Files {
				if e.Name != "a" && e.Name != ManifestFile {
					got, err := digest(filepath.Join(dir, e.Name))
					if err != nil || got.Size != e.Size {
						t.Errorf("verified a manifest naming %q, which is not there as recorded", e.Name)
					}
				}
			}
		}
	})
}
