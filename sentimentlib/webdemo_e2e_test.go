//go:build onnx && e2e

package sentimentlib

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
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
	bctx := testkit.Browser(t, 900, 700, 90*time.Second)
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitEnabled(chromedp.ID("go"))); err != nil {
		status, _ := chromedp.Run(bctx, chromedp.Text(chromedp.ID("status")))
		t.Fatalf("the page did not start: %v (status %q)", err, status)
	}
	for _, review := range []string{
		"A wonderful film with a superb cast, though the ending was terrible.",
		"Two hours I will never get back. Dull, lifeless and far too long.",
	} {
		// The result of this review, not of the one before: the page sets data-logit anew.
		if _, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("result").dataset.logit = ""`)); err != nil {
			t.Fatal(err)
		}
		err := chromedp.Do(bctx,
			chromedp.SetValue(chromedp.ID("text"), review),
			chromedp.Click(chromedp.ID("go")),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.getElementById("result").dataset.logit !== ""`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("no result for %.40q: %v", review, err)
		}
		logitText, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("result").dataset.logit`))
		if err != nil {
			t.Fatal(err)
		}
		want, err := p.Logits(ctx, p.feat.EncodeAll([]string{review}))
		if err != nil {
			t.Fatal(err)
		}
		got, err := strconv.ParseFloat(logitText, 64)
		if err != nil || math.Abs(got-want[0]) > 1e-4 {
			t.Errorf("%.40q: the page's logit %q, ours %.6f", review, logitText, want[0])
		}
		label, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("label").textContent`))
		if err != nil {
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
	testkit.SaveArtifact(t, "web-demo.png", shot)
}
