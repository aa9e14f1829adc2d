package experiments

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

// fixture is the small cache of real reviews that tests read.
const fixture = "../../data/hf-cache"

// tinyConfig trains in seconds on the fixture.
func tinyConfig(t testing.TB) sentimentlib.Config {
	cfg, err := sentimentlib.Preset("default", true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data = sentimentlib.DataConfig{CacheDir: fixture, VocabSize: 2000, Offline: true}
	cfg.Dim, cfg.FFNDim, cfg.Heads, cfg.MaxLen, cfg.HeadTokens = 16, 32, 2, 64, 16
	cfg.Epochs, cfg.WarmupSteps, cfg.Patience, cfg.BatchSize = 3, 2, 0, 16
	return cfg
}

// tinyNBSVM trains the nbsvm preset in about a second on the fixture.
func tinyNBSVM(t testing.TB) sentimentlib.Config {
	cfg, err := sentimentlib.Preset("nbsvm", true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data = sentimentlib.DataConfig{CacheDir: fixture, Offline: true}
	cfg.Epochs, cfg.BatchSize, cfg.MaxLen, cfg.HeadTokens = 3, 16, 512, 512
	cfg.NBSVM.MaxFeatures = 20_000
	return cfg
}

// cancelAfter cancels a context once the progress output has shown `marker` (after the first
// `after`, when set).
type cancelAfter struct {
	marker, after string
	cancel        context.CancelFunc
	mu            sync.Mutex
	seen          []byte
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, p...)
	s := string(c.seen)
	if i := strings.Index(s, c.after); c.cancel != nil && i >= 0 && strings.Contains(s[i:], c.marker) {
		c.cancel()
	}
	return len(p), nil
}
