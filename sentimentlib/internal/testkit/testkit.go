// Package testkit holds what the project's tests share across packages.
package testkit

import (
	"context"
	"strings"
	"sync"
)

// CancelAfter is a progress writer that cancels a context once the output has shown Marker
// (after the first After, when set): a test's way to interrupt a run at a chosen point.
type CancelAfter struct {
	Marker, After string
	Cancel        context.CancelFunc
	mu            sync.Mutex
	seen          []byte
}

func (c *CancelAfter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, p...)
	s := string(c.seen)
	if i := strings.Index(s, c.After); c.Cancel != nil && i >= 0 && strings.Contains(s[i:], c.Marker) {
		c.Cancel()
	}
	return len(p), nil
}
