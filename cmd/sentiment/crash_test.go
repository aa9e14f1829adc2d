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

// TestKillAtEveryWritePoint stops a training run at each of its write points in turn (before
// and after each atomic rename, around each metrics.jsonl line), reruns the command, and
// checks that the resumed run ends exactly as an uninterrupted one: the same metrics bit for bit,
// the same metrics.jsonl (times aside), and no temporary file left.
func TestKillAtEveryWritePoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the training command some ninety times; -short skips it")
	}
	args := func(dir string) []string {
		return []string{"train", "--quick", "--hf-cache", "../../data/hf-cache", "--out", dir,
			"--set", "data.vocab_size=2000", "--set", "model_dim=16", "--set", "ffn_dim=32", "--set", "max_len=64",
			"--set", "head_tokens=16", "--set", "batch_size=16", "--set", "epochs=2", "--set", "patience=0", "--set", "eval_every_steps=7"}
	}
	run := func(dir string, env ...string) (int, string) {
		cmd := exec.Command(os.Args[0], args(dir)...)
		cmd.Env = append(append(os.Environ(), "SENTIMENT_AS_MAIN=1", "HF_HUB_OFFLINE=1"), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if e, ok := err.(*exec.ExitError); ok {
			return e.ExitCode(), out.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}
	// What a run leaves: its metrics, and its log without the times.
	outcome := func(dir string) (string, string) {
		var res sentimentlib.Results
		b, err := os.ReadFile(filepath.Join(dir, sentimentlib.ResultsFile))
		if err != nil || json.Unmarshal(b, &res) != nil {
			t.Fatalf("%s: no results: %v", dir, err)
		}
		m, _ := json.Marshal([]any{res.Validation, res.Test, res.Steps, res.BestStep})
		log, _ := os.ReadFile(filepath.Join(dir, sentimentlib.MetricsFile))
		return string(m), regexp.MustCompile(`"seconds":[0-9.e+-]+`).ReplaceAllString(string(log), "")
	}
	ref := t.TempDir()
	countFile := filepath.Join(t.TempDir(), "points")
	if code, out := run(ref, "SENTIMENT_FAULT_COUNT="+countFile); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, out)
	}
	wantMetrics, wantLog := outcome(ref)
	b, _ := os.ReadFile(countFile)
	points, _ := strconv.Atoi(string(b))
	if points < 20 {
		t.Fatalf("%d write points: the test cannot tell much", points)
	}
	for k := 1; k <= points; k++ {
		dir := t.TempDir()
		if code, out := run(dir, "SENTIMENT_FAULT_AT="+strconv.Itoa(k)); code != 86 {
			t.Fatalf("point %d of %d: exit %d, want the fault's 86\n%s", k, points, code, out)
		}
		if code, out := run(dir); code != 0 {
			t.Fatalf("point %d: the rerun failed (exit %d)\n%s", k, code, out)
		}
		gotMetrics, gotLog := outcome(dir)
		if gotMetrics != wantMetrics {
			t.Errorf("stopped at write point %d of %d, then resumed: metrics %s, uninterrupted %s", k, points, gotMetrics, wantMetrics)
		}
		if gotLog != wantLog {
			t.Errorf("stopped at write point %d of %d: metrics.jsonl differs from the uninterrupted run's:\n%s\nwant\n%s", k, points, gotLog, wantLog)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(left) > 0 {
			t.Errorf("stopped at write point %d: temporary files left: %v", k, left)
		}
	}
}
