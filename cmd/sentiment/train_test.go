package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib/metrics"
)

// TestTrainEvalPredictCalibrate runs the commands end to end on the fixture with a tiny model:
// eval reproduces train's test metrics, predict prints JSON lines, calibrate writes its file,
// and bad --set values are errors naming the field.
func TestTrainEvalPredictCalibrate(t *testing.T) {
	t.Setenv("HF_HUB_OFFLINE", "1")
	ctx := context.Background()
	dir := t.TempDir()
	fixture := "../../data/hf-cache"
	var out, errb bytes.Buffer
	train := []string{"train", "--quick", "--hf-cache", fixture, "--out", dir, "--set", "data.vocab_size=2000",
		"--set", "model_dim=16", "--set", "ffn_dim=32", "--set", "max_len=64", "--set", "head_tokens=16", "--set", "epochs=1"}
	if err := run(ctx, train, &out, &errb); err != nil {
		t.Fatalf("train: %v\n%s", err, errb.String())
	}
	var res struct {
		Config struct {
			MaxLen int `json:"max_len"`
		} `json:"config"`
		Test metrics.Metrics `json:"test"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil || res.Config.MaxLen != 64 {
		t.Fatalf("results.json: %v, max_len %d (the --set did not apply)", err, res.Config.MaxLen)
	}
	out.Reset()
	if err := run(ctx, []string{"eval", "--model", dir, "--hf-cache", fixture, "--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var m metrics.Metrics
	if err := json.Unmarshal(out.Bytes(), &m); err != nil || m != res.Test {
		t.Errorf("eval %+v (err %v), train's test %+v", m, err, res.Test)
	}
	out.Reset()
	if err := run(ctx, []string{"predict", "--model", dir, "--json", "Great film", "Awful film"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"probability"`) || !strings.Contains(lines[1], `"text":"Awful film"`) {
		t.Errorf("predict output:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"calibrate", "--model", dir, "--hf-cache", fixture}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "calibration.json")); err != nil || !strings.Contains(out.String(), "temperature") {
		t.Errorf("calibrate: %v\n%s", err, out.String())
	}
	checkServe(t, dir)
	for _, bad := range [][]string{{"--set", "max_length=3"}, {"--set", "dropout=lots"}, {"--set", "novalue"}} {
		err := run(ctx, append([]string{"train", "--quick", "--hf-cache", fixture, "--out", t.TempDir()}, bad...), &out, &errb)
		if err == nil {
			t.Errorf("train %v: want an error", bad)
		}
	}
	if err := run(ctx, []string{"eval"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("eval without --model: %v", err)
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in two goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// checkServe starts `sentiment serve` on a free loopback port, queries it, and stops it the way
// SIGINT does (context cancellation): it shuts down cleanly.
func checkServe(t *testing.T, dir string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--model", dir, "--addr", "127.0.0.1:0"}, &out, io.Discard) }()
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := regexp.MustCompile(`http://[0-9.:]+/`).FindString(out.String()); m != "" {
			url = m
		}
	}
	if url == "" {
		t.Fatalf("serve did not start: %q", out.String())
	}
	resp, err := http.Post(url+"api/predict", "application/json", strings.NewReader(`{"text": "a great film"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"probability"`) {
		t.Errorf("POST /api/predict: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(out.String(), "stopped") {
			t.Errorf("shutdown: %v, output %q", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
	// A taken address is a clear error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"serve", "--model", dir, "--addr", ln.Addr().String()}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("address in use: %v", err)
	}
}
