package imdb

import (
	"context"
	"math"
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
	t.Chdir(t.TempDir()) // no shared/hf-cache around: the default, to download into
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
	for _, want := range []string{dir, "the IMDB dataset is not in the Hugging Face cache", "--hf-cache", "DataConfig.CacheDir", "HF_HUB_CACHE", "HF_HOME"} {
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

// TestBlockSplit: the same per-label counts as StratifiedSplit; every review exactly once; the
// validation reviews of each label form runs of consecutive indices that start on a multiple
// of the block (counted within the label), at most one of them cut short; the split is
// reproducible from the seed and changes with it; Load uses it when ValidationBlock is set.
func TestBlockSplit(t *testing.T) {
	var reviews []Review
	for i := range 2000 { // 1,500 negative then 500 positive, in the source order
		reviews = append(reviews, Review{Text: "x", Label: min(1, i/1500), Index: i})
	}
	const block = 40
	train, val, err := BlockSplit(reviews, 0.1, block, 7)
	if err != nil {
		t.Fatal(err)
	}
	vn, vp := CountLabels(val)
	tn, tp := CountLabels(train)
	if vn != 150 || vp != 50 || tn != 1350 || tp != 450 {
		t.Errorf("validation %d/%d train %d/%d, want 150/50 and 1350/450", vn, vp, tn, tp)
	}
	all := append(indices(train), indices(val)...)
	slices.Sort(all)
	for i, idx := range all {
		if idx != i {
			t.Fatalf("review %d appears %s", i, map[bool]string{true: "twice", false: "in neither split"}[idx < i])
		}
	}
	// Runs within each label: negatives are indices 0..1499, positives 1500..1999.
	for label, span := range [][2]int{{0, 1500}, {1500, 500}} {
		first, last := span[0], span[1]-1 // the label's first index, and its last one counted within the label
		var idx []int
		for _, r := range val {
			if r.Label == label {
				idx = append(idx, r.Index-first)
			}
		}
		slices.Sort(idx)
		short := 0
		for start := 0; start < len(idx); {
			end := start + 1
			for end < len(idx) && idx[end] == idx[end-1]+1 && idx[end]%block != 0 {
				end++
			}
			if idx[start]%block != 0 {
				t.Errorf("label %d: a validation run starts at %d, not at a block boundary", label, idx[start])
			}
			if n := end - start; n != block && idx[end-1] != last { // the label's last run may be short
				short++
			}
			start = end
		}
		if short > 1 {
			t.Errorf("label %d: %d validation runs shorter than the block, want at most 1", label, short)
		}
	}
	_, again, _ := BlockSplit(reviews, 0.1, block, 7)
	_, other, _ := BlockSplit(reviews, 0.1, block, 8)
	if !slices.Equal(indices(val), indices(again)) || slices.Equal(indices(val), indices(other)) {
		t.Error("BlockSplit: the same seed must give the same split, another seed another one")
	}
	if _, _, err := BlockSplit(reviews, 0.1, 0, 7); err == nil || !strings.Contains(err.Error(), "block") {
		t.Errorf("block 0: error %v, want one naming the block", err)
	}

	d := loadFixture(t, Options{ValidationBlock: 3})
	want, wantVal, err := BlockSplit(append(append([]Review{}, d.Train...), d.Validation...), d.ValidationFraction, 3, d.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if d.ValidationBlock != 3 || !slices.Equal(indices(d.Validation), indices(wantVal)) || len(d.Train) != len(want) {
		t.Errorf("Load with ValidationBlock 3 did not use BlockSplit (validation %v, want %v)", indices(d.Validation), indices(wantVal))
	}
}

// TestNeighbourSharing on eleven reviews written out: "zebra", "common" and "quokka" are each in
// two reviews (rare), "film", in all eleven, is too common, and "ox" is too short.
func TestNeighbourSharing(t *testing.T) {
	texts := []string{"zebra film ox", "Zebra! film ox", "common film", "common film", "quokka film", "quokka film",
		"film", "film", "film", "film", "film"}
	labels := []int{0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1}
	var reviews []Review
	for i := range texts {
		reviews = append(reviews, Review{Text: texts[i], Label: labels[i], Index: 10 + i})
	}
	slices.Reverse(reviews) // the source order comes from Index, not the slice order
	// Distance 1: same-label pairs (0,1) (1,2) (2,3) (6,7) (7,8) (8,9) (9,10); (0,1) shares zebra,
	// (2,3) shares common; (4,5) share quokka but differ in label. 2 of 7.
	if got := NeighbourSharing(reviews, 1)[0]; math.Abs(got-2.0/7) > 1e-12 {
		t.Errorf("distance 1: %v, want 2/7", got)
	}
	// Distance 2: same-label pairs (0,2) (1,3) (3,5) (4,6) (6,8) (7,9) (8,10); none shares a rare word.
	if got := NeighbourSharing(reviews, 2)[0]; got != 0 {
		t.Errorf("distance 2: %v, want 0", got)
	}
}

// TestLoadRefusesANegativeBlock before reading anything (the cache directory is empty).
func TestLoadRefusesANegativeBlock(t *testing.T) {
	_, err := Load(context.Background(), Options{CacheDir: t.TempDir(), Offline: true, ValidationBlock: -1})
	if err == nil || !strings.Contains(err.Error(), "validation block -1") {
		t.Errorf("ValidationBlock -1: %v, want an error naming it", err)
	}
}

// TestResolveCacheDirFindsSharedCache: with no flag, no HF_HUB_CACHE or HF_HOME and a default
// cache without the dataset, a shared/hf-cache beside a parent of the working directory is
// used; a default cache that holds it wins.
func TestResolveCacheDirFindsSharedCache(t *testing.T) {
	fixtureDir, err := filepath.Abs("../../data/hf-cache")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "shared"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fixtureDir, filepath.Join(root, "shared", "hf-cache")); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(root, "checkout", "sentimentlib")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_HOME", "")
	t.Setenv("XDG_CACHE_HOME", filepath.Join(root, "empty-cache"))
	t.Chdir(work)
	if got, want := ResolveCacheDir(""), filepath.Join(root, "shared", "hf-cache"); got != want {
		t.Errorf("ResolveCacheDir = %q, want the shared cache %q", got, want)
	}
	if got := ResolveCacheDir("/flag"); got != "/flag" {
		t.Errorf("the flag did not win: %q", got)
	}
	t.Setenv("XDG_CACHE_HOME", filepath.Dir(fixtureDir)) // huggingface/hub below it: not the fixture layout
	os.MkdirAll(filepath.Join(root, "xdg", "huggingface"), 0o755)
	os.Symlink(fixtureDir, filepath.Join(root, "xdg", "huggingface", "hub"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(root, "xdg"))
	if got, want := ResolveCacheDir(""), filepath.Join(root, "xdg", "huggingface", "hub"); got != want {
		t.Errorf("with the dataset in the default cache: %q, want %q", got, want)
	}
}

// TestFailedDownloadLeavesNothing: a download that fails (here through a proxy that refuses
// every connection) leaves the cache as it was: no empty dataset folders, and no cache folder
// it created.
func TestFailedDownloadLeavesNothing(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:9")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:9")
	t.Setenv("HF_HUB_OFFLINE", "")
	parent := t.TempDir()
	cache := filepath.Join(parent, "new-cache")
	if _, err := Load(context.Background(), Options{CacheDir: cache, SkipUnsupervised: true}); err == nil {
		t.Fatal("the download through a refusing proxy succeeded")
	}
	if _, err := os.Stat(cache); err == nil {
		t.Errorf("the failed download left %s behind", cache)
	}
	existing := t.TempDir()
	os.WriteFile(filepath.Join(existing, "other-file"), []byte("x"), 0o644)
	Load(context.Background(), Options{CacheDir: existing, SkipUnsupervised: true})
	entries, _ := os.ReadDir(existing)
	if len(entries) != 1 || entries[0].Name() != "other-file" {
		t.Errorf("the failed download changed an existing cache: %v", entries)
	}
}
