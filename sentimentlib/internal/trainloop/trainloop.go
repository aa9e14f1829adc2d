// Package trainloop is the one training loop of the project: classifier training and every
// pretraining run on it. It drives GoMLX's train.Loop over the run's batches and adds what a
// run directory needs: resuming at the saved step and data position, a NaN guard, the progress
// line, the metrics.jsonl log, evaluations (every N steps, at each epoch's end, at the last
// step) followed by the last checkpoint with the run's state inside it, early stopping, and
// interrupts that leave the last checkpoint to resume from.
package trainloop

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
)

// Run describes one run's loop. Name, Dir, Store, Trainer, Batches and Steps are required.
type Run struct {
	Name  string // "train" or "pretrain": the command, in messages
	Dir   string // the run directory
	Store *model.Store
	// Trainer takes the steps through GoMLX's train.Loop; or, when Trainer is nil, Step takes
	// each one itself (a trainer outside GoMLX's graphs, such as package sparse) and returns
	// its loss. Step's weights must be in Store whenever Evaluate runs (it runs before every
	// checkpoint).
	Trainer *train.Trainer
	Step    func(p batch.Planned, step int) (loss float64, err error)
	// Batches are the training batches; Make builds the batch of a planned one at a step (the
	// number of steps already taken), Batches.Make when nil.
	Batches *batch.Dataset
	Make    func(p batch.Planned, step int) train.Batch
	Steps   int // steps in all
	Epochs  int // shown in the progress line when > 0
	// Evaluations: every EvalEvery steps (0: never mid-epoch), at each epoch's end when
	// EvalEachEpoch, and at the last step. Evaluate may update st (the best score) and ends
	// training early by returning stop; last.ckpt is written after it, with st inside.
	EvalEvery     int
	EvalEachEpoch bool
	Evaluate      func(st *rundir.State, epochDone bool) (stop bool, err error)
	LossName      string // the progress line's name of the loss ("loss" when empty)
	Progress      io.Writer

	log *rundir.Log
	// warnedHeap: the heap's warning (heapWarning) was printed; once a run is enough.
	warnedHeap bool
}

// Resume restores the store and st from the last checkpoint of the run directory, when it has
// one, and cuts metrics.jsonl back to its step.
func (r *Run) Resume(st *rundir.State) error {
	saved, ok, err := rundir.LoadLast(r.Store, r.Dir)
	if !ok || err != nil {
		return err
	}
	*st = saved
	fmt.Fprintf(r.progress(), "resuming at step %d (epoch %d, batch %d)\n", st.Step, st.Epoch+1, st.BatchInEpoch)
	return rundir.TrimLog(r.Dir, st.Step)
}

// Train runs the loop from st to the last step: a new run calls start first (nil: nothing to
// do; a fine-tuning loads its pretrained encoder there), a resumed one restores st and the
// weights from the last checkpoint (Resume).
func (r *Run) Train(ctx context.Context, st *rundir.State, resuming bool, start func() error) error {
	var err error
	if resuming {
		err = r.Resume(st)
	} else if start != nil {
		err = start()
	}
	if err != nil {
		return err
	}
	return r.Loop(ctx, st)
}

// Log writes one line to metrics.jsonl (during Loop).
func (r *Run) Log(v any) {
	if r.log != nil {
		r.log.Line(v)
	}
}

func (r *Run) progress() io.Writer {
	if r.Progress == nil {
		return io.Discard
	}
	return r.Progress
}

var errStop = errors.New("early stop")

// Loop trains from st (a fresh State, or the one Resume restored) to r.Steps.
func (r *Run) Loop(ctx context.Context, st *rundir.State) error {
	log, err := rundir.OpenLog(filepath.Join(r.Dir, rundir.MetricsFile))
	if err != nil {
		return err
	}
	r.log = log
	defer func() { log.Close(); r.log = nil }()
	r.Batches.SetPosition(st.Epoch, st.BatchInEpoch)
	perEpoch := len(r.Batches.Plan(0))
	if perEpoch == 0 && r.Steps > st.Step { // else the steps would wait for a batch forever
		return fmt.Errorf("%s: %d pieces of text make no full batch of %d: give it more text or a smaller batch size", r.Name, r.Batches.Len(), r.Batches.Options().BatchSize)
	}
	saved := st.Step // the step of the last checkpoint: Loop starts from it (or from nothing, 0)
	start := time.Now().Add(-time.Duration(st.Seconds * float64(time.Second)))
	after := func(loss float64) error {
		st.Step++
		st.Epoch, st.BatchInEpoch = r.Batches.Epoch(), r.Batches.Position()
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return hookError{fmt.Errorf("%s: the loss became %v at step %d: stopping; the last good checkpoint is %s (step %d). Lower the learning rate or check the loss settings",
				r.Name, loss, st.Step, filepath.Join(r.Dir, rundir.LastCheckpoint), saved)}
		}
		st.LossEMA = cmp.Or(st.LossEMA, loss)*0.98 + 0.02*loss
		if st.Step%10 == 0 || st.Step == 1 {
			r.report(st, loss, time.Since(start).Seconds())
		}
		if st.Step%50 == 0 && !r.warnedHeap {
			if msg := heapWarning(liveHeap(), debug.SetMemoryLimit(-1)); msg != "" {
				fmt.Fprintf(r.progress(), "\n%s\n", msg)
				r.warnedHeap = true
			}
		}
		epochDone := st.BatchInEpoch == perEpoch
		if epochDone {
			st.Epoch, st.BatchInEpoch = st.Epoch+1, 0
		}
		if !(r.EvalEachEpoch && epochDone) && !(r.EvalEvery > 0 && st.Step%r.EvalEvery == 0) && st.Step != r.Steps {
			return nil
		}
		st.Seconds = time.Since(start).Seconds()
		stop, err := r.Evaluate(st, epochDone && r.EvalEachEpoch)
		if err != nil {
			return hookError{err}
		}
		if err := rundir.SaveCheckpointFiltered(r.Store, filepath.Join(r.Dir, rundir.LastCheckpoint), nil, st); err != nil {
			return hookError{err}
		}
		saved = st.Step
		if stop {
			return errStop
		}
		return nil
	}
	if r.Trainer != nil {
		loop := train.NewLoop(r.Trainer)
		loop.OnStep(r.Name, 0, func(_ *train.Loop, metrics []*tensors.Tensor) error {
			return after(float64(tensors.MustCopyFlatData[float32](metrics[0])[0]))
		})
		_, err = loop.RunSteps(&steps{r: r, ctx: ctx, st: st}, r.Steps-st.Step)
	} else {
		err = r.ownSteps(ctx, st, after)
	}
	st.Seconds = time.Since(start).Seconds()
	var h hookError
	switch {
	case errors.Is(err, errStop):
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%s: interrupted at step %d; rerun the same command to resume from the last checkpoint (step %d)", r.Name, st.Step, saved)
	case errors.As(err, &h): // our own message, without train.Loop's wrapping
		return h.error
	case err != nil:
		return fmt.Errorf("%s: step %d: %w", r.Name, st.Step+1, err)
	}
	return nil
}

// ownSteps takes the steps with r.Step, each followed by after, until r.Steps, an error or
// the end of ctx.
func (r *Run) ownSteps(ctx context.Context, st *rundir.State, after func(loss float64) error) error {
	if st.Step >= r.Steps {
		return nil
	}
	for p, err := range r.planned(ctx) {
		if err != nil {
			return err
		}
		loss, err := r.Step(p, st.Step)
		if err != nil {
			return err
		}
		if err := after(loss); err != nil || st.Step >= r.Steps {
			return err
		}
	}
	return nil
}

// planned is the run's planned batches, epoch after epoch, until ctx ends (its error last).
func (r *Run) planned(ctx context.Context) iter.Seq2[batch.Planned, error] {
	return func(yield func(batch.Planned, error) bool) {
		for {
			for p := range r.Batches.IterPlanned() {
				if err := ctx.Err(); err != nil {
					yield(batch.Planned{}, err)
					return
				}
				if !yield(p, nil) {
					return
				}
			}
		}
	}
}

// liveHeap is the Go heap the last collection found live, in bytes.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// heapWarning is the warning for a live heap of live bytes under a soft memory limit of limit
// bytes (GOMEMLIMIT, or the one the command sets), or "" when the heap is well below it. At
// four fifths of the limit and more, the collector runs most of the time and a step can take
// twice as long or more (a region CNN of 1,000 maps under 3 GiB: docs/speed.md).
func heapWarning(live uint64, limit int64) string {
	if limit <= 0 || limit == math.MaxInt64 || float64(live) < 0.8*float64(limit) {
		return ""
	}
	const gib = 1 << 30
	want := int(math.Ceil(1.5 * float64(live) / gib))
	return fmt.Sprintf("warning: the live Go heap (%.1f GiB) is near the soft memory limit (%.1f GiB): the collector runs often and training slows down; "+
		"rerun with a higher limit, e.g. GOMEMLIMIT=%dGiB, if the machine has the memory (the run resumes from its last checkpoint)",
		float64(live)/gib, float64(limit)/gib, max(want, int(limit/gib)+1))
}

// hookError is an error of the loop's own step hook, returned as it is.
type hookError struct{ error }

// report prints the progress line and logs the step.
func (r *Run) report(st *rundir.State, loss, seconds float64) {
	ema := st.LossEMA
	epochs := ""
	if r.Epochs > 0 {
		epochs = fmt.Sprintf("  epoch %d/%d", st.Epoch+1, r.Epochs)
	}
	name := r.LossName
	if name == "" {
		name = "loss"
	}
	fmt.Fprintf(r.progress(), "\r%s %s %.4f  step %d/%d%s  %.1f steps/s   ", Bar(st.Step, r.Steps), name, ema, st.Step, r.Steps, epochs, float64(st.Step)/max(seconds, 1e-9))
	r.Log(map[string]any{"type": "train", "step": st.Step, "epoch": st.Epoch + 1, "loss": loss, "loss_ema": ema, "seconds": seconds})
}

// Bar is a 20-character progress bar of step out of total.
func Bar(step, total int) string {
	const width = 20
	n := min(width, step*width/max(total, 1))
	b := []byte("[")
	for i := range width {
		if i < n {
			b = append(b, '=')
		} else {
			b = append(b, ' ')
		}
	}
	return string(append(b, ']'))
}

// steps is the train.Dataset the loop reads: the run's batches, epoch after epoch, each made
// at the step it trains (the masking of pretraining depends on it), until the context ends.
type steps struct {
	r   *Run
	ctx context.Context
	st  *rundir.State
}

func (s *steps) Name() string { return s.r.Batches.Name() }

func (s *steps) Iter() iter.Seq2[train.Batch, error] {
	return func(yield func(train.Batch, error) bool) {
		for p, err := range s.r.planned(s.ctx) {
			if err != nil {
				yield(train.Batch{}, err)
				return
			}
			var b train.Batch
			if s.r.Make != nil {
				b = s.r.Make(p, s.st.Step)
			} else {
				b = s.r.Batches.Make(p)
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}
