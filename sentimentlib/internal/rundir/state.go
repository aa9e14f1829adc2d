package rundir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
)

// Files in a run directory.
const (
	ConfigFile     = "config.json"
	BestCheckpoint = "best.ckpt"     // weights of the best validation evaluation
	LastCheckpoint = "last.ckpt"     // weights, optimizer state and State of the last evaluation
	StateFile      = "state.json"    // State of last.ckpt in runs written before it was kept inside
	MetricsFile    = "metrics.jsonl" // one JSON line per logged step and evaluation
	ResultsFile    = "results.json"
)

// State is a run's position: a resumed run continues at the same step, with the same data
// order and early-stopping state. It is saved inside last.ckpt.
type State struct {
	Step, Epoch, BatchInEpoch int
	Seconds                   float64
	// LossEMA is the moving average of the training loss the progress line shows.
	LossEMA float64
	// The classifier's model selection: the best score so far, its step, and the evaluations
	// since it last improved.
	BestScore          float64
	BestStep, BadEvals int
}

// Start prepares dir for a run of cfg (C: the run's configuration type): it creates it,
// checks that it is writable, removes temporary files a killed run left, and reports whether
// it holds a resumable run of the same configuration (another configuration is an error; what
// names the command) and, when that run has finished, its results (R: its results type).
func Start[C, R any](cfg C, dir, what string, progress io.Writer) (resuming bool, done *R, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, nil, fmt.Errorf("%s: cannot create the output directory: %w", what, err)
	}
	if err := CheckWritable(dir); err != nil {
		return false, nil, fmt.Errorf("%s: %w", what, err)
	}
	if stale, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(stale) > 0 {
		for _, f := range stale {
			os.Remove(f)
		}
	}
	if !exists(filepath.Join(dir, LastCheckpoint)) && !exists(filepath.Join(dir, StateFile)) {
		return false, nil, nil
	}
	var saved C
	if err := ReadJSON(filepath.Join(dir, ConfigFile), &saved); err != nil {
		return false, nil, err
	}
	a, _ := json.Marshal(saved)
	b, _ := json.Marshal(cfg)
	if string(a) != string(b) {
		return false, nil, fmt.Errorf("%s: %s holds a run with another configuration; use a new --out directory (or delete it)", what, dir)
	}
	// A finished run of the same configuration: its results instead of a second run.
	var res R
	if ReadJSON(filepath.Join(dir, ResultsFile), &res) == nil {
		fmt.Fprintf(progress, "already %sed: %s (use another output directory, or delete it, to %s again)\n", what, filepath.Join(dir, ResultsFile), what)
		return true, &res, nil
	}
	return true, nil, nil
}

// Run is the lifecycle every run shares: it validates cfg, opens dir for the command what
// (Start: a finished run's results are returned without running it again) and runs body in it,
// resuming when the directory holds a resumable run of cfg. A new run that fails leaves no
// directory behind (Discard). One process at a time writes a directory: Run holds its lock.
func Run[C interface{ Validate() error }, R any](cfg C, dir, what string, progress io.Writer, body func(resuming bool) (*R, error)) (_ *R, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	_, lerr := os.Lstat(dir) // a symlink, even a dangling one, is not this run's to remove
	created := errors.Is(lerr, fs.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: cannot create the output directory: %w", what, err)
	}
	unlock, err := lock(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer unlock()
	defer func() {
		if err != nil {
			Discard(dir, created)
		}
	}()
	resuming, done, err := Start[C, R](cfg, dir, what, progress)
	if err != nil || done != nil {
		return done, err
	}
	return body(resuming)
}

// Discard removes dir when a run that created it failed before leaving anything to resume
// from (no checkpoint): a failed first try leaves no directory behind.
func Discard(dir string, created bool) {
	if created && !exists(filepath.Join(dir, LastCheckpoint)) && !exists(filepath.Join(dir, StateFile)) {
		os.RemoveAll(dir)
	}
}

// Exists reports whether path exists.
func Exists(path string) bool { return exists(path) }

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// LastState returns the State of dir's last checkpoint (from state.json for runs written
// before it was kept inside), and false when there is none.
func LastState(dir string) (State, bool) {
	if ck, err := readCheckpoint(filepath.Join(dir, LastCheckpoint)); err == nil && ck.State != nil {
		return *ck.State, true
	}
	var st State
	return st, ReadJSON(filepath.Join(dir, StateFile), &st) == nil
}

// LoadLast sets store's variables from dir's last checkpoint, read once, and returns the State
// saved with it (from state.json for runs written before it was kept inside); false when
// there is none. A last checkpoint that is there but cannot be read is an error, never a
// silent restart.
func LoadLast(store *model.Store, dir string) (State, bool, error) {
	path := filepath.Join(dir, LastCheckpoint)
	ck, err := readCheckpoint(path)
	switch {
	case err == nil && ck.State != nil:
		return *ck.State, true, load(store, ck, path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return State{}, false, fmt.Errorf("%w; the run in %s cannot resume from it: to start it again from scratch on purpose, delete %s (or write into another --out)", err, dir, dir)
	}
	var st State
	if serr := ReadJSON(filepath.Join(dir, StateFile), &st); serr != nil {
		if err == nil { // a last.ckpt without its position, and no state.json to give it
			return st, false, fmt.Errorf("%s holds no training position and %s cannot be read (%v): the run in %s cannot resume; to start it again from scratch on purpose, delete %s", path, StateFile, serr, dir, dir)
		}
		return st, false, nil
	}
	_, err = LoadCheckpoint(store, path)
	return st, true, err
}

// TrimLog cuts dir's metrics.jsonl back to the lines of steps up to step: what a run logged
// after its last checkpoint is logged again when it resumes from it.
func TrimLog(dir string, step int) error {
	path := filepath.Join(dir, MetricsFile)
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	var kept bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var line struct {
			Step *int `json:"step"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || strings.TrimSpace(sc.Text()) == "" {
			continue // a line cut short by a kill
		}
		if line.Step == nil || *line.Step <= step {
			kept.Write(sc.Bytes())
			kept.WriteByte('\n')
		}
	}
	if kept.Len() == len(b) {
		return nil
	}
	return WriteFileAtomic(path, kept.Bytes())
}
