package rundir

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
)

// ManifestFile records the files a finished model is made of (configuration, features,
// weights, calibration), each with its size and SHA-256. It is written last, atomically, by
// the code that wrote those files; a model is loaded only when every file still matches it, so
// a file edited, damaged or copied in from another run is refused instead of served.
const ManifestFile = "manifest.json"

const manifestFormat = "sentiment-manifest-v1"

// Manifest is what manifest.json holds.
type Manifest struct {
	Format string          `json:"format"`
	Files  []ManifestEntry `json:"files"`
}

// ManifestEntry is one file of a run directory: its name there, size and SHA-256 (hex).
type ManifestEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// digest is the size and SHA-256 of the regular file at path.
func digest(path string) (ManifestEntry, error) {
	r, c, err := openRegular(path)
	if err != nil {
		return ManifestEntry{}, err
	}
	defer c.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return ManifestEntry{}, fmt.Errorf("%s: %w", path, err)
	}
	return ManifestEntry{Name: filepath.Base(path), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// WriteManifest records the named files of dir, as they are now, in dir/manifest.json.
func WriteManifest(dir string, names ...string) error {
	m := Manifest{Format: manifestFormat}
	for _, name := range names {
		e, err := digest(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		m.Files = append(m.Files, e)
	}
	return WriteJSON(filepath.Join(dir, ManifestFile), m)
}

// ReadManifest reads dir's manifest; ok is false, with no error, when it has none.
func ReadManifest(dir string) (m Manifest, ok bool, err error) {
	path := filepath.Join(dir, ManifestFile)
	if err := ReadJSONStrict(path, &m); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return m, false, nil
		}
		return m, false, fmt.Errorf("%w: restore the run directory, or retrain", err)
	}
	if m.Format != manifestFormat {
		return m, false, fmt.Errorf("%s: format %q, want %q: it was not written by this program", path, m.Format, manifestFormat)
	}
	for _, e := range m.Files {
		if e.Name != filepath.Base(e.Name) || e.Name == "." || e.Name == ".." || e.Name == "" {
			return m, false, fmt.Errorf("%s names %q, which is not a file of the run directory: it was not written by this program", path, e.Name)
		}
	}
	return m, true, nil
}

// Lists reports whether the manifest records the file name.
func (m Manifest) Lists(name string) bool {
	return slices.ContainsFunc(m.Files, func(e ManifestEntry) bool { return e.Name == name })
}

// Verify checks every file the manifest records, but those named in except, against dir: it
// must be there, a regular file, of the recorded size and SHA-256. The error names the first
// file that is not, and what to do.
func (m Manifest) Verify(dir string, except ...string) error {
	for _, want := range m.Files {
		if slices.Contains(except, want.Name) {
			continue
		}
		if err := want.verify(dir); err != nil {
			return err
		}
	}
	return nil
}

// VerifyFile checks the one recorded file name as Verify does.
func (m Manifest) VerifyFile(dir, name string) error {
	for _, want := range m.Files {
		if want.Name == name {
			return want.verify(dir)
		}
	}
	return fmt.Errorf("%s does not record %s", filepath.Join(dir, ManifestFile), name)
}

// verify checks the file of dir the entry records.
func (want ManifestEntry) verify(dir string) error {
	path := filepath.Join(dir, want.Name)
	got, err := digest(path)
	switch {
	case err != nil:
		return fmt.Errorf("%s is recorded in %s but cannot be read (%v): restore the run directory, or retrain", path, ManifestFile, err)
	case got.Size != want.Size || got.SHA256 != want.SHA256:
		return fmt.Errorf("%s changed since the run wrote it (%d bytes, SHA-256 %.12s…; %s records %d bytes, %.12s…): it was edited, damaged or copied from another run; restore the run directory, or retrain", path, got.Size, got.SHA256, ManifestFile, want.Size, want.SHA256)
	}
	return nil
}

// RecordFile records dir's file name, as it is now, in the run's manifest, keeping every
// other entry as it was (the others are not read again, so a file changed since is not
// blessed); a run without a manifest stays without.
func RecordFile(dir, name string) error {
	m, ok, err := ReadManifest(dir)
	if err != nil || !ok {
		return err
	}
	e, err := digest(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	m.Files = slices.DeleteFunc(m.Files, func(x ManifestEntry) bool { return x.Name == name })
	m.Files = append(m.Files, e)
	return WriteJSON(filepath.Join(dir, ManifestFile), m)
}
