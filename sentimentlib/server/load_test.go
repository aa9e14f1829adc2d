package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

// BenchmarkServerLoad sends b.N requests (one review each, no attributions) from 64 concurrent
// clients to the server on loopback, and reports requests/s, p50 and p99 latency and errors
// (which must be 0). LOAD_MODEL=DIR serves a real model instead of the tiny test model:
//
//	LOAD_MODEL=runs/default-seed1 go test ./sentimentlib/server -run '^$' -bench ServerLoad -benchtime 2000x
func BenchmarkServerLoad(b *testing.B) {
	srv := testServer
	if dir := os.Getenv("LOAD_MODEL"); dir != "" {
		p, err := sentimentlib.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		srv = New(p, dir)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	const clients = 64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	reviews := []string{
		"This movie was wonderful. The cast is superb and the story kept me hooked until the very last scene.",
		"A dull, lifeless mess. I walked out after an hour and want my money back.",
		"I expected to hate it, but it turned out to be one of the best films I have seen this year.",
		"The first half is brilliant, then it falls apart: a lazy, predictable ending ruins everything.",
	}
	var next, errors atomic.Int64
	latencies := make([]time.Duration, b.N)
	b.ResetTimer()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				body := fmt.Sprintf(`{"text": %q}`, reviews[i%len(reviews)])
				start := time.Now()
				resp, err := client.Post(ts.URL+"/api/predict", "application/json", bytes.NewBufferString(body))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				latencies[i] = time.Since(start)
				if err != nil {
					errors.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := b.Elapsed()
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(latencies[b.N/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[min(b.N-1, b.N*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(errors.Load()), "errors")
	if errors.Load() > 0 {
		b.Errorf("%d of %d requests failed", errors.Load(), b.N)
	}
}
