package rundir

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// LockFile is held (flock) by the process writing a run directory, with its pid inside.
const LockFile = ".lock"

// lock takes the run directory's advisory lock, so that one process at a time writes it: a
// second train or pretrain into the same --out would reload the first's checkpoints and delete
// its temporary files. The lock goes with the process (a killed run leaves no stale lock). It
// returns the function that releases it.
func lock(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, LockFile)
	// Never through a symlink: a run directory from elsewhere could point .lock at any file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s (%s must be a plain file): %w", dir, path, err)
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("cannot lock %s: %s is not a regular file", dir, path)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is being written by another process (pid %s): wait for it to finish, or use another --out", dir, bytes.TrimSpace(holder))
		}
		return nil, fmt.Errorf("cannot lock %s: %w", dir, err)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
