// Package server is the web demo and JSON API of a trained model: an HTML page (served from the
// binary, no external resources) where a user types a review and sees the label, the
// probability and the words behind the decision, and POST /api/predict for programs.
package server

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sentiment-go/sentiment/sentimentlib/verdict"
)

// Limits of the API.
const (
	MaxBodyBytes    = 64 << 10 // larger bodies get 413
	MaxTexts        = 64       // texts per request
	MaxExplainTexts = 16       // texts per request when attributions are asked for
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
	Truncated   bool                      `json:"truncated,omitempty"`
	// Unknown: the text holds nothing the model knows; the probability is its prior.
	Unknown bool `json:"unknown,omitempty"`
}

// Response is the body of a successful POST /api/predict.
type Response struct {
	Predictions []Result `json:"predictions"`
	// Attribution says how the words' attributions were computed (with explain).
	Attribution string `json:"attribution,omitempty"`
}

// Model is what the server serves: a trained model's predictions and explanations
// (*sentimentlib.Predictor is one).
type Model interface {
	Predict(texts []string) ([]verdict.Prediction, error)
	Explain(text string) (*verdict.Explanation, error)
	AttributionMethod() string // how Explain attributes, for the demo page
	Architecture() string
	Temperature() float64
}

// Server serves one model.
type Server struct {
	p     Model
	model string // shown by /healthz
}

// New returns a server for a loaded model; name names it in /healthz.
func New(p Model, name string) *Server { return &Server{p: p, model: name} }

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
		"architecture": s.p.Architecture(), "temperature": s.p.Temperature()})
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
	var resp Response
	if req.Explain {
		for _, t := range texts {
			e, err := s.p.Explain(t)
			if err != nil {
				writeError(w, http.StatusInternalServerError, "explain: "+err.Error())
				return
			}
			resp.Predictions = append(resp.Predictions, Result{Label: e.Label, Probability: e.Probability, Words: e.Words, Truncated: e.Truncated, Unknown: e.Unknown})
		}
		resp.Attribution = s.p.AttributionMethod()
	} else {
		preds, err := s.p.Predict(texts)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "predict: "+err.Error())
			return
		}
		for _, p := range preds {
			resp.Predictions = append(resp.Predictions, Result{Label: p.Label, Probability: p.Probability, Unknown: p.Unknown})
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// decode reads and checks a request body; the status says which 4xx an error is.
func decode(w http.ResponseWriter, r *http.Request) (Request, int, error) {
	var req Request
	// The body is read as JSON whatever its Content-Type says, so `curl -d '{...}'` works.
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d KiB: send fewer or shorter texts", MaxBodyBytes>>10)
		}
		if errors.Is(err, io.EOF) {
			return req, http.StatusBadRequest, errors.New(`empty body: send {"text": "..."} or {"texts": ["...", ...]}`)
		}
		return req, http.StatusBadRequest, fmt.Errorf(`malformed JSON (%v): send {"text": "..."} or {"texts": ["...", ...]}, optionally with "explain": true`, err)
	}
	if dec.More() {
		return req, http.StatusBadRequest, errors.New("malformed JSON: one object per request")
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
	}
	return req, 0, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
