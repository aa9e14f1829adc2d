package main

import (
	"bytes"
	"io"
	"os"
	"time"
)

// progressOut is where the commands write their progress: the terminal as it is, where a
// carriage return redraws the progress bar in place; a log file or pipe through a logLines,
// so that it does not fill with thousands of redrawn bars.
func progressOut(f *os.File) io.Writer {
	if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		return f
	}
	return &logLines{w: f, every: 30 * time.Second, now: time.Now}
}

// logLines turns progress-bar redraws (writes that start with a carriage return) into whole
// lines, at most one each interval (every); other writes pass through.
type logLines struct {
	w       io.Writer
	every   time.Duration
	now     func() time.Time
	last    time.Time
	pending bool // a redraw was written (as a line) or dropped since the last other write
}

func (l *logLines) Write(p []byte) (int, error) {
	if !bytes.HasPrefix(p, []byte("\r")) {
		q := p
		if l.pending { // the line a redraw would have ended is already ended
			q = bytes.TrimPrefix(q, []byte("\n"))
		}
		l.pending = false
		if _, err := l.w.Write(q); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	l.pending = true
	if t := l.now(); l.last.IsZero() || t.Sub(l.last) >= l.every {
		l.last = t
		line := append(bytes.TrimSpace(p), '\n')
		if _, err := l.w.Write(line); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
