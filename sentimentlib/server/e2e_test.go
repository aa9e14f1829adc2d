//go:build e2e

// The browser test: `go test -tags e2e ./sentimentlib/server/` (make check runs it; CI installs
// Debian's chromium first). It needs a Chromium or Chrome binary: $CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH.

package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/testkit"
)

// TestBrowserDemo loads the page in headless Chromium, types a review, submits it, and checks
// the rendered label, probability bar and highlighted words; it saves a screenshot to
// $E2E_ARTIFACTS (default: the test's temporary directory). $E2E_MODEL serves a real model
// directory instead of the tiny test model (for README's screenshot).
func TestBrowserDemo(t *testing.T) {
	srv := serverFromEnv(t, "E2E_MODEL")
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	ctx := testkit.Browser(t, 900, 800, 60*time.Second)

	review := "A wonderful film with a superb cast, though the ending was terrible."
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("text")),
		chromedp.SendKeys(chromedp.ID("text"), review),
		chromedp.Click(chromedp.ID("go")),
		chromedp.WaitVisible(chromedp.ID("result")),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	label, err1 := chromedp.Run(ctx, chromedp.Text(chromedp.ID("label")))
	prob, err2 := chromedp.Run(ctx, chromedp.Text(chromedp.ID("prob")))
	barWidth, err3 := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("barpos").style.width`))
	words, err4 := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#words span")).map(s => s.textContent)`))
	shot, err5 := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	for _, err := range []error{err1, err2, err3, err4, err5} {
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
	}
	// The page shows what the API says for the same text.
	want, err := srv.p.ExplainContext(context.Background(), review)
	if err != nil {
		t.Fatal(err)
	}
	if label != want.Label || !strings.Contains(prob, "p(positive) = ") || !strings.HasSuffix(barWidth, "%") {
		t.Errorf("rendered label %q, %q, bar %q; the API says %s %.3f", label, prob, barWidth, want.Label, want.Probability)
	}
	if got := strings.Join(words, " "); got != "a wonderful film with a superb cast , though the ending was terrible ." {
		t.Errorf("highlighted words %q", got)
	}
	testkit.SaveArtifact(t, "demo.png", shot)

	// An error from the API is shown to the user, not swallowed.
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("text"), "   "),
		chromedp.Click(chromedp.ID("go")),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("error").textContent.length > 0`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("no error shown for a blank review: %v", err)
	}
	errText, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("error")))
	if err != nil || !strings.Contains(errText, "Error") {
		t.Errorf("blank review: error %v, shown %q", err, errText)
	}
}
