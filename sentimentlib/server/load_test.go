package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadResult is what a load run measured.
type loadResult struct {
	latencies []time.Duration // sorted
	errors    int64
	elapsed   time.Duration
}

// load sends n requests (one review each, no attributions) from 64 concurrent clients to the
// handler served on loopback.
func load(srv *Server, n int) loadResult {
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	const clients = 64
	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	reviews := []string{
		"This movie was wonderful. The cast is superb and the story kept me hooked until the very last scene.",
		"A dull, lifeless mess. I walked out after an hour and want my money back.",
		"I expected to hate it, but it turned out to be one of the best films I have seen this year.",
		"The first half is brilliant, then it falls apart: a lazy, predictable ending ruins everything.",
	}
	var next, errors atomic.Int64
	latencies := make([]time.Duration, n)
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				body := fmt.Sprintf(`{"text": %q}`, reviews[i%len(reviews)])
				t0 := time.Now()
				resp, err := client.Post(ts.URL+"/api/predict", "application/json", bytes.NewBufferString(body))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				latencies[i] = time.Since(t0)
				if err != nil {
					errors.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	r := loadResult{latencies: latencies, errors: errors.Load(), elapsed: time.Since(start)}
	slices.Sort(r.latencies)
	return r
}

func heapMB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// TestServerLoadMemoryFlat: 64 concurrent clients send 10,000 requests; none fails, and the
// heap after the run is within a few MB of the heap after a warm-up run (no leak per request).
func TestServerLoadMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 requests; -short skips it")
	}
	if r := load(testServer, 1000); r.errors > 0 { // warm-up: compiles every shape, fills pools
		t.Fatalf("warm-up: %d errors", r.errors)
	}
	before := heapMB()
	r := load(testServer, 10000)
	after := heapMB()
	if r.errors > 0 {
		t.Errorf("%d of 10000 requests failed", r.errors)
	}
	if after-before > 8 {
		t.Errorf("heap grew from %.1f MB to %.1f MB over 10,000 requests", before, after)
	}
	t.Logf("10,000 requests in %v (%.0f req/s), p50 %v, p99 %v; heap %.1f -> %.1f MB", r.elapsed.Round(time.Millisecond),
		10000/r.elapsed.Seconds(), r.latencies[5000], r.latencies[9900], before, after)
}

// BenchmarkServerLoad sends b.N requests (one review each, no attributions) from 64 concurrent
// clients to the server on loopback, and reports requests/s, p50 and p99 latency and errors
// (which must be 0). LOAD_MODEL=DIR serves a real model instead of the tiny test model:
//
//	LOAD_MODEL=runs/default-seed1 go test ./sentimentlib/server -run '^$' -bench ServerLoad -benchtime 2000x
func BenchmarkServerLoad(b *testing.B) {
	srv := serverFromEnv(b, "LOAD_MODEL")
	b.ResetTimer()
	r := load(srv, b.N)
	b.ReportMetric(float64(b.N)/r.elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(r.latencies[b.N/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(r.latencies[min(b.N-1, b.N*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(r.errors), "errors")
	if r.errors > 0 {
		b.Errorf("%d of %d requests failed", r.errors, b.N)
	}
}

// BenchmarkExplainFlood measures plain predictions while explanations flood the server: 16
// clients send explain requests of 16 long reviews, again and again, while 32 other clients
// send b.N single-review predictions. It reports the predictions' p50 and p99 latency and
// errors (which must be 0), the explain requests served and refused (503, the pool full), and,
// after the flood, how long the server keeps working once 16 explain clients give up after
// 200 ms: the time until /healthz reports no work in progress. LOAD_MODEL=DIR serves a real
// model:
//
//	LOAD_MODEL=runs/default-seed1 go test ./sentimentlib/server -run '^$' -bench ExplainFlood -benchtime 1000x
func BenchmarkExplainFlood(b *testing.B) {
	srv := serverFromEnv(b, "LOAD_MODEL")
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	long := strings.Repeat("The first half is brilliant, the cast superb, then it falls apart: a lazy, predictable ending ruins everything I liked. ", 30)
	explainBody, _ := json.Marshal(Request{Texts: slices.Repeat([]string{long}, MaxExplainTexts), Explain: true})
	post := func(c *http.Client, body []byte) (int, error) {
		resp, err := c.Post(ts.URL+"/api/predict", "application/json", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	post(client, explainBody) // compile the shapes first
	post(client, []byte(`{"text": "A fine film."}`))
	b.ResetTimer()
	var stop atomic.Bool
	var served, refused, explainErrors atomic.Int64
	var flood sync.WaitGroup
	for range 16 {
		flood.Go(func() {
			for !stop.Load() {
				switch code, err := post(client, explainBody); {
				case err == nil && code == 200:
					served.Add(1)
				case err == nil && code == http.StatusServiceUnavailable:
					refused.Add(1)
					time.Sleep(100 * time.Millisecond)
				default:
					explainErrors.Add(1)
				}
			}
		})
	}
	var next, errs atomic.Int64
	latencies := make([]time.Duration, b.N)
	var preds sync.WaitGroup
	reviews := []string{"A wonderful film.", "Dull and far too long.", "The cast is superb but the plot is thin.", "I want my money back."}
	for range 32 {
		preds.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				code, err := post(client, fmt.Appendf(nil, `{"text": %q}`, reviews[i%len(reviews)]))
				latencies[i] = time.Since(t0)
				if err != nil || code != 200 {
					errs.Add(1)
				}
			}
		})
	}
	preds.Wait()
	stop.Store(true)
	flood.Wait()
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[b.N/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[min(b.N-1, b.N*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(errs.Load()), "errors")
	b.ReportMetric(float64(served.Load()), "explains-served")
	b.ReportMetric(float64(refused.Load()), "explains-503")
	b.ReportMetric(float64(explainErrors.Load()), "explain-errors")
	if errs.Load() > 0 || explainErrors.Load() > 0 {
		b.Errorf("%d predictions and %d explain requests failed", errs.Load(), explainErrors.Load())
	}
	// Abandoned work: explain clients that give up after 200 ms.
	impatient := &http.Client{Transport: &http.Transport{}, Timeout: 200 * time.Millisecond}
	var gone sync.WaitGroup
	for range 16 {
		gone.Go(func() { post(impatient, explainBody) })
	}
	gone.Wait()
	left := time.Now()
	for srv.working.Load() > 0 && time.Since(left) < time.Minute {
		time.Sleep(5 * time.Millisecond)
	}
	b.ReportMetric(time.Since(left).Seconds(), "abandoned-stop-s")
}
