package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

// cmdTrain runs `sentiment train`: it trains a classifier of a preset, or fine-tunes a
// pretrained encoder (--init), into its directory; rerun, it resumes.
func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", stderr)
	rf := runFlags{verb: "training"}
	rf.register(fs, runHelp{preset: "default", presets: sentimentlib.Presets(), length: "epochs",
		seed: "initialisation, dropout and data order", quick: "small subset and model", set: "--set max_len=256 --set dropout=0.2"})
	gamma := fs.Float64("loss-confidence-gamma", 0, "SentimentWeightedLoss confidence exponent (0: off)")
	alpha := fs.Float64("loss-length-alpha", 0, "SentimentWeightedLoss length exponent (0: off)")
	beta := fs.Float64("loss-class-beta", 0, "SentimentWeightedLoss class-weight exponent (0: off)")
	smoothing := fs.Float64("loss-label-smoothing", 0, "label smoothing epsilon: targets eps/2 and 1-eps/2 (0: off)")
	var inits listFlag
	fs.Var(&inits, "init", "fine-tune the encoder pretrained in this directory (sentiment pretrain); its shape and tokenizer replace the preset's. Repeat it to feed the region CNN several tv-embeddings (--init A --init B --init C): each further one joins the first as a frozen input")
	freeze := fs.Int("freeze-encoder-steps", 0, "with --init: train only the classifier head for the first N steps")
	layerDecay := fs.Float64("layer-lr-decay", 0, "with --init: layer-wise learning-rate decay in (0, 1), e.g. 0.8: each layer down learns at that factor of the one above, the head at the full rate (0: off)")
	initScale := fs.Float64("init-scale", 0, "with --init: multiply the pretrained encoder's residual stream (embeddings, attention and FFN outputs) by this factor in (0, 1), e.g. 0.25, so its weights are as small as a fresh model's (0: off)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := sentimentlib.Preset(rf.preset, rf.quick)
	if err != nil {
		return err
	}
	cfg.Loss.ConfidenceGamma, cfg.Loss.LengthAlpha, cfg.Loss.ClassBeta = *gamma, *alpha, *beta
	cfg.Loss.LabelSmoothing = *smoothing
	if len(inits) > 0 {
		if err := cfg.InitFrom(inits[0]); err != nil {
			return err
		}
		for _, dir := range inits[1:] {
			if err := cfg.AddInit(dir); err != nil {
				return err
			}
		}
		cfg.FreezeEncoderSteps, cfg.LayerLRDecay, cfg.InitScale = *freeze, *layerDecay, *initScale
	} else if *freeze > 0 || *layerDecay != 0 || *initScale != 0 {
		return fmt.Errorf("--freeze-encoder-steps, --layer-lr-decay and --init-scale need --init: they adapt a pretrained encoder, and a new one has none")
	}
	if err := rf.apply(&cfg, &cfg.RunConfig, &cfg.Data, &cfg.Epochs); err != nil {
		return err
	}
	if !sentimentlib.SIMDEnabled {
		fmt.Fprintln(stderr, "warning: built without GOEXPERIMENT=simd: CPU training is several times slower (use make, or export GOEXPERIMENT=simd)")
	}
	rf.announce(stderr)
	res, err := sentimentlib.Train(ctx, cfg, rf.out, stderr)
	if err != nil {
		return err
	}
	if cfg.NoTest {
		fmt.Fprintf(stdout, "validation accuracy %.4f, F1 %.4f, ROC-AUC %.4f (test not read); trained in %.0f s; model in %s\n",
			res.Validation.Accuracy, res.Validation.F1, res.Validation.ROCAUC, res.TrainSeconds, rf.out)
		return nil
	}
	fmt.Fprintf(stdout, "test accuracy %.4f, F1 %.4f, ROC-AUC %.4f; trained in %.0f s; model in %s\n",
		res.Test.Accuracy, res.Test.F1, res.Test.ROCAUC, res.TrainSeconds, rf.out)
	return nil
}
