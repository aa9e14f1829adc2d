package experiments

import (
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
