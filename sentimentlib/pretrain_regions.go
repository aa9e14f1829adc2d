package sentimentlib

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/trainloop"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/words"
)

// WordsFile is the word vocabulary of a region model or its pretraining (package words).
const WordsFile = "words.json"

// RegionPretraining is how the tv-embedding's pretraining samples its training examples
// (Johnson & Zhang 2015b, unsup-tv): Regions regions of tv_region words a review per batch,
// each trained to score the words of the tv_region words on its left and on its right (kept
// apart; stop words and words outside the vocabulary left out) towards 1, and Negatives words
// for each of those, drawn by frequency among the pretraining text's target words, towards 0
// with weight NegativeWeight.
type RegionPretraining struct {
	Regions        int     `json:"regions"`
	Negatives      int     `json:"negatives"`
	NegativeWeight float64 `json:"negative_weight"`
}

func init() {
	// The tv-embedding of Johnson & Zhang 2015b for IMDB: regions of 5 words, 100 wide, the
	// 30,000 most frequent training words; 16 reviews of 128 regions a step.
	pretrainPresets["regions"] = PretrainConfig{Architecture: "regions", HeldOut: 1000,
		Regions:           RegionConfig{Vocab: words.DefaultSize, TVRegion: 5, TVDim: 100},
		RegionPretraining: RegionPretraining{Regions: 128, Negatives: 5, NegativeWeight: 0.2},
		OptimizerConfig:   OptimizerConfig{BatchSize: 16, LearningRate: 0.01, WarmupSteps: 200, ClipNorm: 1, EvalEverySteps: 2000},
		Steps:             20000}
}

// validateRegions checks a regions pretraining configuration.
func (c PretrainConfig) validateRegions() error {
	r, s := c.Regions, c.RegionPretraining
	switch {
	case r.Vocab < 1:
		return fmt.Errorf("pretrain config: regions.vocab %d must be >= 1 (for example 30000)", r.Vocab)
	case r.TVRegion < 1 || r.TVRegion > 20:
		return fmt.Errorf("pretrain config: regions.tv_region %d out of range [1, 20] (for example 5)", r.TVRegion)
	case r.TVDim < 1 || r.TVDim > 2000:
		return fmt.Errorf("pretrain config: regions.tv_dim %d out of range [1, 2000] (for example 100)", r.TVDim)
	case s.Regions < 1 || s.Negatives < 0 || s.NegativeWeight < 0:
		return fmt.Errorf("pretrain config: region_pretraining %+v: regions >= 1, negatives and negative_weight >= 0", s)
	case c.BatchSize < 1 || c.Steps < 1 || c.HeldOut < 1 || c.EvalEverySteps < 0:
		return fmt.Errorf("pretrain config: batch_size %d, steps %d and held_out %d must be >= 1", c.BatchSize, c.Steps, c.HeldOut)
	case c.LearningRate <= 0 || c.LearningRate > 1:
		return fmt.Errorf("pretrain config: learning_rate %g out of range (0, 1]", c.LearningRate)
	}
	return nil
}

// regionConfig is the classifier configuration that builds the pretraining's store and
// learning-rate schedule.
func (c PretrainConfig) regionConfig() Config {
	return Config{RunConfig: c.RunConfig, Data: c.Data, Architecture: "region_cnn", Regions: c.Regions,
		OptimizerConfig: c.OptimizerConfig, Epochs: 1, SelectMetric: "accuracy"}
}

// pretrainRegions is Pretrain for the tv-embedding: the word vocabulary is fitted on the
// training split, the pretraining text is the training split and the unlabeled reviews (never
// validation or test), and encoder.ckpt holds the tv-embedding alone (model.TVScope).
func pretrainRegions(ctx context.Context, cfg PretrainConfig, outDir string, resuming bool, progress io.Writer) (*PretrainResults, error) {
	vocab, docs, held, err := regionData(ctx, cfg, outDir, resuming, progress)
	if err != nil {
		return nil, err
	}
	opts := batch.Options{BatchSize: cfg.BatchSize, Truncation: batch.Truncation{MaxLen: 2048, Head: 1024},
		Buckets: []int{2048}, Shuffle: true, Seed: cfg.Seed, DropRemainder: true}
	trainDS, err := batch.New("regions", docs, make([]int, len(docs)), opts)
	if err != nil {
		return nil, err
	}
	opts.Shuffle, opts.DropRemainder = false, false
	heldDS, err := batch.New("held-out", held, make([]int, len(held)), opts)
	if err != nil {
		return nil, err
	}
	sampler := newRegionSampler(cfg, vocab, docs)
	backend, err := compute.New()
	if err != nil {
		return nil, fmt.Errorf("pretrain: no GoMLX backend: %w", err)
	}
	rc := cfg.regionConfig()
	store := newStore(rc, vocab.VocabSize(), cfg.Steps)
	modelFn := func(scope *model.Scope, regions, targets *Node) *Node {
		if scope.IsTraining(regions.Graph()) {
			addSchedule(scope, regions.Graph(), rc)
		}
		return smodel.RegionEmbedding(scope.In("model"), regions, targets)
	}
	lossFn := func(labels, predictions []*Node) *Node {
		return loss.RegionTargets(predictions[0], labels[0], labels[1])
	}
	trainer := train.NewTrainer(backend, store, modelFn, lossFn, clippedOptimizer{optimizer.FromStore(store), cfg.ClipNorm, nil}, nil, nil)
	run := &trainloop.Run{Name: "pretrain", Dir: outDir, Store: store, Trainer: trainer, Batches: trainDS, Steps: cfg.Steps,
		EvalEvery: cfg.EvalEverySteps, LossName: "region loss", Progress: progress,
		Make: func(p batch.Planned, step int) train.Batch {
			return sampler.batch(rand.New(rand.NewPCG(cfg.Seed, uint64(step)+1)), trainDS.Tokens(p), cfg.BatchSize).trainBatch()
		}}
	var last MLMMetrics
	run.Evaluate = heldOutRegions(cfg, backend, store, run, sampler, heldDS, &last, progress)
	st, err := runPretraining(ctx, run, resuming, isTVVariable)
	if err != nil {
		return nil, err
	}
	res := &PretrainResults{Preset: cfg.Preset, Seed: cfg.Seed, Config: cfg, Steps: st.Step, TrainSeconds: st.Seconds,
		Sequences: len(docs), Tokens: countTokens(docs), HeldOut: last, Backend: backend.Name()}
	if err := rundir.WriteJSON(filepath.Join(outDir, ResultsFile), res); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "pretrained %d steps in %.0f s: held-out region loss %.4f; tv-embedding in %s\n", st.Step, st.Seconds, last.RegionLoss, filepath.Join(outDir, EncoderCheckpoint))
	return res, nil
}

// isTVVariable reports the variables of the tv-embedding, the part of the region pretraining
// that the classifier takes.
func isTVVariable(path string) bool { return strings.HasPrefix(path, "/model/"+smodel.TVScope+"/") }

// regionData reads the pretraining text (the training split and the unlabeled reviews, the
// held-out unlabeled reviews apart), fits the word vocabulary on the training split (reloads
// it when resuming) and encodes both; a new run writes the vocabulary and config.json.
func regionData(ctx context.Context, cfg PretrainConfig, outDir string, resuming bool, progress io.Writer) (*words.Vocabulary, [][]int32, [][]int32, error) {
	data, err := cfg.Data.load(ctx, true)
	if err != nil {
		return nil, nil, nil, err
	}
	texts, heldOut, err := pretrainTexts(data, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	var vocab *words.Vocabulary
	if resuming {
		vocab, err = words.Load(filepath.Join(outDir, WordsFile))
	} else {
		vocab, err = words.Fit(imdb.Texts(data.Train), cfg.Regions.Vocab)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	docs, held := vocab.EncodeAll(texts), vocab.EncodeAll(heldOut)
	fmt.Fprintf(progress, "pretraining text: %d reviews (train split without validation, unlabeled); held out: %d unlabeled reviews; %d words\n",
		len(texts), len(heldOut), vocab.Len())
	if !resuming {
		err = writeRunStart(outDir, vocab, WordsFile, cfg)
	}
	return vocab, docs, held, err
}

// regionSampler draws the tv-embedding's training examples from encoded reviews.
type regionSampler struct {
	q, perReview, negatives int
	negativeWeight          float32
	vocab                   int       // ids; the targets of the right context are offset by it
	target                  []bool    // whether a word id is a target (not a stop word, in the vocabulary)
	cumulative              []float64 // of the target words' frequencies, for drawing negatives
}

func newRegionSampler(cfg PretrainConfig, v *words.Vocabulary, docs [][]int32) *regionSampler {
	s := &regionSampler{q: cfg.Regions.TVRegion, perReview: cfg.RegionPretraining.Regions, negatives: cfg.RegionPretraining.Negatives,
		negativeWeight: float32(cfg.RegionPretraining.NegativeWeight), vocab: v.VocabSize(), target: make([]bool, v.VocabSize())}
	for id := int32(2); id < int32(v.VocabSize()); id++ {
		s.target[id] = !isStopWord(v.Word(id))
	}
	counts := make([]float64, v.VocabSize())
	for _, d := range docs {
		for _, id := range d {
			if s.target[id] {
				counts[id]++
			}
		}
	}
	s.cumulative = make([]float64, len(counts))
	sum := 0.0
	for i, c := range counts {
		sum += c
		s.cumulative[i] = sum
	}
	return s
}

// slots is the number of targets of a region: up to q words on each side, and their negatives.
func (s *regionSampler) slots() int { return 2 * s.q * (1 + s.negatives) }

// regionBatch is one batch of tv-embedding examples: regions [R, q], targets, labels and
// weights [R, T].
type regionBatch struct {
	rows, q, slots   int
	regions, targets []int32
	labels, weights  []float32
}

func (b *regionBatch) trainBatch() train.Batch {
	return train.Batch{
		Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(b.regions, b.rows, b.q), tensors.FromFlatDataAndDimensions(b.targets, b.rows, b.slots)},
		Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(b.labels, b.rows, b.slots), tensors.FromFlatDataAndDimensions(b.weights, b.rows, b.slots)},
	}
}

// batch draws perReview regions from each of the reviews in tokens (rows of a padded
// [reviews, L] matrix; padding is 0). A region centred on word c covers words c-(q-1)/2 on;
// its targets are the q words before it and the q words after it.
func (s *regionSampler) batch(rng *rand.Rand, tokens []int32, reviews int) *regionBatch {
	L := len(tokens) / reviews
	T := s.slots()
	b := &regionBatch{rows: reviews * s.perReview, q: s.q, slots: T}
	b.regions = make([]int32, b.rows*s.q)
	b.targets = make([]int32, b.rows*T)
	b.labels = make([]float32, b.rows*T)
	b.weights = make([]float32, b.rows*T)
	for d := range reviews {
		doc := tokens[d*L : (d+1)*L]
		n := len(doc)
		for n > 0 && doc[n-1] == 0 {
			n--
		}
		doc = doc[:n]
		for k := range s.perReview {
			r := d*s.perReview + k
			if n == 0 {
				continue // an empty review: the row keeps weight 0
			}
			region, pos := s.example(doc, rng.IntN(n))
			copy(b.regions[r*s.q:], region)
			slot := r * T
			for _, t := range pos {
				b.targets[slot], b.labels[slot], b.weights[slot] = t, 1, 1
				slot++
			}
			for range len(pos) * s.negatives {
				x := rng.Float64() * s.cumulative[len(s.cumulative)-1]
				id := int32(sort.Search(len(s.cumulative)-1, func(i int) bool { return s.cumulative[i] > x }))
				t := id + int32(rng.IntN(2)*s.vocab)
				if slices.Contains(pos, t) {
					continue
				}
				b.targets[slot], b.weights[slot] = t, s.negativeWeight
				slot++
			}
		}
	}
	return b
}

// example is the region of doc centred on word centre (padding beyond the review) and its
// targets: the target words among the q words before the region, and, offset by the
// vocabulary size, among the q words after it, each once.
func (s *regionSampler) example(doc []int32, centre int) (region, targets []int32) {
	word := func(i int) int32 {
		if i < 0 || i >= len(doc) {
			return 0
		}
		return doc[i]
	}
	start := centre - (s.q-1)/2
	region = make([]int32, s.q)
	for j := range s.q {
		region[j] = word(start + j)
	}
	for side, from := range []int{start - s.q, start + s.q} {
		for j := range s.q {
			id := word(from + j)
			t := id + int32(side*s.vocab)
			if s.target[id] && !slices.Contains(targets, t) {
				targets = append(targets, t)
			}
		}
	}
	return region, targets
}

// heldOutRegions measures the region loss on the held-out reviews, with regions drawn once
// (the same at every evaluation), logs and prints it, and keeps it in *last.
func heldOutRegions(cfg PretrainConfig, backend compute.Backend, store *model.Store, run *trainloop.Run, s *regionSampler,
	held *batch.Dataset, last *MLMMetrics, progress io.Writer) func(*rundir.State, bool) (bool, error) {
	var batches []*regionBatch
	return func(st *rundir.State, _ bool) (bool, error) {
		if batches == nil {
			for i, planned := range held.Plan(0) {
				batches = append(batches, s.batch(rand.New(rand.NewPCG(0xe7a1, uint64(i))), held.Tokens(planned), cfg.BatchSize))
			}
		}
		exec, err := model.NewExec(backend, store, func(scope *model.Scope, regions, targets, labels, weights *Node) *Node {
			return MulScalar(loss.RegionTargets(smodel.RegionEmbedding(scope.In("model"), regions, targets), labels, weights), float64(regions.Shape().Dimensions[0]))
		})
		if err != nil {
			return false, err
		}
		var sum float64
		rows := 0
		for _, b := range batches {
			t := b.trainBatch()
			out, err := exec.Exec(t.Inputs[0], t.Inputs[1], t.Labels[0], t.Labels[1])
			if err != nil {
				return false, fmt.Errorf("pretrain: evaluation: %w", err)
			}
			sum += float64(tensors.MustCopyFlatData[float32](out[0])[0])
			rows += b.rows
		}
		last.RegionLoss = sum / float64(max(rows, 1))
		run.Log(map[string]any{"type": "validation", "step": st.Step, "seconds": st.Seconds, "held_out": *last})
		fmt.Fprintf(progress, "\nstep %d: held-out region loss %.4f\n", st.Step, last.RegionLoss)
		return false, nil
	}
}

// isStopWord reports the words the tv-embedding does not learn to predict: punctuation and the
// function words (articles, pronouns, prepositions, conjunctions, auxiliaries), as Johnson &
// Zhang's minstop list leaves out.
func isStopWord(w string) bool {
	if stopWords[w] {
		return true
	}
	for _, r := range w {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 {
			return false
		}
	}
	return true // punctuation alone
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but nor so yet if then than as of in on at to from by for with about
		into onto over under between through during before after above below up down out off again further once
		i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself she her hers
		herself it its itself they them their theirs themselves what which who whom whose this that these those
		am is are was were be been being have has had having do does did doing will would shall should can could
		may might must 's 'd 'll 're 've 'm there here when where while because although it's i'm i've i'd i'll
		you're you've he's she's that's there's`) {
		m[w] = true
	}
	return m
}()
