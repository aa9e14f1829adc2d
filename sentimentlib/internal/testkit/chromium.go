package testkit

import (
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the browser the browser tests drive: $CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH; without one the test fails, saying how to install it.
func Chromium(t testing.TB) string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install it (Debian: apt-get install -y chromium) or set CHROMIUM to its path")
	return ""
}
