// Package rundir holds the files of a run directory: atomic writes, JSON files, checkpoints
// (the variables of a model.Store, with the run's position inside the same file) and the
// metrics.jsonl log. Training, pretraining, the features' Save and the experiments all write
// through it.
package rundir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to a temporary file in the same directory, syncs it and renames it
// over path: readers see the old file or the new one, never a partial one.
func WriteFileAtomic(path string, data []byte) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic is WriteFileAtomic for content that write streams into the temporary file (a
// checkpoint larger than should be held twice in memory).
func writeAtomic(path string, write func(w io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	bw := bufio.NewWriterSize(f, 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		writePoint()
		err = os.Rename(tmp, path)
		writePoint()
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// WriteJSON writes v as indented JSON to path, atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// openRegular opens the file at path for reading, refusing anything but a regular file before
// opening it (a FIFO would block the reader forever, a device never end); reads of it are
// bounded by its size.
func openRegular(path string) (io.Reader, io.Closer, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a regular file (%s)", path, info.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return io.LimitReader(f, info.Size()), f, nil
}

// readRegular reads the regular file at path (openRegular).
func readRegular(path string) ([]byte, error) {
	r, c, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return io.ReadAll(r)
}

// ReadJSON reads the JSON file at path into v; a decoding error names the file.
func ReadJSON(path string, v any) error {
	b, err := readRegular(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadJSONStrict is ReadJSON refusing a field v does not have, and anything after the JSON
// value: for the files whose every field matters (config.json, manifest.json).
func ReadJSONStrict(path string, v any) error {
	b, err := readRegular(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%s: something after the JSON value", path)
	}
	return nil
}

// Log appends JSON lines to a run's metrics.jsonl.
type Log struct{ f *os.File }

// OpenLog opens path for appending JSON lines.
func OpenLog(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics log: %w", err)
	}
	return &Log{f}, nil
}

// Line writes v as one JSON line.
func (l *Log) Line(v any) {
	b, _ := json.Marshal(v)
	writePoint()
	l.f.Write(append(b, '\n'))
	writePoint()
}

// Close closes the log.
func (l *Log) Close() error { return l.f.Close() }

// CheckWritable reports a directory the run cannot write into.
func CheckWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("the output directory %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
