package main

import (
	"bytes"
	"testing"
	"time"
)

// TestLogLines: redrawn progress bars become one line per interval, other lines pass through
// whole, and the newline that would end a redrawn bar is not doubled.
func TestLogLines(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	l := &logLines{w: &out, every: 30 * time.Second, now: func() time.Time { return clock }}
	write := func(s string) {
		if n, err := l.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	write("training\n")
	for step := 1; step <= 100; step++ {
		write("\r[==  ] loss 0.5  step " + string(rune('0'+step%10)) + "   ")
		clock = clock.Add(time.Second)
	}
	write("\nstep 100: validation accuracy 0.9\n")
	want := "training\n[==  ] loss 0.5  step 1\n[==  ] loss 0.5  step 1\n[==  ] loss 0.5  step 1\n[==  ] loss 0.5  step 1\nstep 100: validation accuracy 0.9\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
}
