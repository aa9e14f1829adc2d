// Package imdb loads the IMDB Large Movie Review Dataset (Maas et al., 2011) from the Hugging Face
// dataset stanfordnlp/imdb (config "plain_text") through go-huggingface, and splits it.
//
// The supervised splits are train (carved into train and validation, stratified by label and
// reproducible from a seed) and test. The 50,000 unlabeled reviews ("unsupervised") are kept apart:
// they are never mixed into a supervised split.
package imdb

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/go-huggingface/datasets"
	"github.com/gomlx/go-huggingface/hub"
)

const (
	// DatasetID is the Hugging Face dataset id.
	DatasetID = "stanfordnlp/imdb"
	// Config is the dataset configuration used.
	Config = "plain_text"

	// Source split names, as published on the hub.
	SplitTrain        = "train"
	SplitTest         = "test"
	SplitUnsupervised = "unsupervised"

	// DefaultValidationFraction of the training reviews held out for model selection.
	DefaultValidationFraction = 0.1
	// DefaultSeed of the train/validation split.
	DefaultSeed = 42
)

// Labels.
const (
	Negative  = 0
	Positive  = 1
	Unlabeled = -1
)

// Review is one movie review.
type Review struct {
	// Text of the review, as published (it contains "<br />" tags and HTML entities).
	Text string
	// Label is Negative (0), Positive (1) or Unlabeled (-1).
	Label int
	// Index is the row of the review in its source split (train, test or unsupervised): it
	// identifies the review across the train/validation carving.
	Index int
}

// Data holds the splits used by the project.
type Data struct {
	// Train and Validation are carved from the source "train" split; Test is the source "test" split.
	Train, Validation, Test []Review
	// Unsupervised holds the 50,000 unlabeled reviews (label -1), for self-supervised work only.
	Unsupervised []Review
	// CacheDir is the Hugging Face hub cache directory the data was read from.
	CacheDir string
	// ValidationFraction and Seed used to carve Validation out of the source train split, and
	// ValidationBlock: 0 for single reviews, else the length of the runs of consecutive reviews
	// held out (see BlockSplit).
	ValidationFraction float64
	Seed               uint64
	ValidationBlock    int
}

// Options for Load. The zero value loads every split from the default cache with the default
// validation fraction and seed.
type Options struct {
	// CacheDir is the Hugging Face hub cache directory. Empty means ResolveCacheDir("").
	CacheDir string
	// ValidationFraction of the source train split held out as validation (stratified by label).
	// 0 means DefaultValidationFraction; use a negative value for no validation split.
	ValidationFraction float64
	// Seed of the stratified split. 0 means DefaultSeed.
	Seed uint64
	// ValidationBlock > 0 holds out runs of that many consecutive reviews (BlockSplit), which
	// keeps most of a movie's reviews on one side, instead of single reviews (StratifiedSplit).
	ValidationBlock int
	// SkipUnsupervised skips reading the 50,000 unlabeled reviews (saves time and memory).
	SkipUnsupervised bool
	// Offline never tries to download missing files (as HF_HUB_OFFLINE=1 does).
	Offline bool
}

// ResolveCacheDir returns the Hugging Face hub cache directory to use, in the same order as the
// Python huggingface_hub library: the explicit flag value, else $HF_HUB_CACHE, else $HF_HOME/hub,
// else the library default ($XDG_CACHE_HOME/huggingface/hub or ~/.cache/huggingface/hub) when it
// holds the dataset, else a shared/hf-cache holding it beside the working directory or one of
// its parents (a checkout's ../shared/hf-cache), else the default, to download into.
func ResolveCacheDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv("HF_HUB_CACHE"); v != "" {
		return v
	}
	if v := os.Getenv("HF_HOME"); v != "" {
		return filepath.Join(v, "hub")
	}
	def := hub.DefaultCacheDir()
	if !HasDataset(def) {
		if shared := sharedCache(); shared != "" {
			return shared
		}
	}
	return def
}

// HasDataset reports whether the Hugging Face cache dir holds the training split of IMDB.
func HasDataset(dir string) bool {
	found, _ := filepath.Glob(filepath.Join(dir, "datasets--stanfordnlp--imdb", "parquet", Config, SplitTrain, "*.parquet"))
	return len(found) > 0
}

// sharedCache is the nearest shared/hf-cache beside the working directory or one of its
// parents (a checkout's ../shared/hf-cache, as CI lays it out) that holds the dataset, or "".
func sharedCache() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if c := filepath.Join(dir, "shared", "hf-cache"); HasDataset(c) {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// offlineFromEnv reports whether HF_HUB_OFFLINE asks not to use the network.
func offlineFromEnv() bool {
	switch os.Getenv("HF_HUB_OFFLINE") {
	case "1", "true", "TRUE", "True", "yes", "on":
		return true
	}
	return false
}

// Load reads the dataset and returns the train/validation/test (and unsupervised) splits.
func Load(ctx context.Context, opts Options) (*Data, error) {
	cacheDir := ResolveCacheDir(opts.CacheDir)
	frac := opts.ValidationFraction
	if frac == 0 {
		frac = DefaultValidationFraction
	} else if frac < 0 {
		frac = 0
	}
	if frac >= 1 {
		return nil, fmt.Errorf("imdb: validation fraction %g must be below 1 (for example 0.1)", frac)
	}
	if opts.ValidationBlock < 0 {
		return nil, fmt.Errorf("imdb: validation block %d must be 0 (single reviews) or positive (for example 250)", opts.ValidationBlock)
	}
	seed := opts.Seed
	if seed == 0 {
		seed = DefaultSeed
	}
	offline := opts.Offline || offlineFromEnv()

	splits := []string{SplitTrain, SplitTest}
	if !opts.SkipUnsupervised {
		splits = append(splits, SplitUnsupervised)
	}
	results := make([][]Review, len(splits))
	errs := make([]error, len(splits))
	_, statCache := os.Stat(cacheDir)
	_, statRepo := os.Stat(filepath.Join(cacheDir, "datasets--stanfordnlp--imdb"))
	var wg sync.WaitGroup
	for i, split := range splits {
		wg.Go(func() {
			results[i], errs[i] = ReadSplit(ctx, cacheDir, split, offline)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			// Leave the cache as it was: no empty folders from a failed download.
			if statRepo != nil {
				removeEmptyDirs(filepath.Join(cacheDir, "datasets--stanfordnlp--imdb"))
			}
			if statCache != nil {
				removeEmptyDirs(cacheDir)
			}
			return nil, err
		}
	}
	data := &Data{CacheDir: cacheDir, ValidationFraction: frac, Seed: seed, ValidationBlock: opts.ValidationBlock, Test: results[1]}
	if len(results) > 2 {
		data.Unsupervised = results[2]
	}
	for _, r := range data.Test {
		if r.Label != Negative && r.Label != Positive {
			return nil, fmt.Errorf("imdb: test review %d has label %d, want 0 or 1", r.Index, r.Label)
		}
	}
	var err error
	if opts.ValidationBlock > 0 {
		data.Train, data.Validation, err = BlockSplit(results[0], frac, opts.ValidationBlock, seed)
	} else {
		data.Train, data.Validation, err = StratifiedSplit(results[0], frac, seed)
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}

// StratifiedSplit splits labelled reviews into (train, validation), holding out round(frac*n)
// reviews of each label for validation, chosen by a shuffle seeded with seed. Both outputs are
// shuffled (so labels are mixed) and reproducible from the seed.
func StratifiedSplit(reviews []Review, frac float64, seed uint64) (train, validation []Review, err error) {
	groups, err := byLabel(reviews, frac)
	if err != nil {
		return nil, nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x1db5eed))
	for _, group := range groups {
		rng.Shuffle(len(group), func(i, j int) { group[i], group[j] = group[j], group[i] })
		nVal := int(frac*float64(len(group)) + 0.5)
		validation = append(validation, group[:nVal]...)
		train = append(train, group[nVal:]...)
	}
	rng.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
	rng.Shuffle(len(validation), func(i, j int) { validation[i], validation[j] = validation[j], validation[i] })
	return train, validation, nil
}

// byLabel checks a split's arguments and returns the negative and the positive reviews, each
// sorted by Index, so a split depends only on the reviews and its seed, not on file order.
func byLabel(reviews []Review, frac float64) ([2][]Review, error) {
	var groups [2][]Review
	if frac < 0 || frac >= 1 {
		return groups, fmt.Errorf("imdb: validation fraction %g must be in [0, 1)", frac)
	}
	for _, r := range reviews {
		if r.Label != Negative && r.Label != Positive {
			return groups, fmt.Errorf("imdb: review %d has label %d: only labelled (0/1) reviews can be split", r.Index, r.Label)
		}
		groups[r.Label] = append(groups[r.Label], r)
	}
	for _, g := range groups {
		slices.SortFunc(g, func(a, b Review) int { return cmp.Compare(a.Index, b.Index) })
	}
	return groups, nil
}

// BlockSplit is StratifiedSplit holding out runs of block consecutive reviews (in the source
// order, by Index) instead of single reviews: each label's reviews are cut into runs of block,
// and whole runs, chosen by a shuffle seeded with seed, go to validation until round(frac*n)
// reviews of that label are held out (the last run chosen may go in part).
//
// Why: the Hugging Face copy of IMDB mostly keeps a movie's reviews of one label next to each
// other. The dataset has at most 30 reviews per movie, and its test movies are disjoint from its
// training movies. 14.9% of neighbouring training reviews share a rare word (one found in 2 to
// 10 reviews), against 0.07% of reviews 1,000 apart (`sentiment data`). A split of single
// reviews puts most validation reviews beside reviews of the same movie in training, so
// validation rewards remembering movies, which test, with its unseen movies, does not. Runs of
// 250 reviews cut a movie only at their two ends.
func BlockSplit(reviews []Review, frac float64, block int, seed uint64) (train, validation []Review, err error) {
	if block < 1 {
		return nil, nil, fmt.Errorf("imdb: validation block %d must be at least 1", block)
	}
	groups, err := byLabel(reviews, frac)
	if err != nil {
		return nil, nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0xb10c5eed))
	for _, group := range groups {
		var runs [][]Review
		for start := 0; start < len(group); start += block {
			runs = append(runs, group[start:min(start+block, len(group))])
		}
		rng.Shuffle(len(runs), func(i, j int) { runs[i], runs[j] = runs[j], runs[i] })
		need := int(frac*float64(len(group)) + 0.5)
		for _, run := range runs {
			take := min(need, len(run))
			validation = append(validation, run[:take]...)
			train = append(train, run[take:]...)
			need -= take
		}
	}
	rng.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
	rng.Shuffle(len(validation), func(i, j int) { validation[i], validation[j] = validation[j], validation[i] })
	return train, validation, nil
}

// NeighbourSharing returns, for each distance, the fraction of pairs of reviews that far apart
// in the source order (by Index), among pairs of the same label, that share a rare word: a
// lower-cased word of 4 or more letters found in 2 to 10 of the reviews. Reviews of one movie
// share names that no other review uses, so a value far above that of distant pairs means the
// order keeps a movie's reviews together (see BlockSplit). Pairs are i and i+distance for every
// i. The reviews are read once for all distances.
func NeighbourSharing(reviews []Review, distances ...int) []float64 {
	sorted := slices.Clone(reviews)
	slices.SortFunc(sorted, func(a, b Review) int { return cmp.Compare(a.Index, b.Index) })
	words := make([]map[string]bool, len(sorted))
	df := map[string]int{}
	for i, r := range sorted {
		words[i] = map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(r.Text), func(c rune) bool { return c < 'a' || c > 'z' }) {
			if len(w) >= 4 && !words[i][w] {
				words[i][w] = true
				df[w]++
			}
		}
	}
	for _, ws := range words { // keep the rare words only
		maps.DeleteFunc(ws, func(w string, _ bool) bool { return df[w] < 2 || df[w] > 10 })
	}
	out := make([]float64, len(distances))
	for k, distance := range distances {
		var pairs, shared int
		for i := 0; i+distance < len(sorted); i++ {
			if sorted[i].Label != sorted[i+distance].Label {
				continue
			}
			pairs++
			for w := range words[i] {
				if words[i+distance][w] {
					shared++
					break
				}
			}
		}
		if pairs > 0 {
			out[k] = float64(shared) / float64(pairs)
		}
	}
	return out
}

// Texts returns the texts of the reviews.
func Texts(reviews []Review) []string {
	out := make([]string, len(reviews))
	for i, r := range reviews {
		out[i] = r.Text
	}
	return out
}

// Labels returns the labels of the reviews.
func Labels(reviews []Review) []int {
	out := make([]int, len(reviews))
	for i, r := range reviews {
		out[i] = r.Label
	}
	return out
}

// CountLabels returns the number of negative and positive reviews.
func CountLabels(reviews []Review) (neg, pos int) {
	for _, r := range reviews {
		switch r.Label {
		case Negative:
			neg++
		case Positive:
			pos++
		}
	}
	return
}

// SplitFiles returns the local parquet files of a split in the cache, downloading them through
// go-huggingface when they are missing and offline is false.
func SplitFiles(ctx context.Context, cacheDir, split string, offline bool) ([]string, error) {
	repoDir := filepath.Join(cacheDir, "datasets--"+"stanfordnlp--imdb")
	splitDir := filepath.Join(repoDir, "parquet", Config, split)
	local, _ := filepath.Glob(filepath.Join(splitDir, "*.parquet"))
	if len(local) > 0 {
		slices.Sort(local)
		return local, nil
	}
	hint := fmt.Sprintf("point the cache at one that holds %s (sentiment's --hf-cache, DataConfig.CacheDir in Go, or HF_HUB_CACHE or HF_HOME), "+
		"or run once with network access to download it", DatasetID)
	if offline {
		return nil, fmt.Errorf("imdb: the IMDB dataset is not in the Hugging Face cache %q (its %s split is not in %s) and offline mode is on: %s",
			cacheDir, split, splitDir, hint)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("imdb: the IMDB dataset is not in the Hugging Face cache %q (its %s split is not in %s), and the directory cannot be created to download it: %v; %s",
			cacheDir, split, splitDir, err, hint)
	}
	ds := datasets.New(DatasetID).WithCacheDir(cacheDir)
	files, err := ds.ListFiles(Config, split)
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("the dataset lists no parquet file for config %q split %q", Config, split)
	}
	var paths []string
	if err == nil {
		paths, err = ds.DownloadCtx(ctx, files...)
	}
	if err != nil {
		return nil, fmt.Errorf("imdb: the IMDB dataset is not in the Hugging Face cache %q (its %s split is not in %s), and downloading it failed: %v; %s",
			cacheDir, split, splitDir, err, hint)
	}
	return paths, nil
}

// removeEmptyDirs removes dir and the directories below it that hold no file, deepest first.
func removeEmptyDirs(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			removeEmptyDirs(filepath.Join(dir, e.Name()))
		}
	}
	os.Remove(dir) // fails, as it should, when something is left in it
}

// ReadSplit reads one source split ("train", "test" or "unsupervised") from the cache.
func ReadSplit(ctx context.Context, cacheDir, split string, offline bool) ([]Review, error) {
	switch split {
	case SplitTrain, SplitTest, SplitUnsupervised:
	default:
		return nil, fmt.Errorf("imdb: unknown split %q: want %q, %q or %q", split, SplitTrain, SplitTest, SplitUnsupervised)
	}
	paths, err := SplitFiles(ctx, cacheDir, split, offline)
	if err != nil {
		return nil, err
	}
	var out []Review
	for _, p := range paths {
		reviews, err := ReadParquet(p, len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, reviews...)
	}
	return out, nil
}
