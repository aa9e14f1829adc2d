package sentimentlib

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sentiment-go/sentiment/sentimentlib/batch"
	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/jsonfield"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
	"github.com/sentiment-go/sentiment/sentimentlib/tokenize"
)

// transformerName is the transformer's name in config.json, and its pretraining's (in the
// pretraining's config.json, where it may be left out).
const transformerName = "transformer"

// The transformer (model.Transformer): a pre-norm encoder over WordPiece tokens, pooled, then a
// linear head; `pretrain` (masked language model, contrastive halves) pretrains its encoder.
func init() {
	register(&architecture{
		name: transformerName, graph: smodel.TransformerAttributions, features: tokenizerFeatures,
		validate: func(c Config) error { return validateTokenModel(c, true) },
		quick: func(c *Config) {
			quickTokenModel(c)
			c.Dim, c.FFNDim = 32, 64
		},
		explains: "Integrated Gradients on the token embeddings",
		depth: func(path string, layers int) int {
			rel, _ := strings.CutPrefix(path, "/model/")
			return smodel.LayerDepth(rel, layers)
		},
		pretraining: transformerName, // pretrain_mlm.go
		initFrom: func(c *Config, pc PretrainConfig) {
			c.EncoderConfig, c.Data.VocabSize = pc.EncoderConfig, pc.Data.VocabSize
			c.HeadTokens = min(c.HeadTokens, c.MaxLen)
		},
		initDiffs: func(c Config, pc PretrainConfig) []string { return jsonfield.Diff(c.EncoderConfig, pc.EncoderConfig) },
	}, map[string]Config{
		// "default" must train on 2 CPU cores within 20 minutes. Chosen on validation accuracy
		// (docs/transformer.md): 64-token attention windows over 768 tokens, 2 epochs, dropout 0.2.
		"default": {
			EncoderConfig: EncoderConfig{Dim: 64, Layers: 1, Heads: 4, FFNDim: 128, MaxLen: 768, AttentionWindow: 64},
			Dropout:       0.2, Pooling: "mean", HeadTokens: 128, Epochs: 2, Patience: 2, SelectMetric: "accuracy",
			OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 1e-3, WeightDecay: 0.05, WarmupSteps: 200, ClipNorm: 1},
			Data:            DataConfig{VocabSize: 30000},
		},
		// The loss comparison's preset: the default architecture at quick size on 10,000 training
		// reviews for 2 epochs, scored on the full validation and test splits, so that a grid of
		// 10 settings x 3 seeds fits in under an hour on 2 cores.
		"compare": {
			EncoderConfig: EncoderConfig{Dim: 32, Layers: 1, Heads: 4, FFNDim: 64, MaxLen: 256, AttentionWindow: 64},
			Dropout:       0.2, Pooling: "mean", HeadTokens: 64, Epochs: 2, Patience: 2, SelectMetric: "accuracy", MaxTrainReviews: 10000,
			OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 1e-3, WeightDecay: 0.05, WarmupSteps: 30, ClipNorm: 1},
			Data:            DataConfig{VocabSize: 8000},
		},
		// The classifier with the shape of the "gpu" pretraining preset (4 layers, 256 wide, global
		// attention over 512 tokens), for an accelerator: from scratch, or fine-tuned with --init
		// from `sentiment pretrain --preset gpu` at the same fine-tuning budget.
		"gpu": {
			EncoderConfig: EncoderConfig{Dim: 256, Layers: 4, Heads: 8, FFNDim: 1024, MaxLen: 512},
			Dropout:       0.1, Pooling: "mean", HeadTokens: 128, Epochs: 2, Patience: 2, SelectMetric: "accuracy",
			OptimizerConfig: OptimizerConfig{BatchSize: 32, LearningRate: 3e-4, WeightDecay: 0.01, WarmupSteps: 200, ClipNorm: 1, LengthBuckets: 2},
			Data:            DataConfig{VocabSize: 30000},
		},
	})
}

// tokenizerFeatures are the WordPiece tokenizer (tokenize.Tokenizer, a Hugging Face
// tokenizer.json) of the token models, transformer and ngrams.
var tokenizerFeatures = &featureKind{
	file: TokenizerFile,
	fit: func(data *imdb.Data, cfg Config) (Features, error) {
		return TrainTokenizer(data, cfg.Data.VocabSize)
	},
	load:     func(path string, _ Config) (Features, error) { return tokenize.Load(path) },
	describe: func(f Features) string { return fmt.Sprintf("vocabulary %d", f.VocabSize()) },
	known: func(ids []int32) bool {
		return slices.ContainsFunc(ids, func(id int32) bool { return id != tokenize.PadID && id != tokenize.UnkID })
	},
	words: tokenWords,
	unkID: int(tokenize.UnkID),
	recipe: "a Hugging Face tokenizer.json (WordPiece with its normalizer): encode the review without special tokens " +
		"(Python tokenizers: Tokenizer.from_file(f).encode(text, add_special_tokens=False).ids; JavaScript: @huggingface/tokenizers)",
	web: true,
}

// tokenWords joins the WordPiece pieces of row (padded) into words, adding their attributions;
// [CLS] and [SEP] are left out.
func tokenWords(f Features, _ batch.Options, _ string, row []int32, attr []float64) []WordAttribution {
	tok := f.(*tokenize.Tokenizer)
	var out []WordAttribution
	for i, id := range row {
		if id == 0 { // padding
			break
		}
		piece := tok.Token(id)
		if strings.HasPrefix(piece, "[") && strings.HasSuffix(piece, "]") && piece != "[UNK]" {
			continue // [CLS], [SEP]
		}
		if rest, ok := strings.CutPrefix(piece, "##"); ok && len(out) > 0 {
			last := &out[len(out)-1]
			last.Word += rest
			last.Attribution += attr[i]
			continue
		}
		out = append(out, WordAttribution{Word: piece, Attribution: attr[i]})
	}
	return out
}

// quickTokenModel shrinks a token model's preset to a --quick run.
func quickTokenModel(c *Config) {
	c.Data.VocabSize = 8000
	c.MaxLen, c.HeadTokens = 256, 64
	c.Epochs, c.WarmupSteps = 3, 30
}

// validateTokenModel checks a token model's configuration: its width and dropout (and, for the
// transformer, heads, layers and pooling), the common fields, the attention window and the
// fine-tuning settings.
func validateTokenModel(c Config, transformer bool) error {
	switch {
	case c.Dim < 4 || c.Dim > 4096:
		return fmt.Errorf("config: model_dim %d out of range [4, 4096]", c.Dim)
	case transformer && (c.Heads < 1 || c.Dim%c.Heads != 0):
		return fmt.Errorf("config: num_heads %d must be >= 1 and divide model_dim %d", c.Heads, c.Dim)
	case transformer && (c.Layers < 1 || c.Layers > 48):
		return fmt.Errorf("config: num_layers %d out of range [1, 48]", c.Layers)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("config: dropout %g out of range [0, 1)", c.Dropout)
	}
	if err := c.validateCommon(); err != nil {
		return err
	}
	if c.AttentionWindow < 0 || (c.AttentionWindow > 0 && c.MaxLen%c.AttentionWindow != 0) {
		return fmt.Errorf("config: attention_window %d must be 0 (global) or divide max_len %d", c.AttentionWindow, c.MaxLen)
	}
	if err := c.validateFineTuning(); err != nil {
		return err
	}
	if transformer && !slices.Contains(smodel.Poolings, c.Pooling) {
		return fmt.Errorf("config: pooling %q: want one of %s", c.Pooling, strings.Join(smodel.Poolings, ", "))
	}
	return nil
}
