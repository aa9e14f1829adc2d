// Command kernelsetup installs and registers the GoNB Jupyter kernel for this project's
// notebooks, in one idempotent step:
//
//	go run ./kernelsetup           # install what is missing, write the kernel spec
//	go run ./kernelsetup --check   # report what is installed, change nothing
//
// It builds GoNB at the version go.mod pins (a tool dependency: the Go proxy refuses @latest
// for it), installs goimports and gopls at pinned versions, and writes the kernel spec
// (kernel.json) with the environment the notebooks need to build like the command line does:
// the Go 1.27 toolchain, GOEXPERIMENT=simd, the GoMLX backend and the Hugging Face cache.
// Jupyter itself is not installed here; when it is missing, kernelsetup prints the command.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

const (
	// Toolchain is the Go toolchain every build of this project uses (go.mod's toolchain line).
	Toolchain = "go1.27.4"
	// KernelName is the kernel's name in Jupyter (notebooks' metadata.kernelspec.name).
	KernelName = "gonb"
	gonbModule = "github.com/janpfeifer/gonb"
)

// tool is a binary the kernel needs, at a pinned version.
type tool struct {
	name    string // binary name
	module  string // module whose version identifies the build (go version -m)
	version string // pinned version; "" means go.mod's
	pkg     string // package to build
}

// tools returns the binaries to install; gonbVersion comes from go.mod.
func tools(gonbVersion string, withGopls bool) []tool {
	t := []tool{
		{name: "gonb", module: gonbModule, version: gonbVersion, pkg: gonbModule},
		// goimports runs on every cell; built with Go 1.27 so it parses Go 1.27 code.
		{name: "goimports", module: "golang.org/x/tools", version: "v0.52.0", pkg: "golang.org/x/tools/cmd/goimports"},
	}
	if withGopls { // auto-complete and hover in Jupyter; not needed to execute notebooks
		t = append(t, tool{name: "gopls", module: "golang.org/x/tools/gopls", version: "v0.23.0", pkg: "golang.org/x/tools/gopls"})
	}
	return t
}

// Options are the command's flags, resolved.
type Options struct {
	Check      bool
	RepoRoot   string // the module root (where go.mod is)
	BinDir     string // where binaries go
	DataDir    string // Jupyter data dir; the spec goes to DataDir/kernels/gonb
	HFCache    string // Hugging Face hub cache for the notebooks ("" to leave unset)
	Backend    string // GOMLX_BACKEND for the notebooks ("" to leave unset)
	WithGopls  bool
	PathPrefix []string // directories put before Path in the kernel's environment
	Path       string   // $PATH at setup time
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kernelsetup:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kernelsetup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	checkOnly := fs.Bool("check", false, "report what is installed; change nothing")
	bin := fs.String("bin", "", "directory for gonb, goimports and gopls (default $(go env GOPATH)/bin)")
	dataDir := fs.String("jupyter-data-dir", "", "Jupyter data directory (default $JUPYTER_DATA_DIR, else ~/.local/share/jupyter)")
	hfCache := fs.String("hf-cache", "", "Hugging Face hub cache the notebooks read (default $HF_HUB_CACHE, $HF_HOME/hub, else ../shared/hf-cache when it exists)")
	backend := fs.String("backend", os.Getenv("GOMLX_BACKEND"), "GOMLX_BACKEND for the notebooks: go (CPU) or xla:cuda (GPU); empty: GoMLX's default")
	noGopls := fs.Bool("no-gopls", false, "skip gopls (auto-complete only; notebooks execute without it)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	opts, err := resolve(*checkOnly, *bin, *dataDir, *hfCache, *backend, !*noGopls)
	if err != nil {
		return err
	}
	if opts.Check {
		return check(opts, stdout)
	}
	return install(opts, stdout)
}

// resolve fills the defaults of the options from the environment and the go command.
func resolve(check bool, bin, dataDir, hfCache, backend string, withGopls bool) (Options, error) {
	o := Options{Check: check, BinDir: bin, DataDir: dataDir, HFCache: hfCache, Backend: backend, WithGopls: withGopls,
		Path: os.Getenv("PATH")}
	gomod, err := goEnv("GOMOD")
	if err != nil {
		return o, err
	}
	if gomod == "" || gomod == os.DevNull {
		return o, errors.New("run kernelsetup inside the project (the directory of go.mod): go run ./kernelsetup")
	}
	o.RepoRoot = filepath.Dir(gomod)
	if o.BinDir == "" {
		gopath, err := goEnv("GOPATH")
		if err != nil {
			return o, err
		}
		o.BinDir = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin")
	}
	if o.DataDir == "" {
		o.DataDir = defaultDataDir()
	}
	if o.HFCache == "" {
		o.HFCache = defaultHFCache(o.RepoRoot)
	}
	if o.HFCache != "" {
		if o.HFCache, err = filepath.Abs(o.HFCache); err != nil {
			return o, err
		}
	}
	if o.BinDir, err = filepath.Abs(o.BinDir); err != nil {
		return o, err
	}
	goroot, err := goEnv("GOROOT")
	if err != nil {
		return o, err
	}
	// The kernel finds gonb's helpers (goimports, gopls) and go itself on its PATH.
	o.PathPrefix = []string{o.BinDir, filepath.Join(goroot, "bin")}
	return o, nil
}

// defaultDataDir is Jupyter's user data directory, as jupyter_core computes it on Linux/macOS.
func defaultDataDir() string {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Jupyter")
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "jupyter")
	}
	return filepath.Join(home, ".local", "share", "jupyter")
}

// defaultHFCache follows the Hugging Face library's order, then the project's shared cache.
func defaultHFCache(repoRoot string) string {
	if v := os.Getenv("HF_HUB_CACHE"); v != "" {
		return v
	}
	if v := os.Getenv("HF_HOME"); v != "" {
		return filepath.Join(v, "hub")
	}
	shared := filepath.Join(repoRoot, "..", "shared", "hf-cache")
	if st, err := os.Stat(shared); err == nil && st.IsDir() {
		return shared
	}
	return "" // the library's own default (~/.cache/huggingface/hub), downloading when needed
}

// KernelSpec is Jupyter's kernel.json.
type KernelSpec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
}

// Spec returns the kernel spec for the options.
func Spec(o Options) KernelSpec {
	env := map[string]string{
		"GOTOOLCHAIN":  Toolchain, // go.mod needs Go 1.27; a machine's own go may be older
		"GOEXPERIMENT": "simd",    // GoMLX's AVX2/AVX-512 kernels, as `make` builds the CLI
		// The PATH of the setup, with the tools' directories first (Jupyter does not expand
		// variables in kernel.json).
		"PATH": joinPath(append(append([]string{}, o.PathPrefix...), filepath.SplitList(o.Path)...)),
	}
	if o.Backend != "" {
		env["GOMLX_BACKEND"] = o.Backend
	}
	if o.HFCache != "" {
		env["HF_HUB_CACHE"] = o.HFCache
	}
	return KernelSpec{
		// klog goes to files (GoNB writes a test "Error message" line at startup that would otherwise
		// show in every nbconvert log); cell errors still reach the notebook.
		Argv:          []string{filepath.Join(o.BinDir, "gonb"), "--kernel", "{connection_file}", "--logtostderr=false", "--stderrthreshold=FATAL"},
		DisplayName:   "Go (gonb)",
		Language:      "go",
		InterruptMode: "message",
		Env:           env,
	}
}

// joinPath joins directories into a PATH value, dropping empty and repeated entries.
func joinPath(dirs []string) string {
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return strings.Join(out, string(os.PathListSeparator))
}

// specPath is where the kernel spec lives.
func specPath(o Options) string {
	return filepath.Join(o.DataDir, "kernels", KernelName, "kernel.json")
}

// WriteSpec writes the kernel spec unless the file already holds exactly it; it reports whether
// it wrote.
func WriteSpec(o Options) (bool, error) {
	b, err := json.MarshalIndent(Spec(o), "", "  ")
	if err != nil {
		return false, err
	}
	b = append(b, '\n')
	path := specPath(o)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, fmt.Errorf("cannot create the kernel directory: %w (choose another with --jupyter-data-dir)", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, path)
}

// installed returns the version of module that the binary at path was built from, and the Go
// version it was built with ("" when the binary is missing or unreadable).
func installed(path, module string) (version, goVersion string) {
	out, err := exec.Command(goBin(), "version", "-m", path).Output()
	if err != nil {
		return "", ""
	}
	return parseBuildInfo(string(out), module)
}

// parseBuildInfo reads `go version -m` output: the first line holds the Go version, its
// experiments (GOEXPERIMENT, written "-X:simd" or " X:simd") left out, since they do not change
// which toolchain built the tool; the module is the main module ("mod") or a dependency ("dep").
func parseBuildInfo(out, module string) (version, goVersion string) {
	lines := strings.Split(out, "\n")
	_, first, _ := strings.Cut(lines[0], ": ") // "PATH: go1.27.4-X:simd"
	if f := strings.Fields(first); len(f) > 0 {
		goVersion, _, _ = strings.Cut(f[0], "-X:")
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) >= 3 && (f[0] == "mod" || f[0] == "dep") && f[1] == module {
			version = f[2]
		}
	}
	return
}

// moduleVersion is the version go.mod requires of module.
func moduleVersion(repoRoot, module string) (string, error) {
	cmd := exec.Command(goBin(), "list", "-m", "-f", "{{.Version}}", module)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+Toolchain)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w (is it in go.mod? `go get -tool %s@VERSION`)", module, errText(err), module)
	}
	return strings.TrimSpace(string(out)), nil
}

// build installs t into binDir with the pinned toolchain. GoNB is built inside the project
// module (its version comes from go.mod); the others with `go install pkg@version`.
func build(o Options, t tool) error {
	var cmd *exec.Cmd
	if t.module == gonbModule {
		cmd = exec.Command(goBin(), "build", "-o", filepath.Join(o.BinDir, t.name), t.pkg)
		cmd.Dir = o.RepoRoot
	} else {
		cmd = exec.Command(goBin(), "install", t.pkg+"@"+t.version)
		cmd.Dir = os.TempDir() // outside the module: go install pkg@version ignores go.mod
	}
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+Toolchain, "GOBIN="+o.BinDir, "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := os.MkdirAll(o.BinDir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w (choose another with --bin)", o.BinDir, err)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s %s: %v\n%s", t.name, t.version, err, stderr.String())
	}
	return nil
}

// jupyterHint is what to run when Jupyter is missing.
const jupyterHint = `Jupyter is not installed. Install it, then run kernelsetup again:
  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel
  elsewhere:     python3 -m pip install jupyterlab nbconvert nbclient`

// notebookPresent reports whether Jupyter's notebook server (jupyter notebook) is installed:
// executing the notebooks needs only nbconvert, opening them in a browser needs it.
func notebookPresent() bool {
	_, err := exec.LookPath("jupyter-notebook")
	return err == nil
}

// readyMessage is the last word of a setup: how to open or execute the notebooks, and how to
// install the notebook server when it is missing. root: the user is root, whom the notebook
// server refuses without --allow-root.
func readyMessage(notebook, root bool) string {
	run := fmt.Sprintf("jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=%s notebooks/01-data.ipynb", KernelName)
	open := "jupyter notebook notebooks/"
	if root {
		open = "jupyter notebook --allow-root notebooks/"
	}
	if !notebook {
		return "ready to execute the notebooks:\n  " + run + "\nto open them in a browser, install the notebook server first (Debian: sudo apt-get install -y jupyter-notebook), then: " + open + "\n"
	}
	return "ready: " + open + " (then pick the \"Go (gonb)\" kernel), or execute them with\n  " + run + "\n"
}

func jupyterPresent() (string, bool) {
	p, err := exec.LookPath("jupyter")
	if err != nil {
		return "", false
	}
	out, err := exec.Command(p, "--version").CombinedOutput()
	if err != nil {
		return p, false
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "nbclient") || strings.HasPrefix(strings.TrimSpace(l), "jupyter_core") {
			return p + " (" + strings.TrimSpace(l) + ")", true
		}
	}
	return p, true
}

func install(o Options, stdout io.Writer) error {
	gonbVersion, err := moduleVersion(o.RepoRoot, gonbModule)
	if err != nil {
		return err
	}
	for _, t := range tools(gonbVersion, o.WithGopls) {
		path := filepath.Join(o.BinDir, t.name)
		if v, gv := installed(path, t.module); v == t.version && gv == Toolchain {
			fmt.Fprintf(stdout, "ok        %-9s %s (%s)\n", t.name, t.version, path)
			continue
		}
		fmt.Fprintf(stdout, "building  %-9s %s with %s ...\n", t.name, t.version, Toolchain)
		if err := build(o, t); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "installed %-9s %s (%s)\n", t.name, t.version, path)
	}
	changed, err := WriteSpec(o)
	if err != nil {
		return err
	}
	state := "unchanged"
	if changed {
		state = "written"
	}
	fmt.Fprintf(stdout, "%-9s kernel    %q: %s\n", state, KernelName, specPath(o))
	printEnv(o, stdout)
	if _, ok := jupyterPresent(); !ok {
		return errors.New(jupyterHint)
	}
	fmt.Fprint(stdout, readyMessage(notebookPresent(), os.Geteuid() == 0))
	return nil
}

func printEnv(o Options, w io.Writer) {
	spec := Spec(o)
	for _, k := range []string{"GOTOOLCHAIN", "GOEXPERIMENT", "GOMLX_BACKEND", "HF_HUB_CACHE"} {
		v, ok := spec.Env[k]
		if !ok {
			v = "(unset: GoMLX / Hugging Face default)"
		}
		fmt.Fprintf(w, "          env %-13s %s\n", k, v)
	}
}

// check reports the state of every piece without changing anything; it fails when one is
// missing or stale.
func check(o Options, stdout io.Writer) error {
	var problems []string
	gonbVersion, err := moduleVersion(o.RepoRoot, gonbModule)
	if err != nil {
		return err
	}
	for _, t := range tools(gonbVersion, o.WithGopls) {
		path := filepath.Join(o.BinDir, t.name)
		v, gv := installed(path, t.module)
		switch {
		case v == "":
			fmt.Fprintf(stdout, "missing   %-9s want %s at %s\n", t.name, t.version, path)
			problems = append(problems, t.name+" missing")
		case v != t.version || gv != Toolchain:
			fmt.Fprintf(stdout, "stale     %-9s %s built with %s; want %s with %s\n", t.name, v, gv, t.version, Toolchain)
			problems = append(problems, t.name+" stale")
		default:
			fmt.Fprintf(stdout, "ok        %-9s %s (%s)\n", t.name, v, path)
		}
	}
	want, _ := json.MarshalIndent(Spec(o), "", "  ")
	old, err := os.ReadFile(specPath(o))
	switch {
	case err != nil:
		fmt.Fprintf(stdout, "missing   kernel    %s\n", specPath(o))
		problems = append(problems, "kernel spec missing")
	case !bytes.Equal(bytes.TrimSpace(old), bytes.TrimSpace(want)):
		fmt.Fprintf(stdout, "differs   kernel    %s (another setup wrote it)\n", specPath(o))
		problems = append(problems, "kernel spec differs")
	default:
		fmt.Fprintf(stdout, "ok        kernel    %s\n", specPath(o))
	}
	printEnv(o, stdout)
	if p, ok := jupyterPresent(); ok {
		fmt.Fprintf(stdout, "ok        jupyter   %s\n", p)
	} else {
		fmt.Fprintln(stdout, "missing   jupyter")
		problems = append(problems, "jupyter missing")
	}
	if len(problems) > 0 {
		return fmt.Errorf("not ready (%s): run `go run ./kernelsetup` to fix", strings.Join(problems, ", "))
	}
	fmt.Fprintln(stdout, "ready")
	return nil
}

func goEnv(name string) (string, error) {
	cmd := exec.Command(goBin(), "env", name)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+Toolchain)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, errText(err))
	}
	return strings.TrimSpace(string(out)), nil
}

// goBin is the go command: the one running us (go run) when found, else the one on PATH.
func goBin() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func errText(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}
