package verdict

import (
	"strings"
	"testing"
)

func TestHTMLAndTop(t *testing.T) {
	e := &Explanation{Words: []WordAttribution{{Word: "<b>", Attribution: 0.5}, {Word: "bad", Attribution: -1}, {Word: "fine", Attribution: 0.2}, {Word: "dull", Attribution: -0.3}}}
	html := e.HTML()
	if !strings.Contains(html, ">&lt;b&gt;</span>") || !strings.Contains(html, "rgba(213,94,0,0.85)") || !strings.Contains(html, "rgba(0,158,115,0.42)") {
		t.Errorf("HTML (escaping, colour scale): %s", html)
	}
	if top := e.Top("positive", 3); len(top) != 2 || top[0].Word != "<b>" || top[1].Word != "fine" {
		t.Errorf("Top(positive): %+v", top)
	}
	if top := e.Top("negative", 1); len(top) != 1 || top[0].Word != "bad" {
		t.Errorf("Top(negative, 1): %+v", top)
	}
	if p := New(0.5, false, true); p.Label != "positive" || !p.Truncated || New(0.49, true, false).Label != "negative" || !New(0.49, true, false).Unknown {
		t.Errorf("New: %+v", p)
	}
}
