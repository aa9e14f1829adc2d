package server

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib/verdict"
)

// fakeModel answers prob for every text; its explanations take explainTime each, and it
// counts the explanations it finished and those it started after their request was gone.
type fakeModel struct {
	prob                float64
	explainTime         time.Duration
	explained, orphaned atomic.Int64
}

func (m *fakeModel) PredictContext(ctx context.Context, texts []string) ([]verdict.Prediction, error) {
	out := make([]verdict.Prediction, len(texts))
	for i := range out {
		out[i] = verdict.New(m.prob, false, false)
	}
	return out, nil
}

func (m *fakeModel) ExplainContext(ctx context.Context, text string) (*verdict.Explanation, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	select {
	case <-time.After(m.explainTime):
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		m.orphaned.Add(1)
		return nil, ctx.Err()
	}
	m.explained.Add(1)
	return &verdict.Explanation{Prediction: verdict.New(m.prob, false, false)}, nil
}

func (m *fakeModel) AttributionMethod() string { return "fake" }
func (m *fakeModel) Architecture() string      { return "fake" }
func (m *fakeModel) Temperature() float64      { return 1 }

func post(h http.Handler, ctx context.Context, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/api/predict", strings.NewReader(body)).WithContext(ctx)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestNaNIsAnError: a probability that is not a number is a 500 that says so, never a 200
// with an empty body.
func TestNaNIsAnError(t *testing.T) {
	h := New(&fakeModel{prob: math.NaN()}, "nan").Handler()
	for _, body := range []string{`{"text": "good"}`, `{"text": "good", "explain": true}`} {
		rec := post(h, context.Background(), body)
		var e map[string]string
		if rec.Code != 500 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || !strings.Contains(e["error"], "cannot be encoded") {
			t.Errorf("%s: %d %q", body, rec.Code, rec.Body.String())
		}
	}
}

// TestExplainPool: while the pool is busy, another explanation is refused with 503 and
// Retry-After, and plain predictions are answered at once.
func TestExplainPool(t *testing.T) {
	m := &fakeModel{prob: 0.9, explainTime: 300 * time.Millisecond}
	h := New(m, "slow").Handler()
	var wg sync.WaitGroup
	for range ExplainWorkers {
		wg.Go(func() { post(h, context.Background(), `{"text": "good", "explain": true}`) })
	}
	time.Sleep(50 * time.Millisecond) // the workers are busy now
	rec := post(h, context.Background(), `{"text": "good", "explain": true}`)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "busy") {
		t.Errorf("explain with a full pool: %d %s (Retry-After %q)", rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
	}
	start := time.Now()
	if rec := post(h, context.Background(), `{"text": "good"}`); rec.Code != 200 || time.Since(start) > 100*time.Millisecond {
		t.Errorf("prediction beside busy explanations: %d after %v", rec.Code, time.Since(start))
	}
	wg.Wait()
	if m.explained.Load() != int64(ExplainWorkers) {
		t.Errorf("%d explanations finished, want %d", m.explained.Load(), ExplainWorkers)
	}
}

// TestAbandonedExplanationsStop: when the client goes, the request's remaining texts are not
// explained.
func TestAbandonedExplanationsStop(t *testing.T) {
	m := &fakeModel{prob: 0.9, explainTime: 100 * time.Millisecond}
	h := New(m, "slow").Handler()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		post(h, ctx, `{"texts": ["a", "b", "c", "d", "e", "f", "g", "h"], "explain": true}`)
		close(done)
	}()
	time.Sleep(150 * time.Millisecond) // one explained, the second under way
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("the abandoned request still runs a second after its client left")
	}
	if n := m.explained.Load(); n > 2 {
		t.Errorf("%d of 8 texts explained after the client left at the second", n)
	}
}
