package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sentiment-go/sentiment/sentimentlib/experiments"
)

// inspectUsage is the -h text of inspect after "Usage: sentiment inspect ".
const inspectUsage = `CHECKPOINT

Lists a checkpoint's variables (encoder.ckpt, best.ckpt, last.ckpt) with shape and root mean square.`

// cmdInspect runs `sentiment inspect`: each variable of a checkpoint with its shape and root
// mean square.
func cmdInspect(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, err := parseFlagless("inspect", inspectUsage, args, stderr)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("inspect: name one checkpoint file, e.g. sentiment inspect runs/pretrain-cpu-seed1/encoder.ckpt")
	}
	vars, err := experiments.InspectCheckpoint(fs.Arg(0))
	if err != nil {
		return err
	}
	for _, v := range vars {
		fmt.Fprintf(stdout, "%-72s %-8s %-14s rms %.4f\n", v.Path, v.DType, fmt.Sprint(v.Dims), v.RMS)
	}
	return nil
}
