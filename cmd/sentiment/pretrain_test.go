package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPretrainThenInit pretrains a tiny encoder on the fixture, fine-tunes it with train --init,
// and checks the errors of a wrong --init and of --freeze-encoder-steps or --layer-lr-decay alone.
func TestPretrainThenInit(t *testing.T) {
	t.Setenv("HF_HUB_OFFLINE", "1")
	ctx := context.Background()
	fixture := "../../data/hf-cache"
	pre, dir := t.TempDir(), t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"pretrain", "--quick", "--hf-cache", fixture, "--out", pre, "--steps", "20", "--set", "held_out=20",
		"--set", "batch_size=8", "--set", "model_dim=16", "--set", "ffn_dim=32", "--set", "max_len=64", "--set", "data.vocab_size=2000",
		"--set", "eval_every_steps=10"}
	if err := run(ctx, args, &out, &errb); err != nil {
		t.Fatalf("pretrain: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "fine-tune with: sentiment train --preset default --init "+pre) {
		t.Errorf("pretrain output: %s", out.String())
	}
	for _, f := range []string{"encoder.ckpt", "tokenizer.json", "results.json", "metrics.jsonl"} {
		if _, err := os.Stat(filepath.Join(pre, f)); err != nil {
			t.Errorf("pretrain: %v", err)
		}
	}
	out.Reset()
	train := []string{"train", "--quick", "--hf-cache", fixture, "--out", dir, "--init", pre, "--freeze-encoder-steps", "3", "--layer-lr-decay", "0.7", "--init-scale", "0.5", "--set", "epochs=1"}
	if err := run(ctx, train, &out, &errb); err != nil {
		t.Fatalf("train --init: %v\n%s", err, errb.String())
	}
	var cfg struct {
		Init   string  `json:"init"`
		Freeze int     `json:"freeze_encoder_steps"`
		Decay  float64 `json:"layer_lr_decay"`
		Scale  float64 `json:"init_scale"`
		Dim    int     `json:"model_dim"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if err := json.Unmarshal(b, &cfg); err != nil || cfg.Init != pre || cfg.Freeze != 3 || cfg.Decay != 0.7 || cfg.Scale != 0.5 || cfg.Dim != 16 {
		t.Errorf("config.json after --init: %+v (%v): want init %s, freeze 3, decay 0.7, scale 0.5, the pretrained width 16", cfg, err, pre)
	}
	if !strings.Contains(errb.String(), "scaled the encoder's residual stream by 0.5 (6 variables)") {
		t.Errorf("train --init-scale 0.5: the log does not report the scaling:\n%s", errb.String())
	}
	for _, bad := range [][]string{{"--init", t.TempDir()}, {"--freeze-encoder-steps", "5"}, {"--layer-lr-decay", "0.8"}, {"--init-scale", "0.5"}, {"--init", pre, "--set", "max_len=128"}, {"--init", pre, "--init", pre}} {
		err := run(ctx, append([]string{"train", "--quick", "--hf-cache", fixture, "--out", t.TempDir()}, bad...), &out, &errb)
		want := map[string]string{"--init": "sentiment pretrain", "--freeze-encoder-steps": "need --init", "--layer-lr-decay": "need --init", "--init-scale": "need --init"}[bad[0]]
		switch {
		case len(bad) == 4 && bad[2] == "--set":
			want = "max_len 128 (pretrained: 64)"
		case len(bad) == 4:
			want = "reads one pretrained encoder; give --init once" // a transformer takes one
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("train %v: error %v, want one containing %q", bad, err, want)
		}
	}
}
