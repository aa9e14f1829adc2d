package sentimentlib

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/mlm"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// EncoderCheckpoint is the pretrained encoder's weights (no MLM head, no optimizer state), the
// file `train --init DIR` loads.
const EncoderCheckpoint = "encoder.ckpt"

// PretrainConfig is everything a pretraining run depends on; it is saved as config.json of the
// run. The embedded parts' fields sit at the top level of config.json, as in Config.
type PretrainConfig struct {
	RunConfig
	Data DataConfig `json:"data"` // the vocabulary size is the pretrained tokenizer's
	// Text: the training split's reviews (validation carved out as in Train: the same split
	// seed and fraction) and the unlabeled ones; never validation or test text. HeldOut
	// unlabeled reviews are kept apart to measure the MLM loss and masked-token accuracy.
	MaxReviews int `json:"max_reviews,omitempty"` // 0: all
	HeldOut    int `json:"held_out"`

	// The encoder, as in Config (the MLM head is BERT's, with tied embeddings); reviews are cut
	// into pieces of at most max_len tokens.
	EncoderConfig
	Dropout float64 `json:"dropout"`

	MaskRate  float64 `json:"mask_rate"` // BERT: 0.15, with the 80/10/10 rule
	WholeWord bool    `json:"whole_word"`
	// DocumentWeight > 0 adds that times the document loss (model.MaskedLMAndDocument:
	// predicting the piece's masked words from its mean-pooled encoding) to the MLM loss.
	DocumentWeight float64 `json:"document_weight,omitempty"`
	// DocumentPool is what the document vector averages: "states" (the default, the encoder's
	// final states as the classifier pools them) or "embeddings" (the token embeddings, before
	// the transformer, as Doc2VecC does).
	DocumentPool string `json:"document_pool,omitempty"`
	// ContrastiveWeight > 0 adds that times the contrastive loss of the two halves of each
	// piece (model.Pretraining's halves: each half's mean-pooled encoding must pick out its
	// other half among the batch's) to the MLM loss. It needs local attention
	// (attention_window > 0), so the halves never see each other.
	ContrastiveWeight float64 `json:"contrastive_weight,omitempty"`
	// NoMLM drops the MLM loss (and its vocabulary projection, most of a step's cost on a
	// CPU): the contrastive loss alone trains the encoder, on the masked input all the same.
	NoMLM bool `json:"no_mlm,omitempty"`

	OptimizerConfig
	Steps int `json:"steps"`
}

// pretrainPresets: "cpu" is the encoder of the default classifier preset (so fine-tuning it
// costs what training the default costs): 3,000 steps of 32 pieces (about 1.3 passes over the
// 21 million tokens of the training and unlabeled reviews), under an hour on 2 CPU cores. The
// vocabulary is 16,000 rather than the classifier's 30,000 because the MLM output layer, one
// row per vocabulary entry at every masked token, costs several times the encoder. "gpu" is a
// 4-layer, 256-wide encoder for an accelerator, the shape of the "gpu" classifier preset:
// 2,500 steps of 64 pieces padded to one length (one compiled shape), about 2.5 minutes on an
// H100 (results/gpu-h100), sized to the 15 minutes of GPU time that run had; raise --steps
// where more is available. "cpu-contrastive" is "cpu" trained on the contrastive halves alone
// (contrastive_weight 1, no_mlm): without the vocabulary projection a step costs about a third,
// so it runs 5,000 steps in about half an hour.
var pretrainPresets = map[string]PretrainConfig{
	"cpu": {EncoderConfig: EncoderConfig{Dim: 64, Layers: 1, Heads: 4, FFNDim: 128, MaxLen: 768, AttentionWindow: 64}, Dropout: 0.1,
		MaskRate: 0.15, WholeWord: true, Steps: 3000, HeldOut: 1000, Data: DataConfig{VocabSize: 16000},
		OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 2e-3, WeightDecay: 0.01, WarmupSteps: 200, ClipNorm: 1, EvalEverySteps: 500}},
	"gpu": {EncoderConfig: EncoderConfig{Dim: 256, Layers: 4, Heads: 8, FFNDim: 1024, MaxLen: 512}, Dropout: 0.1,
		MaskRate: 0.15, WholeWord: true, Steps: 2500, HeldOut: 2000, Data: DataConfig{VocabSize: 30000},
		OptimizerConfig: OptimizerConfig{BatchSize: 64, LearningRate: 1e-3, WeightDecay: 0.01, WarmupSteps: 150, ClipNorm: 1, EvalEverySteps: 1250, LengthBuckets: 1}},
}

func init() {
	c := pretrainPresets["cpu"]
	c.ContrastiveWeight, c.NoMLM, c.Steps = 1, true, 5000
	pretrainPresets["cpu-contrastive"] = c
}

// PretrainPresets lists the pretraining presets.
func PretrainPresets() []string {
	var names []string
	for k := range pretrainPresets {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// PretrainPreset returns a named pretraining preset; quick shrinks it to a minute on 2 cores.
func PretrainPreset(name string, quick bool) (PretrainConfig, error) {
	c, ok := pretrainPresets[name]
	if !ok {
		return PretrainConfig{}, fmt.Errorf("unknown pretraining preset %q: want one of %v", name, PretrainPresets())
	}
	c.Preset, c.Seed, c.Quick = name, 1, quick
	if quick {
		c.MaxReviews, c.HeldOut, c.Data.VocabSize = 6000, 200, 8000
		c.Dim, c.FFNDim, c.MaxLen, c.Layers, c.Heads, c.AttentionWindow = 32, 64, 256, 1, 4, 64
		c.Steps, c.WarmupSteps, c.EvalEverySteps = 200, 20, 100
	}
	return c, nil
}

// Validate checks the configuration, with an error naming the field.
func (c PretrainConfig) Validate() error {
	cl := c.classifierConfig()
	if err := cl.Validate(); err != nil {
		return fmt.Errorf("pretrain %w", err)
	}
	switch {
	case c.Steps < 1:
		return fmt.Errorf("pretrain config: steps %d must be >= 1", c.Steps)
	case c.HeldOut < 1:
		return fmt.Errorf("pretrain config: held_out %d must be >= 1 (unlabeled reviews to measure the MLM loss on)", c.HeldOut)
	case c.DocumentWeight < 0 || c.DocumentWeight > 100:
		return fmt.Errorf("pretrain config: document_weight %g out of range [0, 100] (0: MLM only)", c.DocumentWeight)
	case c.DocumentPool != "" && c.DocumentPool != "states" && c.DocumentPool != "embeddings":
		return fmt.Errorf("pretrain config: document_pool %q: want \"states\" (the default) or \"embeddings\"", c.DocumentPool)
	case c.DocumentPool != "" && c.DocumentWeight == 0:
		return fmt.Errorf("pretrain config: document_pool %q needs the document loss: set document_weight > 0", c.DocumentPool)
	case c.ContrastiveWeight < 0 || c.ContrastiveWeight > 100:
		return fmt.Errorf("pretrain config: contrastive_weight %g out of range [0, 100] (0: no contrastive loss)", c.ContrastiveWeight)
	case c.ContrastiveWeight > 0 && c.AttentionWindow <= 0:
		return fmt.Errorf("pretrain config: contrastive_weight needs local attention (attention_window > 0), or the two halves of a piece would see each other; use the cpu preset or set attention_window")
	case c.NoMLM && (c.ContrastiveWeight == 0 || c.DocumentWeight > 0):
		return fmt.Errorf("pretrain config: no_mlm trains on the contrastive loss alone: set contrastive_weight > 0 (and document_weight 0)")
	case c.MaskRate <= 0 || c.MaskRate > 0.5:
		return fmt.Errorf("pretrain config: mask_rate %g out of range (0, 0.5]", c.MaskRate)
	}
	return nil
}

// Set overrides one field by its JSON name (see Config.Set).
func (c *PretrainConfig) Set(name, value string) error {
	out, err := setJSONField(*c, name, value)
	if err != nil {
		return err
	}
	out.Data.CacheDir, out.Data.Offline = c.Data.CacheDir, c.Data.Offline // not in JSON
	*c = out
	return nil
}

// classifierConfig is the classifier configuration with this encoder, used to build the store
// (hyperparameters, learning-rate schedule) the same way Train does.
func (c PretrainConfig) classifierConfig() Config {
	return Config{RunConfig: c.RunConfig, Data: c.Data, Architecture: "transformer", EncoderConfig: c.EncoderConfig, Dropout: c.Dropout,
		Pooling: "mean", HeadTokens: c.MaxLen, OptimizerConfig: c.OptimizerConfig, Epochs: 1, SelectMetric: "accuracy"}
}

// PretrainResults is results.json of a pretraining run.
type PretrainResults struct {
	Preset       string         `json:"preset"`
	Seed         uint64         `json:"seed"`
	Config       PretrainConfig `json:"config"`
	Steps        int            `json:"steps"`
	TrainSeconds float64        `json:"train_seconds"`
	Sequences    int            `json:"sequences"` // training pieces of at most max_len tokens
	Tokens       int            `json:"tokens"`    // in those pieces
	HeldOut      MLMMetrics     `json:"held_out"`
	Backend      string         `json:"backend"`
}

// MLMMetrics is the masked-language-model loss (mean cross-entropy per masked token, nats) and
// the share of masked tokens predicted exactly, on held-out text.
type MLMMetrics struct {
	Loss     float64 `json:"mlm_loss"`
	Accuracy float64 `json:"mlm_accuracy"`
	Masked   int     `json:"masked_tokens"`
	// DocumentLoss is the document loss (see PretrainConfig.DocumentWeight) on the same masked
	// tokens, when the run trains it.
	DocumentLoss float64 `json:"document_loss,omitempty"`
	// With the contrastive loss (PretrainConfig.ContrastiveWeight): its held-out value, the
	// share of pieces whose first half ranks its own second half first among the batch's
	// (chance: one in the batch size), and how many pieces took part.
	ContrastiveLoss     float64 `json:"contrastive_loss,omitempty"`
	ContrastiveAccuracy float64 `json:"contrastive_accuracy,omitempty"`
	ContrastivePieces   int     `json:"contrastive_pieces,omitempty"`
}

type pretrainState struct {
	Step, Epoch, BatchInEpoch int
	Seconds                   float64
}

// pretrainTexts returns the pretraining text, the training split's reviews (validation already
// carved out of it) and the unlabeled ones, and the held-out unlabeled reviews; validation and
// test text never enter either.
func pretrainTexts(data *imdb.Data, cfg PretrainConfig) (texts, heldOut []string, err error) {
	unlabeled := append([]imdb.Review(nil), data.Unsupervised...)
	rand.New(rand.NewPCG(cfg.Seed, 0x11ab)).Shuffle(len(unlabeled), func(i, j int) { unlabeled[i], unlabeled[j] = unlabeled[j], unlabeled[i] })
	if len(unlabeled) <= cfg.HeldOut {
		return nil, nil, fmt.Errorf("pretrain: %d unlabeled reviews, not more than held_out %d: the cache lacks the unsupervised split", len(unlabeled), cfg.HeldOut)
	}
	texts = append(imdb.Texts(data.Train), imdb.Texts(unlabeled[cfg.HeldOut:])...)
	if cfg.MaxReviews > 0 && len(texts) > cfg.MaxReviews {
		rand.New(rand.NewPCG(cfg.Seed, 0x7e47)).Shuffle(len(texts), func(i, j int) { texts[i], texts[j] = texts[j], texts[i] })
		texts = texts[:cfg.MaxReviews]
	}
	return texts, imdb.Texts(unlabeled[:cfg.HeldOut]), nil
}

// pieces cuts encoded reviews into consecutive pieces of at most maxLen tokens, so long reviews
// are used whole; a tail piece under 8 tokens is dropped (short reviews are kept).
func pieces(ids [][]int32, maxLen int) [][]int32 {
	var out [][]int32
	for _, x := range ids {
		for at := 0; at < len(x); at += maxLen {
			piece := x[at:min(at+maxLen, len(x))]
			if len(piece) >= 8 || at == 0 {
				out = append(out, piece)
			}
		}
	}
	return out
}

// newMasker returns the BERT masker for tok.
func newMasker(c PretrainConfig, tok *tokenize.Tokenizer) *mlm.Masker {
	return &mlm.Masker{Rate: c.MaskRate, MaskProb: 0.8, RandomProb: 0.1, WholeWord: c.WholeWord, MaskID: tokenize.MaskID,
		VocabSize: tok.VocabSize(),
		Special:   func(id int32) bool { return id <= tokenize.MaskID },
		Continuation: func(id int32) bool {
			return strings.HasPrefix(tok.Token(id), "##")
		}}
}

func maskedTensors(b *mlm.Batch) []*tensors.Tensor {
	return []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(b.Inputs, b.Rows, b.Len),
		tensors.FromFlatDataAndDimensions(b.Positions, b.Rows, b.Slots),
		tensors.FromFlatDataAndDimensions(b.Targets, b.Rows, b.Slots),
		tensors.FromFlatDataAndDimensions(b.Weights, b.Rows, b.Slots),
	}
}

// Pretrain runs masked-language-model pretraining of the transformer encoder into outDir:
// config.json, tokenizer.json (trained on the pretraining text), last.ckpt and state.json
// (resume: rerun with the same configuration), metrics.jsonl (training loss; held-out MLM loss
// and accuracy every eval_every_steps), and at the end encoder.ckpt and results.json. A finished
// run returns its results.
func Pretrain(ctx context.Context, cfg PretrainConfig, outDir string, progress io.Writer) (*PretrainResults, error) {
	if progress == nil {
		progress = io.Discard
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	resuming, done, err := startRun[PretrainConfig, PretrainResults](cfg, outDir, "pretrain", progress)
	if err != nil || done != nil {
		return done, err
	}

	data, err := cfg.Data.load(ctx, true)
	if err != nil {
		return nil, err
	}
	texts, heldOut, err := pretrainTexts(data, cfg)
	if err != nil {
		return nil, err
	}
	var tok *tokenize.Tokenizer
	if resuming {
		tok, err = tokenize.Load(filepath.Join(outDir, TokenizerFile))
	} else {
		tok, err = tokenize.Train(texts, tokenize.TrainOptions{VocabSize: cfg.Data.VocabSize})
	}
	if err != nil {
		return nil, err
	}
	seqs := pieces(tok.EncodeAll(texts), cfg.MaxLen)
	evalSeqs := pieces(tok.EncodeAll(heldOut), cfg.MaxLen)
	tokens := 0
	for _, s := range seqs {
		tokens += len(s)
	}
	fmt.Fprintf(progress, "pretraining text: %d reviews (train split without validation, unlabeled) -> %d pieces, %d tokens; held out: %d unlabeled reviews; vocabulary %d\n",
		len(texts), len(seqs), tokens, len(heldOut), tok.VocabSize())
	if !resuming {
		if err := writeRunStart(outDir, tok, TokenizerFile, cfg); err != nil {
			return nil, err
		}
	}

	// Eight length buckets by default rather than the classifier's four: on a CPU, padding, and
	// the prediction slots sized by the bucket, cost a third less.
	opts := batch.Options{BatchSize: cfg.BatchSize, Truncation: batch.Truncation{MaxLen: cfg.MaxLen, Head: cfg.MaxLen},
		Buckets: batch.Buckets(cfg.MaxLen, cmp.Or(cfg.LengthBuckets, 8)), Shuffle: true, Seed: cfg.Seed, DropRemainder: true}
	trainDS, err := batch.New("pretrain", seqs, make([]int, len(seqs)), opts)
	if err != nil {
		return nil, err
	}
	if len(trainDS.Plan(0)) == 0 {
		return nil, fmt.Errorf("pretrain: %d pieces of text make no full batch of %d", len(seqs), cfg.BatchSize)
	}
	opts.Shuffle, opts.DropRemainder = false, false
	evalDS, err := batch.New("held-out", evalSeqs, make([]int, len(evalSeqs)), opts)
	if err != nil {
		return nil, err
	}
	backend, err := compute.New()
	if err != nil {
		return nil, fmt.Errorf("pretrain: no GoMLX backend: %w", err)
	}
	cl := cfg.classifierConfig()
	store := newStore(cl, tok.VocabSize(), cfg.Steps)
	store.SetParams(map[string]any{smodel.ParamDocumentPool: cmp.Or(cfg.DocumentPool, "states")})
	heads := smodel.PretrainHeads{MLM: !cfg.NoMLM, Document: cfg.DocumentWeight > 0, Contrastive: cfg.ContrastiveWeight > 0}
	mlmFn := func(scope *model.Scope, tokens, positions *Node) (logits, document, contrastive *Node) {
		g := tokens.Graph()
		if scope.IsTraining(g) {
			addSchedule(scope, g, cl)
		}
		out := smodel.Pretraining(scope.In("model"), tokens, positions, heads)
		// The trainer wants the same outputs whatever the heads: a constant stands in for those
		// not built.
		zero := ScalarZero(g, smodel.DType)
		return cmp.Or(out.Logits, zero), cmp.Or(out.Document, zero), cmp.Or(out.Contrastive, zero)
	}
	lossFn := func(labels, predictions []*Node) *Node {
		loss := ScalarZero(predictions[0].Graph(), smodel.DType)
		if heads.MLM {
			loss, _ = smodel.MLMLoss(predictions[0], labels[0], labels[1])
		}
		if heads.Document {
			loss = Add(loss, MulScalar(smodel.DocumentLoss(predictions[1], labels[0], labels[1]), cfg.DocumentWeight))
		}
		if heads.Contrastive {
			loss = Add(loss, MulScalar(predictions[2], cfg.ContrastiveWeight))
		}
		return loss
	}
	trainer := train.NewTrainer(backend, store, mlmFn, lossFn, clippedOptimizer{optimizer.FromStore(store), cfg.ClipNorm, nil}, nil, nil)
	masker := newMasker(cfg, tok)
	if err := masker.Validate(); err != nil {
		return nil, err
	}

	st := pretrainState{}
	if resuming {
		if err := LoadCheckpoint(store, filepath.Join(outDir, LastCheckpoint)); err != nil {
			return nil, err
		}
		if err := readJSON(filepath.Join(outDir, StateFile), &st); err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "resuming at step %d\n", st.Step)
	}
	trainDS.SetPosition(st.Epoch, st.BatchInEpoch)
	logLine, closeLog, err := openMetricsLog(outDir)
	if err != nil {
		return nil, err
	}
	defer closeLog()
	start := time.Now().Add(-time.Duration(st.Seconds * float64(time.Second)))

	// evaluate measures the held-out MLM loss and accuracy with a fixed masking (the same
	// corruption at every evaluation, so it is made once), then checkpoints.
	var last MLMMetrics
	var evalBatches []*mlm.Batch
	evaluate := func() error {
		if evalBatches == nil {
			for i, planned := range evalDS.Plan(0) {
				evalBatches = append(evalBatches, masker.MaskBatch(rand.New(rand.NewPCG(0xe7a1, uint64(i))), evalDS.Tokens(planned), cfg.BatchSize, planned.Len))
			}
		}
		// A fresh executor per evaluation, as in Train (a cached one can see stale weights).
		// Sums over the batches, each loss weighted by what it averages over: the MLM loss,
		// masked-token hits, masked tokens, the document loss, the contrastive loss, its hits,
		// and the pieces it scored.
		const nSums = 7
		evalExec, err := model.NewExec(backend, store, func(scope *model.Scope, tokens, positions, targets, weights *Node) []*Node {
			g := tokens.Graph()
			out := smodel.Pretraining(scope.In("model"), tokens, positions, heads)
			sums := make([]*Node, nSums)
			for i := range sums {
				sums[i] = ScalarZero(g, smodel.DType)
			}
			count := ReduceAllSum(weights)
			weight := Max(count, OnesLike(count))
			if heads.MLM {
				loss, correct := smodel.MLMLoss(out.Logits, targets, weights)
				sums[0], sums[1], sums[2] = Mul(loss, weight), correct, count
			}
			if heads.Document {
				sums[3] = Mul(smodel.DocumentLoss(out.Document, targets, weights), weight)
			}
			if heads.Contrastive {
				sums[4], sums[5], sums[6] = Mul(out.Contrastive, out.ContrastiveCount), out.ContrastiveCorrect, out.ContrastiveCount
			}
			return sums
		})
		if err != nil {
			return err
		}
		var sums [nSums]float64
		for _, mb := range evalBatches {
			out, err := evalExec.Exec(maskedTensors(mb))
			if err != nil {
				return fmt.Errorf("pretrain: evaluation: %w", err)
			}
			for i := range sums {
				sums[i] += float64(tensors.MustCopyFlatData[float32](out[i])[0])
			}
		}
		last = MLMMetrics{Loss: sums[0] / max(sums[2], 1), Accuracy: sums[1] / max(sums[2], 1), Masked: int(sums[2]),
			DocumentLoss: sums[3] / max(sums[2], 1), ContrastiveLoss: sums[4] / max(sums[6], 1),
			ContrastiveAccuracy: sums[5] / max(sums[6], 1), ContrastivePieces: int(sums[6])}
		st.Seconds = time.Since(start).Seconds()
		logLine(map[string]any{"type": "validation", "step": st.Step, "seconds": st.Seconds, "held_out": last})
		fmt.Fprintf(progress, "\nstep %d: held-out", st.Step)
		if heads.MLM {
			fmt.Fprintf(progress, " MLM loss %.4f, masked-token accuracy %.4f (%d masked tokens)", last.Loss, last.Accuracy, last.Masked)
		}
		if heads.Document {
			fmt.Fprintf(progress, ", document loss %.4f", last.DocumentLoss)
		}
		if heads.Contrastive {
			fmt.Fprintf(progress, "; contrastive loss %.4f, halves matched %.4f (%d pieces)", last.ContrastiveLoss, last.ContrastiveAccuracy, last.ContrastivePieces)
		}
		fmt.Fprintln(progress)
		if err := SaveCheckpoint(store, filepath.Join(outDir, LastCheckpoint)); err != nil {
			return err
		}
		return writeJSON(filepath.Join(outDir, StateFile), st)
	}

	var emaLoss float64
	var names []string
	for _, h := range []struct {
		on   bool
		name string
	}{{heads.MLM, "MLM"}, {heads.Document, "document"}, {heads.Contrastive, "contrastive"}} {
		if h.on {
			names = append(names, h.name)
		}
	}
	lossName := strings.Join(names, " + ") + " loss"
	for st.Step < cfg.Steps {
		for planned := range trainDS.IterPlanned() {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("pretrain: interrupted at step %d; rerun the same command to resume from the last checkpoint (step %d)", st.Step, lastSavedStep(outDir))
			}
			mb := masker.MaskBatch(rand.New(rand.NewPCG(cfg.Seed, uint64(st.Step)+1)), trainDS.Tokens(planned), cfg.BatchSize, planned.Len)
			in := maskedTensors(mb)
			out, err := trainer.TrainStep(train.Batch{Inputs: in[:2], Labels: in[2:], Spec: planned.Len})
			if err != nil {
				return nil, fmt.Errorf("pretrain: step %d: %w", st.Step+1, err)
			}
			lossValue := float64(tensors.MustCopyFlatData[float32](out[0])[0])
			st.Step++
			st.Epoch, st.BatchInEpoch = trainDS.Epoch(), trainDS.Position()
			if math.IsNaN(lossValue) || math.IsInf(lossValue, 0) {
				return nil, fmt.Errorf("pretrain: the loss became %v at step %d; the last good checkpoint is %s (step %d). Lower the learning rate",
					lossValue, st.Step, filepath.Join(outDir, LastCheckpoint), lastSavedStep(outDir))
			}
			if emaLoss == 0 {
				emaLoss = lossValue
			}
			emaLoss = 0.98*emaLoss + 0.02*lossValue
			if st.Step%10 == 0 || st.Step == 1 {
				elapsed := time.Since(start).Seconds()
				fmt.Fprintf(progress, "\r%s %s %.4f  step %d/%d  %.2f steps/s   ", bar(st.Step, cfg.Steps), lossName, emaLoss, st.Step, cfg.Steps, float64(st.Step)/max(elapsed, 1e-9))
				logLine(map[string]any{"type": "train", "step": st.Step, "epoch": st.Epoch + 1, "loss": lossValue, "loss_ema": emaLoss, "seconds": elapsed})
			}
			if st.Step%cfg.EvalEverySteps == 0 || st.Step == cfg.Steps {
				if err := evaluate(); err != nil {
					return nil, err
				}
			}
			if st.Step >= cfg.Steps {
				break
			}
		}
	}
	if err := saveCheckpointFiltered(store, filepath.Join(outDir, EncoderCheckpoint), isEncoderVariable); err != nil {
		return nil, err
	}
	res := &PretrainResults{Preset: cfg.Preset, Seed: cfg.Seed, Config: cfg, Steps: st.Step, TrainSeconds: st.Seconds,
		Sequences: len(seqs), Tokens: tokens, HeldOut: last, Backend: backend.Name()}
	if err := writeJSON(filepath.Join(outDir, ResultsFile), res); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "pretrained %d steps in %.0f s:", st.Step, st.Seconds)
	if heads.MLM {
		fmt.Fprintf(progress, " held-out MLM loss %.4f, accuracy %.4f;", last.Loss, last.Accuracy)
	}
	if heads.Contrastive {
		fmt.Fprintf(progress, " held-out contrastive loss %.4f, halves matched %.4f;", last.ContrastiveLoss, last.ContrastiveAccuracy)
	}
	fmt.Fprintf(progress, " encoder in %s\n", filepath.Join(outDir, EncoderCheckpoint))
	return res, nil
}

// isEncoderVariable reports the variables a fine-tuned classifier takes from pretraining: the
// model's weights, without the MLM head (and without optimizer state or step counters).
func isEncoderVariable(path string) bool {
	return strings.HasPrefix(path, "/model/") && !strings.HasPrefix(path, "/model/"+smodel.MLMHeadScope+"/")
}
