package webdemo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWrite: without the npm packages it says which file is missing and how to get it; with
// them it writes the page and copies each runtime file as it is.
func TestWrite(t *testing.T) {
	nm := t.TempDir()
	if err := Write(t.TempDir(), nm); err == nil || !strings.Contains(err.Error(), "ort.wasm.min.mjs is missing") || !strings.Contains(err.Error(), "make build-onnx") {
		t.Errorf("without node_modules: %v", err)
	}
	for _, f := range Runtime {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(nm, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(nm, f), []byte("content of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "web")
	if err := Write(out, nm); err != nil {
		t.Fatal(err)
	}
	for _, f := range Runtime {
		if b, err := os.ReadFile(filepath.Join(out, filepath.Base(f))); err != nil || string(b) != "content of "+f {
			t.Errorf("%s: %q, %v", f, b, err)
		}
	}
	html, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil || !strings.Contains(string(html), `src="demo.mjs"`) {
		t.Errorf("index.html: %v", err)
	}
	js, err := os.ReadFile(filepath.Join(out, "demo.mjs"))
	if err != nil || !strings.Contains(string(js), `"./ort.wasm.min.mjs"`) || !strings.Contains(string(js), `"./tokenizers.mjs"`) || !strings.Contains(string(js), `"./ids.mjs"`) {
		t.Errorf("demo.mjs does not load the runtime files it is given: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "ids.mjs")); err != nil {
		t.Errorf("the page's ids.mjs: %v", err)
	}
}
