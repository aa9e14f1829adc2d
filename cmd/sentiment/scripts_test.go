package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCUDAEnv: scripts/cuda-env.sh, sourced with the plugin where pip puts it, points
// GOMLX_BACKEND at it and the library path and XLA at the NVIDIA packages beside it; a missing
// plugin is an error that says how to get one.
func TestCUDAEnv(t *testing.T) {
	sp := filepath.Join(t.TempDir(), "lib", "python3.12", "site-packages")
	plugin := filepath.Join(sp, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	for _, d := range []string{filepath.Dir(plugin), filepath.Join(sp, "nvidia", "cu13", "lib"), filepath.Join(sp, "nvidia", "cudnn", "lib")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(plugin, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs("../../scripts/cuda-env.sh")
	source := func(pluginPath, backend string) (string, error) {
		cmd := exec.Command("bash", "-c", `. "$0" && printf '%s\n%s\n%s\n' "$GOMLX_BACKEND" "$LD_LIBRARY_PATH" "$XLA_FLAGS"`, script)
		cmd.Env = append(os.Environ(), "PJRT_CUDA_PLUGIN="+pluginPath, "GOMLX_BACKEND="+backend, "LD_LIBRARY_PATH=/opt/x", "XLA_FLAGS=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := source(plugin, "")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"xla:" + plugin,
		filepath.Join(sp, "nvidia", "cu13", "lib") + ":" + filepath.Join(sp, "nvidia", "cudnn", "lib") + ":/opt/x",
		"--xla_gpu_cuda_data_dir=" + filepath.Join(sp, "nvidia", "cu13"),
	}
	if len(lines) < 3 || lines[len(lines)-3] != want[0] || lines[len(lines)-2] != want[1] || strings.TrimSpace(lines[len(lines)-1]) != want[2] {
		t.Errorf("got\n%s\nwant the last lines\n%s", out, strings.Join(want, "\n"))
	}

	// A backend the user chose is kept.
	if out, err := source(plugin, "go"); err != nil || !strings.Contains(out, "\ngo\n") {
		t.Errorf("GOMLX_BACKEND=go not kept: %v: %s", err, out)
	}
	// No plugin: an error naming the fix.
	if out, err := source(filepath.Join(sp, "missing.so"), ""); err == nil || !strings.Contains(out, "jax[cuda13]") {
		t.Errorf("missing plugin: %v: %s", err, out)
	}
}

// TestReadmeProgramCompiles: the Go program in README.md ("As a Go library") compiles and
// passes go vet as pasted.
func TestReadmeProgramCompiles(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```go\n")
	program, _, closed := strings.Cut(rest, "```")
	if !ok || !closed || !strings.HasPrefix(program, "package main") {
		t.Fatalf("README.md has no complete Go program in a ```go block")
	}
	dir, err := os.MkdirTemp(".", "testdata-readme-") // inside the module, so that its imports resolve
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "vet", "./"+filepath.Join(dir, "main.go")).CombinedOutput(); err != nil {
		t.Errorf("README's program does not build: %v\n%s", err, out)
	}
}
