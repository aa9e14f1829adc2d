package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

var testServer *Server

// TestMain trains a tiny model on the fixture (a few seconds) for all handler tests.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "server-test-model-")
	if err != nil {
		panic(err)
	}
	cfg, err := sentimentlib.Preset("default", true)
	if err != nil {
		panic(err)
	}
	cfg.Data = sentimentlib.DataConfig{CacheDir: "../../data/hf-cache", VocabSize: 2000, Offline: true}
	cfg.Dim, cfg.FFNDim, cfg.Heads, cfg.MaxLen, cfg.HeadTokens, cfg.Epochs = 16, 32, 2, 64, 16, 1
	if _, err := sentimentlib.Train(context.Background(), cfg, dir, nil); err != nil {
		panic(err)
	}
	p, err := sentimentlib.Load(dir)
	if err != nil {
		panic(err)
	}
	testServer = New(p, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// serverFromEnv serves the model directory named by the environment variable env (for runs on a
// real model), else the tiny test model.
func serverFromEnv(tb testing.TB, env string) *Server {
	dir := os.Getenv(env)
	if dir == "" {
		return testServer
	}
	p, err := sentimentlib.Load(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return New(p, dir)
}

// do sends a request to the handler and decodes the JSON response into out (if not nil).
func do(t *testing.T, method, path, contentType, body string, out any) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	testServer.Handler().ServeHTTP(rec, req)
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: response is not JSON: %v\n%s", method, path, err, rec.Body.String())
		}
	}
	return rec
}

func TestPredictOneAndBatch(t *testing.T) {
	var one Response
	rec := do(t, "POST", "/api/predict", "application/json", `{"text": "A wonderful film"}`, &one)
	if rec.Code != 200 || len(one.Predictions) != 1 || one.Predictions[0].Words != nil {
		t.Fatalf("one text: %d %+v", rec.Code, one)
	}
	p := one.Predictions[0]
	if (p.Label == "positive") != (p.Probability >= 0.5) || p.Probability < 0 || p.Probability > 1 {
		t.Errorf("label %q with probability %v", p.Label, p.Probability)
	}
	// The batch gives the same prediction for the same text as the single request (up to float32
	// rounding: a batch of 1 and a batch of 4 take different matrix-multiply paths).
	var batch Response
	rec = do(t, "POST", "/api/predict", "application/json", `{"texts": ["Awful", "A wonderful film", "Fine"]}`, &batch)
	if rec.Code != 200 || len(batch.Predictions) != 3 || batch.Predictions[1].Label != p.Label || diff(batch.Predictions[1].Probability, p.Probability) > 1e-6 {
		t.Errorf("batch: %d %+v, single %+v", rec.Code, batch, p)
	}
}

func TestPredictExplain(t *testing.T) {
	var r Response
	// curl -d sends a form Content-Type: the body is still read as JSON.
	rec := do(t, "POST", "/api/predict", "application/x-www-form-urlencoded", `{"text": "A wonderful film, a terrible ending", "explain": true}`, &r)
	if rec.Code != 200 || len(r.Predictions) != 1 {
		t.Fatalf("%d %+v", rec.Code, r)
	}
	var words []string
	for _, w := range r.Predictions[0].Words {
		words = append(words, w.Word)
	}
	if got := strings.Join(words, " "); got != "a wonderful film , a terrible ending" {
		t.Errorf("words %q", got)
	}
}

func TestBadRequests(t *testing.T) {
	many := make([]string, MaxTexts+1)
	for i := range many {
		many[i] = "ok"
	}
	manyJSON, _ := json.Marshal(map[string]any{"texts": many})
	explainJSON, _ := json.Marshal(map[string]any{"texts": many[:MaxExplainTexts+1], "explain": true})
	for _, tc := range []struct {
		name, method, path, ctype, body string
		status                          int
		mention                         string
	}{
		{"malformed", "POST", "/api/predict", "application/json", `{"text": `, 400, "malformed JSON"},
		{"trailing data", "POST", "/api/predict", "application/json", `{"text": "a"} {"text": "b"}`, 400, "one object"},
		{"trailing bracket", "POST", "/api/predict", "application/json", `{"text": "good"}]`, 400, "nothing after it"},
		{"a key in other case", "POST", "/api/predict", "application/json", `{"TEXT": "good"}`, 400, `unknown key "TEXT"`},
		{"a duplicate key", "POST", "/api/predict", "application/json", `{"text": "awful", "text": "good"}`, 400, `"text" twice`},
		{"markup only", "POST", "/api/predict", "application/json", `{"text": "<br /><br />"}`, 400, "no readable words"},
		{"emoji only", "POST", "/api/predict", "application/json", `{"texts": ["fine", "😀😀"]}`, 400, "texts[1] has no readable words"},
		{"unknown field", "POST", "/api/predict", "application/json", `{"review": "a"}`, 400, "review"},
		{"empty body", "POST", "/api/predict", "application/json", ``, 400, "empty body"},
		{"no text", "POST", "/api/predict", "application/json", `{"text": ""}`, 400, "no text"},
		{"blank text", "POST", "/api/predict", "application/json", `{"text": " \n "}`, 400, "blank"},
		{"empty text in batch", "POST", "/api/predict", "application/json", `{"texts": ["a", " "]}`, 400, "texts[1]"},
		{"too many", "POST", "/api/predict", "application/json", string(manyJSON), 400, fmt.Sprint(MaxTexts)},
		{"too many to explain", "POST", "/api/predict", "application/json", string(explainJSON), 400, "explain"},
		{"too big", "POST", "/api/predict", "application/json", `{"text": "` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413, "KiB"},
		{"wrong method", "GET", "/api/predict", "", ``, 405, "POST"},
		{"wrong method on page", "POST", "/", "", ``, 405, "GET"},
		{"no such page", "GET", "/nope", "", ``, 404, "/api/predict"},
	} {
		var e map[string]string
		rec := do(t, tc.method, tc.path, tc.ctype, tc.body, &e)
		if rec.Code != tc.status || !strings.Contains(e["error"], tc.mention) {
			t.Errorf("%s: %d %q, want %d mentioning %q", tc.name, rec.Code, e["error"], tc.status, tc.mention)
		}
		if tc.status == 405 && rec.Header().Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", tc.name)
		}
	}
}

func TestPageAndHealth(t *testing.T) {
	rec := do(t, "GET", "/", "", "", nil)
	page := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(page, `id="text"`) || !strings.Contains(page, "/api/predict") {
		t.Fatalf("page: %d", rec.Code)
	}
	// Everything is served from the binary: no external scripts, styles or fonts.
	for _, ext := range []string{"http://", "https://", "//cdn"} {
		if strings.Contains(page, ext) {
			t.Errorf("the page references an external resource (%s)", ext)
		}
	}
	var h map[string]any
	rec = do(t, "GET", "/healthz", "", "", &h)
	if rec.Code != 200 || h["status"] != "ok" || h["architecture"] != "transformer" {
		t.Errorf("healthz: %d %v", rec.Code, h)
	}
}

// TestConcurrentRequests: 32 goroutines share one predictor; every answer equals the serial one.
func TestConcurrentRequests(t *testing.T) {
	texts := []string{"great", "awful", "fine film", "boring plot", "loved the cast"}
	want := map[string]Result{}
	for _, tx := range texts {
		var r Response
		do(t, "POST", "/api/predict", "application/json", fmt.Sprintf(`{"text": %q}`, tx), &r)
		want[tx] = r.Predictions[0]
	}
	var wg sync.WaitGroup
	errs := make(chan string, 32*len(texts))
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range texts {
				tx := texts[(g+i)%len(texts)]
				body, _ := json.Marshal(Request{Text: tx, Explain: g%8 == 0})
				req := httptest.NewRequest("POST", "/api/predict", bytes.NewReader(body))
				rec := httptest.NewRecorder()
				testServer.Handler().ServeHTTP(rec, req)
				var r Response
				if rec.Code == http.StatusServiceUnavailable && g%8 == 0 && rec.Header().Get("Retry-After") != "" {
					continue // the explain pool was full: a retry would be served
				}
				if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &r) != nil {
					errs <- fmt.Sprintf("%q (explain %v): %d %s", tx, g%8 == 0, rec.Code, rec.Body.String())
					continue
				}
				got := r.Predictions[0]
				if got.Label != want[tx].Label || diff(got.Probability, want[tx].Probability) > 1e-6 {
					errs <- fmt.Sprintf("%q: %+v, serial %+v", tx, got, want[tx])
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func diff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestNBSVMModel serves an nbsvm model: attributions are the n-grams' exact shares, named in
// the response, and a text with no known n-gram says it got the prior alone.
func TestNBSVMModel(t *testing.T) {
	cfg, err := sentimentlib.Preset("nbsvm", true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data = sentimentlib.DataConfig{CacheDir: "../../data/hf-cache", Offline: true}
	cfg.NBSVM.MaxFeatures, cfg.MaxLen, cfg.HeadTokens, cfg.Epochs = 20_000, 512, 512, 1
	dir := t.TempDir()
	if _, err := sentimentlib.Train(context.Background(), cfg, dir, nil); err != nil {
		t.Fatal(err)
	}
	p, err := sentimentlib.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/api/predict", strings.NewReader(`{"texts": ["zzqx vvbn", "A wonderful film, a terrible ending"], "explain": true}`))
	rec := httptest.NewRecorder()
	New(p, dir).Handler().ServeHTTP(rec, req)
	var r Response
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || rec.Code != 200 || len(r.Predictions) != 2 {
		t.Fatalf("%d %s (%v)", rec.Code, rec.Body.String(), err)
	}
	if !r.Predictions[0].Unknown || r.Predictions[1].Unknown || !strings.Contains(r.Attribution, "n-gram") {
		t.Errorf("unknown flags %v, %v; attribution %q", r.Predictions[0].Unknown, r.Predictions[1].Unknown, r.Attribution)
	}
	var words []string
	for _, w := range r.Predictions[1].Words {
		words = append(words, w.Word)
	}
	if got := strings.Join(words, " "); got != "a wonderful film , a terrible ending" {
		t.Errorf("words %q", got)
	}
}
