package experiments

import (
	"fmt"
	"os"
	"path/filepath"
)

// NotebookModel is the run directory a notebook reads: $SENTIMENT_MODEL when it is set, else
// fallback (the run its earlier notebook trains). The notebooks run in notebooks/, while
// README's commands write runs/NAME at the repository root, so a relative $SENTIMENT_MODEL
// that is not found from the working directory is read from its parent, where it is.
func NotebookModel(fallback string) string {
	dir := os.Getenv("SENTIMENT_MODEL")
	if dir == "" {
		return fallback
	}
	if filepath.IsAbs(dir) {
		return dir
	}
	if _, err := os.Stat(dir); err != nil {
		if _, err := os.Stat(filepath.Join("..", dir)); err == nil {
			return filepath.Join("..", dir)
		}
	}
	return dir
}

// NotebookHint is what a notebook prints under an error loading the run in dir: how to train
// it when it does not exist, nothing more when it does (the error says what is wrong with it).
func NotebookHint(dir string) string {
	if _, err := os.Stat(dir); err == nil {
		return ""
	}
	return fmt.Sprintf("(no run at %s: train it first with notebook 2 or `sentiment train`, or set SENTIMENT_MODEL to a run directory; a relative one is read from the repository root)", dir)
}
