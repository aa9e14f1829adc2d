package imdb

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

const fixture = "../../data/hf-cache"

func loadFixture(t *testing.T, opts Options) *Data {
	t.Helper()
	opts.CacheDir = fixture
	opts.Offline = true
	d, err := Load(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSplitSizesAndStratification(t *testing.T) {
	d := loadFixture(t, Options{})
	// The fixture's train split has 150 negative and 150 positive reviews: 10% of each is held out.
	if len(d.Train) != 270 || len(d.Validation) != 30 || len(d.Test) != 100 || len(d.Unsupervised) != 60 {
		t.Fatalf("sizes train %d validation %d test %d unsupervised %d, want 270/30/100/60",
			len(d.Train), len(d.Validation), len(d.Test), len(d.Unsupervised))
	}
	for name, s := range map[string][]Review{"train": d.Train, "validation": d.Validation, "test": d.Test} {
		neg, pos := CountLabels(s)
		if neg != pos {
			t.Errorf("%s: %d negative vs %d positive, want balanced", name, neg, pos)
		}
	}
	// Shuffled: the first 20 training reviews are not all of one label.
	neg, pos := CountLabels(d.Train[:20])
	if neg == 0 || pos == 0 {
		t.Errorf("training split is not shuffled: first 20 reviews have %d neg / %d pos", neg, pos)
	}
	for _, r := range d.Unsupervised {
		if r.Label != Unlabeled {
			t.Fatalf("unsupervised review %d has label %d", r.Index, r.Label)
		}
	}
}

func TestStratifiedSplitExactCounts(t *testing.T) {
	// 900 negative, 100 positive: 20% validation must hold 180 negative and 20 positive.
	var reviews []Review
	for i := range 1000 {
		reviews = append(reviews, Review{Text: "x", Label: min(1, i/900), Index: i})
	}
	train, val, err := StratifiedSplit(reviews, 0.2, 3)
	if err != nil {
		t.Fatal(err)
	}
	vn, vp := CountLabels(val)
	tn, tp := CountLabels(train)
	if vn != 180 || vp != 20 || tn != 720 || tp != 80 {
		t.Errorf("validation %d/%d train %d/%d, want 180/20 and 720/80", vn, vp, tn, tp)
	}
	if _, _, err := StratifiedSplit([]Review{{Label: -1}}, 0.1, 1); err == nil {
		t.Error("unlabelled reviews must not enter a supervised split")
	}
}

func indices(rs []Review) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Index
	}
	slices.Sort(out)
	return out
}

func TestSeedReproducibility(t *testing.T) {
	a := loadFixture(t, Options{Seed: 5})
	b := loadFixture(t, Options{Seed: 5})
	c := loadFixture(t, Options{Seed: 6})
	if !slices.Equal(indices(a.Validation), indices(b.Validation)) || !slices.EqualFunc(a.Train, b.Train, func(x, y Review) bool { return x.Index == y.Index }) {
		t.Error("the same seed gave different splits")
	}
	if slices.Equal(indices(a.Validation), indices(c.Validation)) {
		t.Error("different seeds gave the same validation split")
	}
}

func TestNoReviewInTwoSplits(t *testing.T) {
	d := loadFixture(t, Options{})
	trainIdx := indices(d.Train)
	for _, i := range indices(d.Validation) {
		if _, found := slices.BinarySearch(trainIdx, i); found {
			t.Fatalf("review %d is in both train and validation", i)
		}
	}
	all := append(indices(d.Train), indices(d.Validation)...)
	slices.Sort(all)
	for i, idx := range all {
		if idx != i {
			t.Fatalf("train+validation do not cover the source train split exactly once (at %d got %d)", i, idx)
		}
	}
	seen := map[string]string{}
	for name, s := range map[string][]Review{"train": d.Train, "validation": d.Validation, "test": d.Test, "unsupervised": d.Unsupervised} {
		for _, r := range s {
			if other, dup := seen[r.Text]; dup && other != name {
				t.Fatalf("the same review text is in %s and %s", other, name)
			}
			seen[r.Text] = name
		}
	}
}

func TestResolveCacheDir(t *testing.T) {
	t.Setenv("HF_HUB_CACHE", "/hubcache")
	t.Setenv("HF_HOME", "/hfhome")
	if got := ResolveCacheDir("/flag"); got != "/flag" {
		t.Errorf("flag: got %q", got)
	}
	if got := ResolveCacheDir(""); got != "/hubcache" {
		t.Errorf("HF_HUB_CACHE: got %q", got)
	}
	t.Setenv("HF_HUB_CACHE", "")
	if got := ResolveCacheDir(""); got != filepath.Join("/hfhome", "hub") {
		t.Errorf("HF_HOME: got %q", got)
	}
	t.Setenv("HF_HOME", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if got := ResolveCacheDir(""); got != "/xdg/huggingface/hub" {
		t.Errorf("default: got %q", got)
	}
}

func TestMissingCacheOffline(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(context.Background(), Options{CacheDir: dir, Offline: true})
	if err == nil {
		t.Fatal("want an error for an empty cache")
	}
	for _, want := range []string{dir, "--hf-cache", "HF_HUB_CACHE", "HF_HOME"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	t.Setenv("HF_HUB_OFFLINE", "1")
	if _, err := Load(context.Background(), Options{CacheDir: dir}); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Errorf("HF_HUB_OFFLINE=1: want an offline error, got %v", err)
	}
}

// copyFixture copies the fixture cache to a temporary directory and returns the path of the
// train parquet file in the copy.
func copyFixture(t *testing.T) (cache, trainFile string) {
	cache = t.TempDir()
	err := os.CopyFS(cache, os.DirFS(fixture))
	if err != nil {
		t.Fatal(err)
	}
	return cache, filepath.Join(cache, "datasets--stanfordnlp--imdb", "parquet", Config, SplitTrain, "0000.parquet")
}

func TestCorruptParquet(t *testing.T) {
	for name, mangle := range map[string]func([]byte) []byte{
		"truncated": func(b []byte) []byte { return b[:len(b)/2] },
		"garbage":   func(b []byte) []byte { return []byte("this is not a parquet file at all") },
		"flipped": func(b []byte) []byte {
			b = slices.Clone(b)
			for i := 200; i < len(b)-200; i += 97 {
				b[i] ^= 0xff
			}
			return b
		},
	} {
		t.Run(name, func(t *testing.T) {
			cache, file := copyFixture(t)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, mangle(data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Load(context.Background(), Options{CacheDir: cache, Offline: true})
			if err == nil {
				t.Fatal("want an error for a corrupt parquet file")
			}
			if !strings.Contains(err.Error(), file) {
				t.Errorf("error %q does not name the file %s", err, file)
			}
		})
	}
}

func TestWrongColumns(t *testing.T) {
	type wrongRow struct {
		Review string `parquet:"review"`
		Label  int64  `parquet:"label"`
	}
	cache, file := copyFixture(t)
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[wrongRow](f)
	if _, err := w.Write([]wrongRow{{"great", 1}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(context.Background(), Options{CacheDir: cache, Offline: true})
	if err == nil || !strings.Contains(err.Error(), `"text"`) || !strings.Contains(err.Error(), file) {
		t.Errorf("error %v should name the missing column \"text\" and the file", err)
	}
}
