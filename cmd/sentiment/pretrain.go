package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sentiment-go/sentiment/sentimentlib"
)

// cmdPretrain runs `sentiment pretrain`: it pretrains an encoder of a pretraining preset on the
// training and unlabeled text, for train --init; rerun, it resumes.
func cmdPretrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pretrain", stderr)
	rf := runFlags{verb: "pretraining", prefix: "pretrain-"}
	rf.register(fs, runHelp{preset: "cpu", presets: sentimentlib.PretrainPresets(), length: "steps",
		seed: "initialisation, masking, dropout and data order", quick: "small text subset and model", set: "--set mask_rate=0.2"})
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := sentimentlib.PretrainPreset(rf.preset, rf.quick)
	if err != nil {
		return err
	}
	if err := rf.apply(&cfg, &cfg.RunConfig, &cfg.Data, &cfg.Steps); err != nil {
		return err
	}
	rf.announce(stderr)
	res, err := sentimentlib.Pretrain(ctx, cfg, rf.out, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s; %d steps in %.0f s; fine-tune with: sentiment train --preset %s --init %s\n", res.Summary(), res.Steps, res.TrainSeconds, cfg.FineTunePreset(), rf.out)
	return nil
}
