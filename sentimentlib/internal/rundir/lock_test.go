package rundir

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type okConfig struct{ N int }

func (okConfig) Validate() error { return nil }

// TestOneWriterPerRunDirectory: while a process holds a run directory (here a child holding
// its lock), a second run into it is refused with an error naming the directory and the
// holder's pid, and leaves the directory as it was; once the holder is gone the run proceeds.
func TestOneWriterPerRunDirectory(t *testing.T) {
	if os.Getenv("RUNDIR_HOLD") != "" {
		unlock, err := lock(os.Getenv("RUNDIR_HOLD"))
		if err != nil {
			os.Exit(3)
		}
		defer unlock()
		os.Stdout.WriteString("locked\n")
		buf := make([]byte, 1)
		os.Stdin.Read(buf) // hold until the parent closes stdin
		return
	}
	dir := filepath.Join(t.TempDir(), "run")
	os.MkdirAll(dir, 0o755)
	child := exec.Command(os.Args[0], "-test.run", "^TestOneWriterPerRunDirectory$")
	child.Env = append(os.Environ(), "RUNDIR_HOLD="+dir)
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("the child did not take the lock: %q %v", buf, err)
	}
	ran := false
	_, err := Run(okConfig{}, dir, "train", nil, func(bool) (*struct{}, error) { ran = true; return &struct{}{}, nil })
	if err == nil || ran || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(child.Process.Pid)) {
		t.Errorf("second writer: ran %v, %v; want an error naming %s and pid %d", ran, err, dir, child.Process.Pid)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the refused run removed the directory: %v", err)
	}
	stdin.Close()
	child.Wait()
	if _, err := Run(okConfig{}, dir, "train", nil, func(bool) (*struct{}, error) { ran = true; return &struct{}{}, nil }); err != nil || !ran {
		t.Errorf("after the holder is gone: ran %v, %v", ran, err)
	}
}

// TestRunLeavesADanglingSymlink: --out naming a dangling symlink fails, and the symlink stays
// (it used to be removed as if the run had created it).
func TestRunLeavesADanglingSymlink(t *testing.T) {
	link := filepath.Join(t.TempDir(), "out")
	if err := os.Symlink(filepath.Join(t.TempDir(), "gone", "deeper"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(okConfig{}, link, "train", nil, func(bool) (*struct{}, error) { return &struct{}{}, nil }); err == nil {
		t.Error("a dangling symlink as the run directory: no error")
	}
	if _, err := os.Lstat(link); err != nil {
		t.Errorf("the symlink is gone: %v", err)
	}
}

// TestLockNeverFollowsASymlink: a .lock that is a symlink (a run directory from elsewhere) is
// refused, and the file it points at is left as it was (it used to be truncated).
func TestLockNeverFollowsASymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "bashrc")
	if err := os.WriteFile(victim, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, LockFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(okConfig{}, dir, "train", nil, func(bool) (*struct{}, error) { return &struct{}{}, nil }); err == nil {
		t.Error("a .lock symlink: no error")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me\n" {
		t.Errorf("the symlink's target now holds %q", b)
	}
}
