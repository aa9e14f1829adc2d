package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib"
	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

// TestMain lets the test binary act as the sentiment command (SENTIMENT_AS_MAIN=1), so the crash
// test can run and kill a real training process without building another binary.
func TestMain(m *testing.M) {
	if os.Getenv("SENTIMENT_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestKilledTrainingResumes SIGKILLs a training process mid-run, checks that every checkpoint on
// disk is whole, then reruns the command: it resumes from the last checkpoint, losing at most one
// checkpoint interval, and finishes with the step count of an uninterrupted run.
func TestKilledTrainingResumes(t *testing.T) {
	dir := t.TempDir()
	const interval = 5
	args := []string{"train", "--quick", "--hf-cache", "../../data/hf-cache", "--out", dir,
		"--set", "data.vocab_size=2000", "--set", "model_dim=16", "--set", "ffn_dim=32", "--set", "max_len=64",
		"--set", "head_tokens=16", "--set", "batch_size=16", "--set", "epochs=12", "--set", "patience=0",
		"--set", "eval_every_steps=" + strconv.Itoa(interval)}
	command := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "SENTIMENT_AS_MAIN=1", "HF_HUB_OFFLINE=1")
		return cmd
	}
	type state struct{ Step int }
	readState := func() (state, bool) {
		step, ok := sentimentlib.ResumeStep(dir)
		return state{step}, ok
	}

	cmd := command()
	var out1 bytes.Buffer
	cmd.Stderr = &out1
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if st, ok := readState(); ok && st.Step >= 4*interval {
			seen = st.Step
			break
		}
	}
	cmd.Process.Kill() // SIGKILL: no chance to clean up
	cmd.Wait()
	if seen == 0 {
		t.Fatalf("no checkpoint appeared before the deadline:\n%s", out1.String())
	}
	// Every checkpoint on disk is whole: it loads into a fresh store.
	for _, f := range []string{sentimentlib.LastCheckpoint, sentimentlib.BestCheckpoint} {
		if _, err := experiments.InspectCheckpoint(filepath.Join(dir, f)); err != nil {
			t.Errorf("after SIGKILL, %s: %v", f, err)
		}
	}
	st, ok := readState()
	if !ok || st.Step < seen {
		t.Fatalf("state after kill: %+v (saw step %d before)", st, seen)
	}

	// Rerun: it resumes at the saved step and completes.
	cmd = command()
	var out2 bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out2, &out2
	if err := cmd.Run(); err != nil {
		t.Fatalf("resumed run: %v\n%s", err, out2.String())
	}
	m := regexp.MustCompile(`resuming at step (\d+)`).FindStringSubmatch(out2.String())
	if m == nil {
		t.Fatalf("the rerun did not resume:\n%s", out2.String())
	}
	if resumed, _ := strconv.Atoi(m[1]); resumed != st.Step {
		t.Errorf("resumed at step %d, the last checkpoint was at %d", resumed, st.Step)
	}
	// The killed process had reached at most one interval past the checkpoint it left.
	progress := regexp.MustCompile(`step (\d+)/(\d+)`).FindAllStringSubmatch(out1.String(), -1)
	if len(progress) > 0 {
		last, _ := strconv.Atoi(progress[len(progress)-1][1])
		if last-st.Step > interval+10 { // progress prints every 10 steps
			t.Errorf("killed at step >= %d but resumed at %d: more than one interval lost", last, st.Step)
		}
	}
	var res sentimentlib.Results
	b, err := os.ReadFile(filepath.Join(dir, sentimentlib.ResultsFile))
	if err != nil || json.Unmarshal(b, &res) != nil {
		t.Fatalf("results after resume: %v", err)
	}
	if want := 12 * (270 / 16); res.Steps != want {
		t.Errorf("resumed run ended at step %d, an uninterrupted one ends at %d", res.Steps, want)
	}
}
