// Package server is the web demo and JSON API of a trained model: an HTML page (served from the
// binary, no external resources) where a user types a review and sees the label, the
// probability and the words behind the decision, and POST /api/predict for programs.
package server

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/jsonfield"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
	"github.com/sentiment-go/sentiment/sentimentlib/verdict"
)

// Limits of the API.
const (
	MaxBodyBytes    = 64 << 10 // larger bodies get 413
	MaxTexts        = 64       // texts per request
	MaxExplainTexts = 16       // texts per request when attributions are asked for
	// RequestBudget is the time a request may take; past it the work stops and the answer is 503.
	RequestBudget = 20 * time.Second
)

//go:embed static/index.html
var static embed.FS

// Request is the body of POST /api/predict: one text or a batch, and whether to return word
// attributions (as the model's Explain computes them).
type Request struct {
	Text    string   `json:"text,omitempty"`
	Texts   []string `json:"texts,omitempty"`
	Explain bool     `json:"explain,omitempty"`
}

// Result is one text's prediction.
type Result struct {
	Label       string                    `json:"label"`
	Probability float64                   `json:"probability"`
	Words       []verdict.WordAttribution `json:"words,omitempty"`
	Truncated   bool                      `json:"truncated"`
	// Unknown: the text holds nothing the model knows; the probability is its prior.
	Unknown bool `json:"unknown,omitempty"`
}

// Response is the body of a successful POST /api/predict.
type Response struct {
	Predictions []Result `json:"predictions"`
	// Attribution says how the words' attributions were computed (with explain).
	Attribution string `json:"attribution,omitempty"`
}

// Model is what the server serves: a trained model's predictions and explanations, stopped
// when their context ends (*sentimentlib.Predictor is one).
type Model interface {
	PredictContext(ctx context.Context, texts []string) ([]verdict.Prediction, error)
	ExplainContext(ctx context.Context, text string) (*verdict.Explanation, error)
	AttributionMethod() string // how Explain attributes, for the demo page
	Architecture() string
	Temperature() float64
}

// Server serves one model. Explanations, each some thirty forward passes, run in a bounded
// pool (ExplainWorkers at a time; a request that finds it full gets 503 with Retry-After), so
// that plain predictions keep their latency while explanations flood in.
type Server struct {
	p       Model
	model   string // shown by /healthz
	explain chan struct{}
	// working counts the requests doing model work now (/healthz's "working").
	working atomic.Int64
}

// ExplainWorkers is how many explain requests run at once: half the CPUs, at least one.
var ExplainWorkers = max(1, runtime.NumCPU()/2)

// New returns a server for a loaded model; name names it in /healthz.
func New(p Model, name string) *Server {
	return &Server{p: p, model: name, explain: make(chan struct{}, ExplainWorkers)}
}

// Handler routes /, /api/predict and /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.index)
	mux.HandleFunc("/api/predict", s.predict)
	mux.HandleFunc("/healthz", s.healthz)
	return mux
}

// HTTPServer wraps Handler with timeouts, so slow or stuck clients cannot hold connections.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{Addr: addr, Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 15 * time.Second, WriteTimeout: 2 * time.Minute, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, "no page "+r.URL.Path+": the demo is at /, the API at POST /api/predict")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" / : use GET")
		return
	}
	page, _ := static.ReadFile("static/index.html")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
	w.Write(page)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" /healthz: use GET")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "model": s.model,
		"architecture": s.p.Architecture(), "temperature": s.p.Temperature(), "working": s.working.Load()})
}

func (s *Server) predict(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" /api/predict: use POST with a JSON body")
		return
	}
	req, status, err := decode(w, r)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	texts := req.Texts
	if req.Text != "" {
		texts = append([]string{req.Text}, texts...)
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestBudget)
	defer cancel()
	s.working.Add(1)
	defer s.working.Add(-1)
	var resp Response
	if req.Explain {
		select {
		case s.explain <- struct{}{}:
			defer func() { <-s.explain }()
		default:
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("busy: %d explanations are being computed; retry in a second (predictions without explain are served at once)", cap(s.explain)))
			return
		}
		for _, t := range texts {
			e, err := s.p.ExplainContext(ctx, t)
			if err != nil {
				s.failed(w, ctx, "explain", err)
				return
			}
			resp.Predictions = append(resp.Predictions, Result{Label: e.Label, Probability: e.Probability, Words: e.Words, Truncated: e.Truncated, Unknown: e.Unknown})
		}
		resp.Attribution = s.p.AttributionMethod()
	} else {
		preds, err := s.p.PredictContext(ctx, texts)
		if err != nil {
			s.failed(w, ctx, "predict", err)
			return
		}
		for _, p := range preds {
			resp.Predictions = append(resp.Predictions, Result{Label: p.Label, Probability: p.Probability, Truncated: p.Truncated, Unknown: p.Unknown})
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// failed answers a request whose model work stopped: 503 past the time budget, nothing when
// the client has gone, else 500 with the error.
func (s *Server) failed(w http.ResponseWriter, ctx context.Context, what string, err error) {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("%s: over the %s budget of a request; send fewer or shorter texts", what, RequestBudget))
	case ctx.Err() != nil: // the client left: nobody reads an answer
	default:
		writeError(w, http.StatusInternalServerError, what+": "+err.Error())
	}
}

// decode reads and checks a request body; the status says which 4xx an error is.
func decode(w http.ResponseWriter, r *http.Request) (Request, int, error) {
	var req Request
	// The body is read as JSON whatever its Content-Type says, so `curl -d '{...}'` works.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d KiB: send fewer or shorter texts", MaxBodyBytes>>10)
		}
		return req, http.StatusBadRequest, fmt.Errorf("reading the body: %v", err)
	}
	if err := exactKeys(body); err != nil {
		return req, http.StatusBadRequest, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if errors.Is(err, io.EOF) {
			return req, http.StatusBadRequest, errors.New(`empty body: send {"text": "..."} or {"texts": ["...", ...]}`)
		}
		return req, http.StatusBadRequest, fmt.Errorf(`malformed JSON (%v): send {"text": "..."} or {"texts": ["...", ...]}, optionally with "explain": true`, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, http.StatusBadRequest, errors.New("malformed JSON: one object per request, and nothing after it")
	}
	n := len(req.Texts)
	if req.Text != "" {
		if strings.TrimSpace(req.Text) == "" {
			return req, http.StatusBadRequest, errors.New("text is blank: send a review")
		}
		n++
	}
	switch {
	case n == 0:
		return req, http.StatusBadRequest, errors.New(`no text: send {"text": "..."} or {"texts": ["...", ...]}`)
	case n > MaxTexts:
		return req, http.StatusBadRequest, fmt.Errorf("%d texts: at most %d per request", n, MaxTexts)
	case req.Explain && n > MaxExplainTexts:
		return req, http.StatusBadRequest, fmt.Errorf("%d texts with explain: at most %d per request (attributions cost about 30 forward passes each)", n, MaxExplainTexts)
	}
	for i, t := range req.Texts {
		if strings.TrimSpace(t) == "" {
			return req, http.StatusBadRequest, fmt.Errorf("texts[%d] is empty", i)
		}
		if !tokenize.Readable(t) {
			return req, http.StatusBadRequest, fmt.Errorf("texts[%d] has no readable words (no letter or digit): send a review", i)
		}
	}
	if req.Text != "" && !tokenize.Readable(req.Text) {
		return req, http.StatusBadRequest, errors.New("text has no readable words (no letter or digit): send a review")
	}
	return req, 0, nil
}

// requestKeys are the keys a request may have, spelled as Request's JSON tags.
var requestKeys = jsonfield.Names(Request{})

// exactKeys refuses a request object whose keys are not spelled exactly as Request's (Go's
// decoder matches {"TEXT": ...} to text) or that repeats one ({"text": "a", "text": "b"}: the
// decoder keeps the last). What is not an object is left to the decoder's message.
func exactKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return nil
		}
		switch {
		case !slices.Contains(requestKeys, key):
			return fmt.Errorf("unknown key %q: a request has %s, spelled so", key, strings.Join(requestKeys, ", "))
		case seen[key]:
			return fmt.Errorf("the key %q twice: send it once", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return nil
		}
	}
	return nil
}

// writeJSON answers v as JSON; v that cannot be encoded (a probability that is not a number)
// is a 500 that says so, never an empty body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"error": "the answer cannot be encoded: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
