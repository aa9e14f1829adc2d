package sentimentlib

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/testkit"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/words"
)

// tinyRegions trains the region CNN in a second on the fixture.
func tinyRegions(t testing.TB) Config {
	cfg, err := Preset("regions", true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data = DataConfig{CacheDir: fixture, Offline: true}
	cfg.Regions.Vocab, cfg.Regions.Maps, cfg.MaxLen, cfg.HeadTokens, cfg.BatchSize, cfg.Epochs = 2000, 8, 64, 16, 16, 2
	return cfg
}

// tinyRegionPretraining pretrains a tv-embedding in a second on the fixture.
func tinyRegionPretraining(t testing.TB) PretrainConfig {
	c, err := PretrainPreset("regions", true)
	if err != nil {
		t.Fatal(err)
	}
	c.Data = DataConfig{CacheDir: fixture, Offline: true}
	c.Regions.Vocab, c.Regions.TVDim, c.HeldOut, c.BatchSize = 2000, 8, 20, 4
	c.RegionPretraining.Regions, c.Steps, c.EvalEverySteps, c.WarmupSteps = 16, 30, 10, 3
	return c
}

// TestRegionPretrainingTextExcludesValidationAndTest: the reviews the tv-embedding is trained on
// (as encoded for the region sampler) are the training split and the unlabeled reviews less the
// held-out ones; no validation or test review is among them.
func TestRegionPretrainingTextExcludesValidationAndTest(t *testing.T) {
	cfg := tinyRegionPretraining(t)
	vocab, docs, held, err := regionData(context.Background(), cfg, t.TempDir(), false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := imdb.Load(context.Background(), imdb.Options{CacheDir: fixture, Offline: true})
	key := func(ids []int32) string { return fmt.Sprint(ids) }
	in := map[string]bool{}
	for _, doc := range docs {
		in[key(doc)] = true
	}
	for _, r := range append(d.Validation, d.Test...) {
		if in[key(vocab.Encode(r.Text))] {
			t.Fatalf("validation or test review in the region pretraining: %.60q", r.Text)
		}
	}
	for _, r := range d.Train {
		if !in[key(vocab.Encode(r.Text))] {
			t.Fatalf("training review missing from the region pretraining: %.60q", r.Text)
		}
	}
	if len(held) != cfg.HeldOut || len(docs) != len(d.Train)+len(d.Unsupervised)-cfg.HeldOut {
		t.Errorf("%d reviews, %d held out; train %d, unlabeled %d", len(docs), len(held), len(d.Train), len(d.Unsupervised))
	}
}

// TestRefitPretraining: a refit's pretraining text holds the validation reviews too (and no
// test review); a classifier that chooses on validation refuses to start from it, naming refit,
// and a refit classifier fine-tunes from it.
func TestRefitPretraining(t *testing.T) {
	ctx := context.Background()
	cfg := tinyRegionPretraining(t)
	cfg.Refit = true
	vocab, docs, _, err := regionData(ctx, cfg, t.TempDir(), false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := imdb.Load(ctx, imdb.Options{CacheDir: fixture, Offline: true})
	in := map[string]bool{}
	for _, doc := range docs {
		in[fmt.Sprint(doc)] = true
	}
	for _, r := range append(d.Train, d.Validation...) {
		if !in[fmt.Sprint(vocab.Encode(r.Text))] {
			t.Fatalf("training or validation review missing from the refit's pretraining: %.60q", r.Text)
		}
	}
	for _, r := range d.Test {
		if in[fmt.Sprint(vocab.Encode(r.Text))] {
			t.Fatalf("test review in the refit's pretraining: %.60q", r.Text)
		}
	}
	if len(docs) != len(d.Train)+len(d.Validation)+len(d.Unsupervised)-cfg.HeldOut {
		t.Errorf("%d reviews; train %d + validation %d + unlabeled %d - held out %d", len(docs), len(d.Train), len(d.Validation), len(d.Unsupervised), cfg.HeldOut)
	}
	dir := t.TempDir()
	if _, err := Pretrain(ctx, cfg, dir, nil); err != nil {
		t.Fatal(err)
	}
	c := tinyRegions(t)
	if err := c.InitFrom(dir); err != nil {
		t.Fatal(err)
	}
	c.Epochs = 1
	if _, err := Train(ctx, c, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "refit") {
		t.Errorf("a classifier choosing on validation from a refit's pretraining: %v, want an error naming refit", err)
	}
	c.Refit = true
	if _, err := Train(ctx, c, t.TempDir(), nil); err != nil {
		t.Errorf("a refit from a refit's pretraining: %v", err)
	}
}

// TestRegionPretrainingWithoutAFullBatch: text that makes no full batch is an error that says
// so (the loop once waited for a batch forever).
func TestRegionPretrainingWithoutAFullBatch(t *testing.T) {
	cfg := tinyRegionPretraining(t)
	cfg.BatchSize = 100_000
	_, err := Pretrain(context.Background(), cfg, t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "make no full batch of 100000") {
		t.Errorf("batch of 100000: %v, want an error saying there is no full batch", err)
	}
}

// TestRegionPretrainingAndInit: the tv-embedding's pretraining runs on the training and
// unlabeled text only (its vocabulary from the training split), resumes to the same result,
// saves the tv-embedding alone, and a region CNN fine-tuned with --init reads it, frozen.
func TestRegionPretrainingAndInit(t *testing.T) {
	ctx := context.Background()
	cfg := tinyRegionPretraining(t)
	full := t.TempDir()
	want, err := Pretrain(ctx, cfg, full, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want.HeldOut.RegionLoss <= 0 || len(readValidationLines(t, full)) != 3 {
		t.Fatalf("results %+v", want)
	}
	dir, tv := interruptedPretraining(t, cfg, want)
	// The vocabulary came from the training split: a word planted in validation and test only
	// is not in it (the fixture's own words decide the rest).
	v, err := words.Load(filepath.Join(dir, WordsFile))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := imdb.Load(ctx, imdb.Options{CacheDir: fixture, Offline: true})
	trainOnly, _ := words.Fit(imdb.Texts(d.Train), cfg.Regions.Vocab)
	if v.Len() != trainOnly.Len() || v.Word(2) != trainOnly.Word(2) || v.Word(int32(v.VocabSize()-1)) != trainOnly.Word(int32(v.VocabSize()-1)) {
		t.Error("the pretraining's vocabulary is not the training split's")
	}

	checkTVFineTuning(t, dir, cfg, tv)
}

// checkTVFineTuning fine-tunes the region CNN from the tv-embedding pretrained in dir (cfg: its
// configuration; tv: its variables): it reads the tv-embedding and leaves it as it is, resumes
// to the uninterrupted run's metrics, explains a review word by word, and refuses another
// vocabulary.
func checkTVFineTuning(t *testing.T, dir string, cfg PretrainConfig, tv map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	c := tinyRegions(t)
	if err := c.InitFrom(dir); err != nil {
		t.Fatal(err)
	}
	if c.Regions.TVRegion != cfg.Regions.TVRegion || c.Regions.TVDim != cfg.Regions.TVDim || c.Architecture != "region_cnn" {
		t.Fatalf("InitFrom: %+v", c.Regions)
	}
	out := t.TempDir()
	res, err := Train(ctx, c, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The fine-tuning resumes too: interrupted in epoch 2 of 3, it ends where the uninterrupted
	// run does.
	c3 := c
	c3.Epochs = 3
	whole, err := Train(ctx, c3, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	again := t.TempDir()
	cctx, cancel := context.WithCancel(ctx)
	if _, err := Train(cctx, c3, again, &testkit.CancelAfter{Marker: "epoch 2/3", Cancel: cancel}); err == nil {
		t.Fatal("the interrupted fine-tuning should report it")
	}
	if resumed, err := Train(ctx, c3, again, nil); err != nil || resumed.Test != whole.Test || resumed.Validation != whole.Validation {
		t.Errorf("resumed fine-tuning %+v (%v), uninterrupted %+v", resumed, err, whole.Test)
	}
	best, err := rundir.VariableData(filepath.Join(out, BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range tv {
		if !slices.Equal(best[path], data) {
			t.Errorf("fine-tuning changed %s", path)
		}
	}
	if res.Test.N == 0 {
		t.Error("no test metrics")
	}
	p, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.Explain("A wonderful film, the acting superb and the plot dull.")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Words) != 12 || e.Words[1].Word != "wonderful" {
		t.Errorf("explained words %+v", e.Words)
	}
	// Another vocabulary is refused.
	c.Regions.Vocab = 1000
	if _, err := Train(ctx, c, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "regions.vocab") && !strings.Contains(err.Error(), "vocab") {
		t.Errorf("a vocabulary other than the pretraining's: %v", err)
	}
}

// TestRegionBadConfigsAreClearErrors: the region CNN refuses its out-of-range fields, naming them.
func TestRegionBadConfigsAreClearErrors(t *testing.T) {
	checkRefused(t, "regions", []badField{
		{"regions.sizes", "[]", "regions.sizes"},
		{"regions.sizes", "[2,11]", "regions.sizes"},
		{"regions.maps", "0", "regions.maps"},
		{"regions.vocab", "0", "regions.vocab"},
		{"regions.tv_region", "5", "--init"},
		{"dropout", "1", "dropout"},
	})
}

// interruptedPretraining runs cfg's tv-embedding pretraining, cancels it at step 20 of 30,
// reruns it to resume, checks that it ends with want's held-out metrics and steps and that
// encoder.ckpt holds the tv-embedding alone, and returns its directory and encoder.ckpt's
// variables.
func interruptedPretraining(t *testing.T, cfg PretrainConfig, want *PretrainResults) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := Pretrain(ctx, cfg, dir, &testkit.CancelAfter{Marker: "step 20/30", Cancel: cancel}); err == nil {
		t.Fatal("the interrupted pretraining should report it")
	}
	got, err := Pretrain(context.Background(), cfg, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.HeldOut != want.HeldOut || got.Steps != want.Steps || got.Steps != 30 {
		t.Errorf("resumed pretraining %+v after %d steps, uninterrupted %+v after %d", got.HeldOut, got.Steps, want.HeldOut, want.Steps)
	}
	tv, err := rundir.VariableData(filepath.Join(dir, EncoderCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	for path := range tv {
		if !strings.HasPrefix(path, "/model/tv/") {
			t.Errorf("%s holds %s: the tv-embedding alone is wanted", EncoderCheckpoint, path)
		}
	}
	return dir, tv
}

// TestSparseRegionPretraining: the tv-embedding pretrained with region_pretraining.optimizer
// sparse-sgd (plain and with momentum), sparse-adam (the preset's) and "" (AdamW on the graph)
// learns (the held-out region loss falls at every
// evaluation), resumes from an interruption to the uninterrupted run's result, saves the
// tv-embedding alone, and a region CNN fine-tunes from it.
func TestSparseRegionPretraining(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		optimizer    string
		momentum, lr float64
	}{{"sparse-sgd", 0, 2}, {"sparse-sgd", 0.9, 0.2}, {"sparse-adam", 0, 0.02}, {"", 0, 0.02}} {
		momentum := c.momentum
		cfg := tinyRegionPretraining(t)
		cfg.RegionPretraining.Optimizer, cfg.RegionPretraining.Momentum, cfg.LearningRate = c.optimizer, momentum, c.lr
		full := t.TempDir()
		want, err := Pretrain(ctx, cfg, full, nil)
		if err != nil {
			t.Fatal(err)
		}
		var vals []float64
		for _, m := range readValidation(t, full) {
			vals = append(vals, m["held_out"].(map[string]any)["region_loss"].(float64))
		}
		if len(vals) != 3 || !(vals[2] < vals[1] && vals[1] < vals[0]) {
			t.Errorf("%+v: held-out region loss at steps 10, 20, 30: %v, want it falling", c, vals)
		}
		dir, _ := interruptedPretraining(t, cfg, want)
		c := tinyRegions(t)
		if err := c.InitFrom(dir); err != nil {
			t.Fatal(err)
		}
		c.Epochs = 1
		if _, err := Train(ctx, c, t.TempDir(), nil); err != nil {
			t.Errorf("%+v: fine-tuning from the sparse tv-embedding: %v", c, err)
		}
	}
	cfg := tinyRegionPretraining(t)
	for _, c := range []struct {
		optimizer string
		momentum  float64
		want      string
	}{{"adagrad", 0, "region_pretraining.optimizer"}, {"sparse-sgd", 1, "momentum 1 out of range"}, {"", 0.9, "applies to optimizer \"sparse-sgd\" only"},
		{"sparse-adam", 0.9, "applies to optimizer \"sparse-sgd\" only"}} {
		bad := cfg
		bad.RegionPretraining.Optimizer, bad.RegionPretraining.Momentum = c.optimizer, c.momentum
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("optimizer %q, momentum %g: %v, want %q", c.optimizer, c.momentum, err, c.want)
		}
	}
}

// TestSparseTablesStep: the one-hot tables trained by rows (regions.sparse_tables) take, at the
// first step, exactly the dense AdamW step (every other variable too): Adam's moments start at
// 0, so rows a batch does not read do not move in either. At the second step the rows the
// batch reads take dense AdamW's step again, and the others stay where the first step left
// them, while dense AdamW moves them by their momentum.
func TestSparseTablesStep(t *testing.T) {
	const vocab, seqLen = 40, 8
	cfg := tinyRegions(t)
	cfg.Regions.Vocab, cfg.Regions.Maps, cfg.Regions.Sizes, cfg.Dropout, cfg.BatchSize, cfg.WarmupSteps = vocab-2, 4, []int{2, 3}, 0, 2, 0
	batchOf := func(ids []int32) (train.Batch, []int32) {
		return train.Batch{Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(ids, 2, seqLen)},
			Labels: []*tensors.Tensor{tensors.FromValue([]float32{1, 0}), tensors.FromValue([]float32{seqLen, seqLen}), tensors.FromValue([]float32{1, 1})},
			Spec:   seqLen}, ids
	}
	first := []int32{2, 3, 4, 5, 1, 6, 7, 0, 8, 9, 3, 10, 11, 0, 0, 0}
	second := []int32{2, 3, 12, 13, 14, 2, 0, 0, 15, 16, 17, 18, 19, 20, 21, 22}
	stores := map[bool]*model.Store{}
	trainers := map[bool]*train.Trainer{}
	for _, sparse := range []bool{false, true} {
		c := cfg
		c.Regions.SparseTables = sparse
		trainer, store, err := newTrainer(compute.MustNew(), c, vocabOnly(vocab), 100)
		if err != nil {
			t.Fatal(err)
		}
		b, ids := batchOf(first)
		if sparse {
			b = withBatchRows(b, ids, vocab)
		}
		if _, err := trainer.TrainStep(b); err != nil {
			t.Fatal(err)
		}
		stores[sparse], trainers[sparse] = store, trainer
	}
	table := "/model/region_2/offset_1/embeddings"
	values := func(s *model.Store, path string) []float32 {
		v := s.GetVariable(path)
		if v == nil {
			t.Fatalf("no variable %s", path)
		}
		return tensors.MustCopyFlatData[float32](v.MustValue())
	}
	for v := range stores[false].IterVariables() {
		if !strings.HasPrefix(v.Path(), "/model/") {
			continue
		}
		dense, sparse := values(stores[false], v.Path()), values(stores[true], v.Path())
		for i := range dense {
			if math.Abs(float64(dense[i]-sparse[i])) > 1e-6 {
				t.Fatalf("after one step %s[%d]: dense %v, sparse %v", v.Path(), i, dense[i], sparse[i])
			}
		}
	}
	afterFirst := values(stores[true], table)
	for _, sparse := range []bool{false, true} {
		b, ids := batchOf(second)
		if sparse {
			b = withBatchRows(b, ids, vocab)
		}
		if _, err := trainers[sparse].TrainStep(b); err != nil {
			t.Fatal(err)
		}
	}
	dense, sparse := values(stores[false], table), values(stores[true], table)
	maps, moved := cfg.Regions.Maps, 0
	for w := range vocab {
		row := func(x []float32) []float32 { return x[w*maps : (w+1)*maps] }
		switch read := slices.Contains(second, int32(w)) && w > 1; {
		case read && !slices.EqualFunc(row(dense), row(sparse), func(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-6 }):
			t.Errorf("word %d, read by the second batch: sparse %v, dense %v", w, row(sparse), row(dense))
		case !read && !slices.Equal(row(sparse), row(afterFirst)):
			t.Errorf("word %d, not read by the second batch, moved", w)
		case !read && !slices.Equal(row(dense), row(afterFirst)):
			moved++ // dense AdamW's momentum moves it
		}
	}
	if moved == 0 {
		t.Error("dense AdamW moved no row the second batch does not read: the test tells nothing apart")
	}
}

// TestRegionCNNSeveralInits: train --init A --init B --init C feeds the region CNN three
// tv-embeddings: each lands, unchanged, in its own scope (tv, tv2, tv3), the configuration
// records them, the model loads and predicts, and a fourth pretraining of another vocabulary,
// a second --init before the first, or one given to an architecture that reads one encoder are
// refused with the reason.
func TestRegionCNNSeveralInits(t *testing.T) {
	ctx := context.Background()
	pre := tinyRegionPretraining(t)
	dirs := make([]string, 3)
	tvs := make([]map[string][]byte, 3)
	for i := range dirs {
		c := pre
		c.Seed, c.Regions.TVDim = uint64(i+1), 4+i
		dirs[i] = t.TempDir()
		if _, err := Pretrain(ctx, c, dirs[i], nil); err != nil {
			t.Fatal(err)
		}
		var err error
		if tvs[i], err = rundir.VariableData(filepath.Join(dirs[i], EncoderCheckpoint)); err != nil {
			t.Fatal(err)
		}
	}
	c := tinyRegions(t)
	if err := c.AddInit(dirs[1]); err == nil || !strings.Contains(err.Error(), "--init FIRST") {
		t.Errorf("AddInit before InitFrom: %v", err)
	}
	if err := c.InitFrom(dirs[0]); err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs[1:] {
		if err := c.AddInit(dir); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(c.ExtraInits, dirs[1:]) || !slices.Equal(c.Regions.ExtraTVDims, []int{5, 6}) || !slices.Equal(c.Regions.ExtraTVRegions, []int{5, 5}) {
		t.Fatalf("after AddInit: extra_inits %v, regions %+v", c.ExtraInits, c.Regions)
	}
	out := t.TempDir()
	res, err := Train(ctx, c, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	best, err := rundir.VariableData(filepath.Join(out, BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	for i, tv := range tvs {
		scope := "/model/" + smodel.TVSideScope(i) + "/"
		for path, data := range tv {
			path = scope + strings.TrimPrefix(path, "/model/tv/")
			if !slices.Equal(best[path], data) {
				t.Errorf("side %d: %s is not the pretraining's", i, path)
			}
		}
	}
	for _, path := range []string{"/model/region_2/tv_in_2/dense/weights", "/model/region_3/tv_in_3/dense/weights"} {
		if len(best[path]) == 0 {
			t.Errorf("no %s in the model", path)
		}
	}
	p, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p.Predict([]string{"A wonderful film, the acting superb."}); err != nil || len(got) != 1 || math.IsNaN(got[0].Probability) || res.Test.N == 0 {
		t.Errorf("predict: %+v %v; test %+v", got, err, res.Test)
	}

	// A pretraining of another vocabulary does not join.
	other := pre
	other.Regions.Vocab = 1000
	otherDir := t.TempDir()
	if _, err := Pretrain(ctx, other, otherDir, nil); err != nil {
		t.Fatal(err)
	}
	bad := c
	bad.ExtraInits = slices.Clone(c.ExtraInits)
	bad.Regions.ExtraTVRegions, bad.Regions.ExtraTVDims = slices.Clone(c.Regions.ExtraTVRegions), slices.Clone(c.Regions.ExtraTVDims)
	if err := bad.AddInit(otherDir); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(ctx, bad, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), otherDir) || !strings.Contains(err.Error(), "vocab") {
		t.Errorf("a pretraining of another vocabulary: %v", err)
	}
	// One list entry short: refused by validation.
	bad.Regions.ExtraTVDims = bad.Regions.ExtraTVDims[:1]
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "extra_tv_dims") {
		t.Errorf("extra_tv_dims shorter than extra_inits: %v", err)
	}
	// An architecture that reads one encoder.
	n, err := Preset("nbsvm", true)
	if err != nil {
		t.Fatal(err)
	}
	n.ExtraInits = dirs[1:]
	if err := n.Validate(); err == nil || !strings.Contains(err.Error(), "extra_inits") {
		t.Errorf("nbsvm with extra_inits: %v", err)
	}
	if err := n.AddInit(dirs[1]); err == nil {
		t.Error("nbsvm took a second --init")
	}
}
