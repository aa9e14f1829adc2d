//go:build onnx && e2e

package sentimentlib

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/testkit"
)

// TestWebDemoInBrowser: the page that `sentiment export --web` writes, served as static files,
// classifies typed reviews in headless Chromium (ONNX Runtime Web, @huggingface/tokenizers)
// with our logit within 1e-4 and our label; it saves a screenshot to $E2E_ARTIFACTS (default:
// the test's temporary directory). make onnx-check runs it; $E2E_MODEL runs a real model.
func TestWebDemoInBrowser(t *testing.T) {
	ctx := context.Background()
	dir := os.Getenv("E2E_MODEL") // a real run instead of the tiny model (for the docs' screenshot)
	if dir == "" {
		dir = t.TempDir()
		if _, err := Train(ctx, tinyConfig(t), dir, nil); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	web := t.TempDir()
	if _, err := p.ExportWeb(web, "../bench/onnx/node_modules"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.FileServer(http.Dir(web)))
	defer ts.Close()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(testkit.Chromium(t)),
		chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(900, 700))
	allocCtx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitEnabled(chromedp.ID("go"))); err != nil {
		status, _ := chromedp.Run(bctx, chromedp.Text(chromedp.ID("status")))
		t.Fatalf("the page did not start: %v (status %q)", err, status)
	}
	for _, review := range []string{
		"A wonderful film with a superb cast, though the ending was terrible.",
		"Two hours I will never get back. Dull, lifeless and far too long.",
	} {
		err := chromedp.Do(bctx,
			chromedp.SetValue(chromedp.ID("text"), review),
			chromedp.Click(chromedp.ID("go")),
			chromedp.WaitVisible(chromedp.ID("result")),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		// The result of this review, not the previous one: wait until the logit attribute changes.
		var logitText, label string
		want, err := p.Logits(ctx, p.feat.EncodeAll([]string{review}))
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			logitText, err = chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("result").dataset.logit`))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := strconv.ParseFloat(logitText, 64); err == nil && math.Abs(got-want[0]) <= 1e-4 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		got, err := strconv.ParseFloat(logitText, 64)
		if err != nil || math.Abs(got-want[0]) > 1e-4 {
			t.Errorf("%.40q: the page's logit %q, ours %.6f", review, logitText, want[0])
		}
		if label, err = chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("label").textContent`)); err != nil {
			t.Fatal(err)
		}
		preds, _ := p.Predict([]string{review})
		if label != preds[0].Label {
			t.Errorf("%.40q: the page says %q, we say %q", review, label, preds[0].Label)
		}
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("E2E_ARTIFACTS")
	if out == "" {
		out = t.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "web-demo.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
