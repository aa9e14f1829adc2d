package sentimentlib

import (
	"context"
	"fmt"
	"io"

	"github.com/gomlx/compute"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/trainloop"
)

// The lifecycle every run shares, classifier training and each kind of pretraining: openRun
// validates the configuration and claims the run directory (a finished run returns its results,
// a resumable one resumes, a failed new one leaves nothing behind); loop trains from the start
// or from the last checkpoint to the last step, evaluating as the trainloop.Run says.

// openRun validates cfg, opens the run directory outDir for the command what ("train",
// "pretrain") and runs body in it; a finished run's results are returned without running it.
func openRun[C interface{ Validate() error }, R any](cfg C, outDir, what string, progress io.Writer, body func(resuming bool) (*R, error)) (_ *R, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	created := !rundir.Exists(outDir)
	defer func() {
		if err != nil {
			rundir.Discard(outDir, created)
		}
	}()
	resuming, done, err := rundir.Start[C, R](cfg, outDir, what, progress)
	if err != nil || done != nil {
		return done, err
	}
	return body(resuming)
}

// loop runs run from st to its last step: a new run calls start first (nil: nothing to do),
// a resumed one restores st and the weights from the last checkpoint.
func loop(ctx context.Context, run *trainloop.Run, resuming bool, st *rundir.State, start func() error) error {
	var err error
	if resuming {
		err = run.Resume(st)
	} else if start != nil {
		err = start()
	}
	if err != nil {
		return err
	}
	return run.Loop(ctx, st)
}

// newBackend is GoMLX's backend (GOMLX_BACKEND, else the default) for the command what.
func newBackend(what string) (compute.Backend, error) {
	backend, err := compute.New()
	if err != nil {
		return nil, fmt.Errorf("%s: no GoMLX backend: %w", what, err)
	}
	return backend, nil
}
