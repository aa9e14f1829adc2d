package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testOptions(t *testing.T) Options {
	dir := t.TempDir()
	return Options{RepoRoot: "/repo", BinDir: filepath.Join(dir, "bin"), DataDir: filepath.Join(dir, "jupyter"),
		HFCache: "/data/hf-cache", Backend: "go", PathPrefix: []string{filepath.Join(dir, "bin"), "/go/bin"}, Path: "/go/bin:/usr/bin::/bin:/usr/bin"}
}

func TestSpecEnvironment(t *testing.T) {
	o := testOptions(t)
	s := Spec(o)
	if s.Argv[0] != filepath.Join(o.BinDir, "gonb") || s.Argv[1] != "--kernel" || s.Argv[2] != "{connection_file}" {
		t.Errorf("argv %v", s.Argv)
	}
	want := map[string]string{"GOTOOLCHAIN": "go1.27.4", "GOEXPERIMENT": "simd", "GOMLX_BACKEND": "go",
		"HF_HUB_CACHE": "/data/hf-cache", "PATH": o.BinDir + ":/go/bin:/usr/bin:/bin"}
	for k, v := range want {
		if s.Env[k] != v {
			t.Errorf("env %s=%q, want %q", k, s.Env[k], v)
		}
	}
	if s.Language != "go" || s.DisplayName != "Go (gonb)" {
		t.Errorf("spec %+v", s)
	}
	// Unset backend and cache stay unset: GoMLX and the Hugging Face defaults apply.
	o.Backend, o.HFCache = "", ""
	s = Spec(o)
	if _, ok := s.Env["GOMLX_BACKEND"]; ok {
		t.Error("GOMLX_BACKEND set without a backend")
	}
	if _, ok := s.Env["HF_HUB_CACHE"]; ok {
		t.Error("HF_HUB_CACHE set without a cache")
	}
}

// TestWriteSpecIdempotent: the first run writes kernel.json, the second changes nothing (same
// bytes, same modification time); another option rewrites it.
func TestWriteSpecIdempotent(t *testing.T) {
	o := testOptions(t)
	changed, err := WriteSpec(o)
	if err != nil || !changed {
		t.Fatalf("first write: changed=%v err=%v", changed, err)
	}
	path := filepath.Join(o.DataDir, "kernels", "gonb", "kernel.json")
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec KernelSpec
	if err := json.Unmarshal(first, &spec); err != nil {
		t.Fatalf("kernel.json is not JSON: %v", err)
	}
	if spec.Env["GOTOOLCHAIN"] != "go1.27.4" {
		t.Errorf("written spec %+v", spec)
	}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(path, past, past)
	changed, err = WriteSpec(o)
	if err != nil || changed {
		t.Fatalf("second write: changed=%v err=%v", changed, err)
	}
	second, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if !bytes.Equal(first, second) || !st.ModTime().Equal(past) {
		t.Error("a second run modified kernel.json")
	}
	o.Backend = "xla:cuda"
	if changed, err := WriteSpec(o); err != nil || !changed {
		t.Errorf("another backend: changed=%v err=%v", changed, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("kernel dir holds %d entries, want only kernel.json", len(entries))
	}
}

func TestParseBuildInfo(t *testing.T) {
	// `go version -m` of gonb built inside this module, and of goimports from go install.
	gonb := "/root/go/bin/gonb: go1.27.4\n\tpath\tgithub.com/janpfeifer/gonb\n\tmod\tgithub.com/sentiment-go/sentiment\t(devel)\t\n\tdep\tgithub.com/janpfeifer/gonb\tv0.11.5\th1:abc=\n\tbuild\tGOARCH=amd64\n"
	if v, gv := parseBuildInfo(gonb, gonbModule); v != "v0.11.5" || gv != "go1.27.4" {
		t.Errorf("gonb: %q %q", v, gv)
	}
	goimports := "/root/go/bin/goimports: go1.26.8\n\tpath\tgolang.org/x/tools/cmd/goimports\n\tmod\tgolang.org/x/tools\tv0.52.0\th1:x=\n"
	if v, gv := parseBuildInfo(goimports, "golang.org/x/tools"); v != "v0.52.0" || gv != "go1.26.8" {
		t.Errorf("goimports: %q %q", v, gv)
	}
	// Built with GOEXPERIMENT=simd (as make kernel builds): the same toolchain.
	for _, first := range []string{"go/bin/gonb: go1.27.4-X:simd", "go/bin/gonb: go1.27.4 X:simd"} {
		if _, gv := parseBuildInfo(first+"\n", gonbModule); gv != "go1.27.4" {
			t.Errorf("%q: Go version %q, want go1.27.4", first, gv)
		}
	}
	if v, _ := parseBuildInfo(goimports, gonbModule); v != "" {
		t.Errorf("module not in the binary: got %q", v)
	}
}

// TestCheckReportsMissingPieces runs --check against empty directories: it names each missing
// piece, fails, and writes nothing.
func TestCheckReportsMissingPieces(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	t.Setenv("PATH", os.Getenv("PATH")) // restored after the test
	err := run([]string{"--check", "--bin", filepath.Join(dir, "bin"), "--jupyter-data-dir", filepath.Join(dir, "jupyter"), "--no-gopls"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "go run ./kernelsetup") {
		t.Fatalf("check on an empty setup: err %v\n%s", err, out.String())
	}
	for _, s := range []string{"missing   gonb", "missing   goimports", "missing   kernel"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("check output lacks %q:\n%s", s, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "jupyter")); !os.IsNotExist(err) {
		t.Error("--check created the Jupyter directory")
	}
}

func TestJupyterHintNamesTheInstallCommand(t *testing.T) {
	for _, s := range []string{"apt-get install -y jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel", "pip install"} {
		if !strings.Contains(jupyterHint, s) {
			t.Errorf("hint lacks %q", s)
		}
	}
}

// TestReadyMessage: without the notebook server the setup does not claim the notebooks open in
// a browser, and names the package that does it.
func TestReadyMessage(t *testing.T) {
	if m := readyMessage(false, false); !strings.Contains(m, "apt-get install -y jupyter-notebook") || strings.HasPrefix(m, "ready: jupyter notebook") {
		t.Errorf("without jupyter-notebook: %q", m)
	}
	if m := readyMessage(true, false); !strings.HasPrefix(m, "ready: jupyter notebook notebooks/") {
		t.Errorf("with jupyter-notebook: %q", m)
	}
	// The notebook server refuses root without --allow-root: the command it prints has it.
	if m := readyMessage(true, true); !strings.HasPrefix(m, "ready: jupyter notebook --allow-root notebooks/") {
		t.Errorf("as root: %q", m)
	}
	if m := readyMessage(false, true); !strings.Contains(m, "then: jupyter notebook --allow-root notebooks/") {
		t.Errorf("as root, without jupyter-notebook: %q", m)
	}
}
