package sentimentlib

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/trainloop"
	"github.com/sentiment-go/sentiment/sentimentlib/loss"
	"github.com/sentiment-go/sentiment/sentimentlib/mlm"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/optim"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// The transformer's pretraining: the masked language model (whole-word, BERT's 80/10/10 rule)
// on pieces of the training and unlabeled reviews, with the document and contrastive losses a
// configuration adds; encoder.ckpt holds the encoder, without the heads.

func init() {
	cpu := mlmPresets["cpu"]
	cpu.ContrastiveWeight, cpu.NoMLM, cpu.Steps = 1, true, 5000
	mlmPresets["cpu-contrastive"] = cpu
	registerPretraining(&pretraining{name: transformerName, validate: validateMLM, run: pretrainMLM, finetune: "default",
		heldOut: func(m MLMMetrics) string {
			return fmt.Sprintf("held-out MLM loss %.4f, masked-token accuracy %.4f", m.Loss, m.Accuracy)
		}}, mlmPresets)
}

// mlmPresets: "cpu" is the encoder of the default classifier preset (so fine-tuning it
// costs what training the default costs), sized to run in under an hour on 2 CPU cores; its
// vocabulary is 16,000 rather than the classifier's 30,000 because the MLM output layer, one
// row per vocabulary entry at every masked token, costs several times the encoder. "gpu" is the
// 4-layer, 256-wide encoder of the "gpu" classifier preset, for an accelerator, its pieces
// padded to one length (one compiled shape); raise --steps where GPU time allows.
// "cpu-contrastive" is "cpu" trained on the contrastive halves alone (contrastive_weight 1,
// no_mlm): without the vocabulary projection a step costs less, so it runs more of them.
var mlmPresets = map[string]PretrainConfig{
	"cpu": {EncoderConfig: EncoderConfig{Dim: 64, Layers: 1, Heads: 4, FFNDim: 128, MaxLen: 768, AttentionWindow: 64}, Dropout: 0.1,
		MaskRate: 0.15, WholeWord: true, Steps: 3000, HeldOut: 1000, Data: DataConfig{VocabSize: 16000},
		OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 2e-3, WeightDecay: 0.01, WarmupSteps: 200, ClipNorm: 1, EvalEverySteps: 500}},
	"gpu": {EncoderConfig: EncoderConfig{Dim: 256, Layers: 4, Heads: 8, FFNDim: 1024, MaxLen: 512}, Dropout: 0.1,
		MaskRate: 0.15, WholeWord: true, Steps: 2500, HeldOut: 2000, Data: DataConfig{VocabSize: 30000},
		OptimizerConfig: OptimizerConfig{BatchSize: 64, LearningRate: 1e-3, WeightDecay: 0.01, WarmupSteps: 150, ClipNorm: 1, EvalEverySteps: 1250, LengthBuckets: 1}},
}

// validateMLM checks a configuration of the transformer's pretraining.
func validateMLM(c PretrainConfig) error {
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

// classifierConfig is the classifier configuration with this encoder, used to build the store
// (hyperparameters, learning-rate schedule) the same way Train does.
func (c PretrainConfig) classifierConfig() Config {
	return Config{RunConfig: c.RunConfig, Data: c.Data, Architecture: transformerName, EncoderConfig: c.EncoderConfig, Dropout: c.Dropout,
		Pooling: "mean", HeadTokens: c.MaxLen, OptimizerConfig: c.OptimizerConfig, Epochs: 1, SelectMetric: "accuracy"}
}

// pretrainMLM pretrains the transformer encoder (see Pretrain): the tokenizer is trained on the
// pretraining text, which is cut into pieces of at most max_len tokens.
func pretrainMLM(ctx context.Context, cfg PretrainConfig, outDir string, resuming bool, progress io.Writer) (*PretrainResults, error) {
	feat, texts, heldOutTexts, err := pretrainingText(ctx, cfg, outDir, resuming, tokenizerFeatures, func(_ *imdb.Data, texts []string) (Features, error) {
		return tokenize.Train(texts, tokenize.TrainOptions{VocabSize: cfg.Data.VocabSize})
	})
	if err != nil {
		return nil, err
	}
	tok := feat.(*tokenize.Tokenizer)
	seqs, held := pieces(tok.EncodeAll(texts), cfg.MaxLen), pieces(tok.EncodeAll(heldOutTexts), cfg.MaxLen)
	fmt.Fprintf(progress, "pretraining text: %d reviews (%s, unlabeled) -> %d pieces, %d tokens; held out: %d unlabeled reviews; vocabulary %d\n",
		len(texts), cfg.trainText(), len(seqs), countTokens(seqs), len(heldOutTexts), tok.VocabSize())
	trainDS, heldDS, err := pretrainBatches(seqs, held, batch.Options{BatchSize: cfg.BatchSize, Truncation: batch.Truncation{MaxLen: cfg.MaxLen, Head: cfg.MaxLen},
		Buckets: batch.Buckets(cfg.MaxLen, cmp.Or(cfg.LengthBuckets, 8)), Seed: cfg.Seed})
	if err != nil {
		return nil, err
	}
	backend, err := newBackend("pretrain")
	if err != nil {
		return nil, err
	}
	masker := newMasker(cfg, tok)
	if err := masker.Validate(); err != nil {
		return nil, err
	}
	h := pretrainHeads(cfg)
	trainer, store := newPretrainer(backend, cfg, tok.VocabSize())
	run := &trainloop.Run{Name: "pretrain", Dir: outDir, Store: store, Trainer: trainer, Batches: trainDS, Steps: cfg.Steps,
		EvalEvery: cfg.EvalEverySteps, LossName: h.name(), Progress: progress,
		Make: func(p batch.Planned, step int) train.Batch {
			in := maskedTensors(masker.MaskBatch(rand.New(rand.NewPCG(cfg.Seed, uint64(step)+1)), trainDS.Tokens(p), cfg.BatchSize, p.Len))
			return train.Batch{Inputs: in[:2], Labels: in[2:], Spec: p.Len}
		}}
	eval := &heldOut{run: run, backend: backend, progress: progress,
		batches: func() (out [][]*tensors.Tensor) {
			for i, planned := range heldDS.Plan(0) {
				out = append(out, maskedTensors(masker.MaskBatch(rand.New(rand.NewPCG(0xe7a1, uint64(i))), heldDS.Tokens(planned), cfg.BatchSize, planned.Len)))
			}
			return out
		},
		graph: func(scope *model.Scope, in []*Node) []*Node {
			return heldOutSums(smodel.Pretraining(scope.In("model"), in[0], in[1], h.PretrainHeads), h, in[2], in[3])
		},
		report: func(sums []float64) (MLMMetrics, string) {
			m := MLMMetrics{Loss: sums[0] / max(sums[2], 1), Accuracy: sums[1] / max(sums[2], 1), Masked: int(sums[2]),
				DocumentLoss: sums[3] / max(sums[2], 1), ContrastiveLoss: sums[4] / max(sums[6], 1),
				ContrastiveAccuracy: sums[5] / max(sums[6], 1), ContrastivePieces: int(sums[6])}
			return m, m.describe(h)
		}}
	return (&pretrainRun{loop: run, eval: eval, seqs: seqs, keep: isEncoderVariable, saved: "encoder"}).finish(ctx, cfg, resuming, progress)
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

// heads is what a pretraining run trains, with the weights of the added losses.
type heads struct {
	smodel.PretrainHeads
	documentWeight, contrastiveWeight float64
}

func pretrainHeads(cfg PretrainConfig) heads {
	return heads{smodel.PretrainHeads{MLM: !cfg.NoMLM, Document: cfg.DocumentWeight > 0, Contrastive: cfg.ContrastiveWeight > 0},
		cfg.DocumentWeight, cfg.ContrastiveWeight}
}

// name is the trained loss in the progress line ("MLM + contrastive loss").
func (h heads) name() string {
	var names []string
	for _, n := range []struct {
		on   bool
		name string
	}{{h.MLM, "MLM"}, {h.Document, "document"}, {h.Contrastive, "contrastive"}} {
		if n.on {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, " + ") + " loss"
}

// newPretrainer builds the store of cfg's encoder and the trainer of its pretraining heads:
// the model returns the MLM logits, the document logits and the contrastive loss (a constant
// for those not built), the loss adds the asked-for ones with their weights.
func newPretrainer(backend compute.Backend, cfg PretrainConfig, vocab int) (*train.Trainer, *model.Store) {
	cl := cfg.classifierConfig()
	store := newStore(cl, vocab, cfg.Steps)
	store.SetParams(map[string]any{smodel.ParamDocumentPool: cmp.Or(cfg.DocumentPool, "states")})
	h := pretrainHeads(cfg)
	modelFn := func(scope *model.Scope, tokens, positions *Node) (logits, document, contrastive *Node) {
		g := tokens.Graph()
		addSchedule(scope, g, cl)
		out := smodel.Pretraining(scope.In("model"), tokens, positions, h.PretrainHeads)
		zero := ScalarZero(g, smodel.DType)
		return cmp.Or(out.Logits, zero), cmp.Or(out.Document, zero), cmp.Or(out.Contrastive, zero)
	}
	lossFn := func(labels, predictions []*Node) *Node {
		l := ScalarZero(predictions[0].Graph(), smodel.DType)
		if h.MLM {
			l, _ = loss.MLM(predictions[0], labels[0], labels[1])
		}
		if h.Document {
			l = Add(l, MulScalar(loss.Document(predictions[1], labels[0], labels[1]), h.documentWeight))
		}
		if h.Contrastive {
			l = Add(l, MulScalar(predictions[2], h.contrastiveWeight))
		}
		return l
	}
	return train.NewTrainer(backend, store, modelFn, lossFn, optim.New(store, cfg.ClipNorm, nil), nil, nil), store
}

// nHeldOutSums are heldOutSums' outputs: the MLM loss, masked-token hits and masked tokens,
// the document loss, the contrastive loss, its hits and the pieces it scored, each loss
// weighted by what it averages over, so that they add up over batches.
const nHeldOutSums = 7

func heldOutSums(out smodel.PretrainOutputs, h heads, targets, weights *Node) []*Node {
	g := targets.Graph()
	sums := make([]*Node, nHeldOutSums)
	for i := range sums {
		sums[i] = ScalarZero(g, smodel.DType)
	}
	count := ReduceAllSum(weights)
	weight := Max(count, OnesLike(count))
	if h.MLM {
		l, correct := loss.MLM(out.Logits, targets, weights)
		sums[0], sums[1], sums[2] = Mul(l, weight), correct, count
	}
	if h.Document {
		sums[3] = Mul(loss.Document(out.Document, targets, weights), weight)
	}
	if h.Contrastive {
		sums[4], sums[5], sums[6] = Mul(out.Contrastive, out.ContrastiveCount), out.ContrastiveCorrect, out.ContrastiveCount
	}
	return sums
}

// describe is the held-out metrics of the trained heads, for progress lines.
func (m MLMMetrics) describe(h heads) string {
	var parts []string
	if h.MLM {
		parts = append(parts, fmt.Sprintf("MLM loss %.4f, masked-token accuracy %.4f (%d masked tokens)", m.Loss, m.Accuracy, m.Masked))
	}
	if h.Document {
		parts = append(parts, fmt.Sprintf("document loss %.4f", m.DocumentLoss))
	}
	if h.Contrastive {
		parts = append(parts, fmt.Sprintf("contrastive loss %.4f, halves matched %.4f (%d pieces)", m.ContrastiveLoss, m.ContrastiveAccuracy, m.ContrastivePieces))
	}
	return strings.Join(parts, "; ")
}

// isEncoderVariable reports the variables a fine-tuned classifier takes from pretraining: the
// model's weights, without the MLM head (and without optimizer state or step counters).
func isEncoderVariable(path string) bool {
	return strings.HasPrefix(path, "/model/") && !strings.HasPrefix(path, "/model/"+smodel.MLMHeadScope+"/")
}
