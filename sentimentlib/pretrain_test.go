package sentimentlib

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib/imdb"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"
	"github.com/sentiment-go/sentiment/sentimentlib/internal/testkit"
)

// tinyPretrain pretrains in a second or two on the fixture.
func tinyPretrain(t testing.TB) PretrainConfig {
	c, err := PretrainPreset("cpu", true)
	if err != nil {
		t.Fatal(err)
	}
	c.Data = DataConfig{CacheDir: fixture, VocabSize: 2000, Offline: true}
	c.HeldOut, c.BatchSize, c.Dim, c.FFNDim, c.MaxLen, c.AttentionWindow = 20, 8, 16, 32, 64, 16
	c.Steps, c.EvalEverySteps, c.WarmupSteps = 30, 10, 3
	return c
}

func readVars(t *testing.T, path string) map[string][]byte {
	vars, err := rundir.VariableData(path)
	if err != nil {
		t.Fatal(err)
	}
	return vars
}

func TestPretrainTextsExcludeValidationAndTest(t *testing.T) {
	cfg := tinyPretrain(t)
	data, err := imdb.Load(context.Background(), imdb.Options{CacheDir: fixture, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	texts, heldOut, err := pretrainTexts(data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, s := range texts {
		in[s] = true
	}
	for _, r := range append(data.Validation, data.Test...) {
		if in[r.Text] {
			t.Fatalf("validation or test review in the pretraining text: %.60q", r.Text)
		}
	}
	for _, s := range heldOut {
		if in[s] {
			t.Fatalf("held-out review in the pretraining text: %.60q", s)
		}
	}
	for _, r := range data.Train {
		if !in[r.Text] {
			t.Fatalf("training review missing from the pretraining text: %.60q", r.Text)
		}
	}
	if len(heldOut) != cfg.HeldOut || len(texts) != len(data.Train)+len(data.Unsupervised)-cfg.HeldOut || len(data.Validation) == 0 {
		t.Errorf("%d texts, %d held out; train %d, unlabeled %d, validation %d", len(texts), len(heldOut), len(data.Train), len(data.Unsupervised), len(data.Validation))
	}
}

// TestPretrainResumeAndInit: an interrupted pretraining run resumes to the same end as an
// uninterrupted one; its encoder checkpoint holds the encoder only; fine-tuning loads it (with
// the encoder frozen, the weights stay exactly the pretrained ones while the head learns), and
// a configuration of another shape is refused.
func TestPretrainResumeAndInit(t *testing.T) {
	cfg := tinyPretrain(t)
	whole, err := Pretrain(context.Background(), cfg, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if whole.HeldOut.Masked == 0 || whole.HeldOut.Loss <= 0 {
		t.Fatalf("held-out metrics %+v", whole.HeldOut)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Pretrain(ctx, cfg, dir, &testkit.CancelAfter{Marker: "step 20/30", Cancel: cancel})
	if err == nil || !strings.Contains(err.Error(), "rerun the same command to resume") {
		t.Fatalf("interrupted pretraining: %v", err)
	}
	var progress strings.Builder
	resumed, err := Pretrain(context.Background(), cfg, dir, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "resuming at step 20") || resumed.HeldOut != whole.HeldOut || resumed.Steps != 30 {
		t.Errorf("resumed run: %+v, uninterrupted %+v\n%s", resumed.HeldOut, whole.HeldOut, progress.String())
	}
	vals := readValidationLines(t, dir)
	if len(vals) != 3 || vals[2] >= vals[0] {
		t.Errorf("held-out MLM loss at steps 10, 20, 30: %v, want 3 values, falling", vals)
	}

	enc := readVars(t, filepath.Join(dir, EncoderCheckpoint))
	for path := range enc {
		if !strings.HasPrefix(path, "/model/") || strings.Contains(path, "mlm_head") {
			t.Errorf("encoder checkpoint holds %s", path)
		}
	}
	if enc["/model/token_embedding/embeddings"] == nil {
		t.Fatalf("encoder checkpoint lacks the token embeddings: %d variables", len(enc))
	}

	ft := checkFineTuning(t, dir, enc)
	checkInitKeepsTheSplit(t, dir, ft)
}

// checkFineTuning fine-tunes the default preset from the encoder pretrained in dir (enc: its
// variables) and returns that configuration. Frozen throughout, the encoder stays the
// pretrained one bit for bit (AdamW's weight decay included) and the head trains; unfrozen, it
// moves; a shape that does not fit the encoder, or a directory without one, is refused.
func checkFineTuning(t *testing.T, dir string, enc map[string][]byte) Config {
	t.Helper()
	ft, err := Preset("default", true)
	if err != nil {
		t.Fatal(err)
	}
	ft.Data = DataConfig{CacheDir: fixture, Offline: true}
	ft.Epochs, ft.WarmupSteps, ft.BatchSize, ft.WeightDecay, ft.Patience = 1, 2, 16, 0, 0
	if err := ft.InitFrom(dir); err != nil {
		t.Fatal(err)
	}
	frozen := ft
	frozen.FreezeEncoderSteps, frozen.WeightDecay = 1000, 0.1
	out := t.TempDir()
	if _, err := Train(context.Background(), frozen, out, nil); err != nil {
		t.Fatal(err)
	}
	tuned := readVars(t, filepath.Join(out, LastCheckpoint))
	for path, data := range enc {
		if !bytes.Equal(tuned[path], data) {
			t.Errorf("frozen encoder variable %s changed in fine-tuning (or was not loaded)", path)
		}
	}
	if tuned["/model/head/dense/weights"] == nil {
		t.Fatal("fine-tuned model has no head")
	}
	// Unfrozen, the encoder moves.
	out2 := t.TempDir()
	if _, err := Train(context.Background(), ft, out2, nil); err != nil {
		t.Fatal(err)
	}
	moved := readVars(t, filepath.Join(out2, LastCheckpoint))
	if bytes.Equal(moved["/model/token_embedding/embeddings"], enc["/model/token_embedding/embeddings"]) {
		t.Error("unfrozen fine-tuning left the embeddings untouched")
	}

	bad := ft
	bad.MaxLen = 128
	if _, err := Train(context.Background(), bad, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "max_len 128 (pretrained: 64)") {
		t.Errorf("shape mismatch: %v", err)
	}
	if err := ft.InitFrom(t.TempDir()); err == nil || !strings.Contains(err.Error(), "sentiment pretrain") {
		t.Errorf("init from an empty directory: %v", err)
	}

	return ft
}

// checkInitKeepsTheSplit: the encoder read its split's training text, so fine-tuning takes
// that split: InitFrom copies it, and Train refuses another one, whose validation reviews the
// encoder has read.
func checkInitKeepsTheSplit(t *testing.T, dir string, ft Config) {
	t.Helper()
	for _, change := range []func(*Config){
		func(c *Config) { c.Data.SplitSeed = 99 },
		func(c *Config) { c.Data.ValidationBlock = 5 },
		func(c *Config) { c.Data.ValidationFraction = 0.2 },
	} {
		other := ft
		change(&other)
		if _, err := Train(context.Background(), other, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "read some of this run's validation reviews") {
			t.Errorf("fine-tuning on another split (%+v): %v", other.Data, err)
		}
	}
	var pc PretrainConfig
	if err := rundir.ReadJSON(filepath.Join(dir, ConfigFile), &pc); err != nil {
		t.Fatal(err)
	}
	pc.Data.SplitSeed, pc.Data.ValidationBlock, pc.Data.ValidationFraction = 3, 7, 0.15
	blocked := t.TempDir()
	if err := rundir.WriteJSON(filepath.Join(blocked, ConfigFile), pc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(blocked, EncoderCheckpoint), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fromBlocked := ft
	if err := fromBlocked.InitFrom(blocked); err != nil {
		t.Fatal(err)
	}
	if d := fromBlocked.Data; d.SplitSeed != 3 || d.ValidationBlock != 7 || d.ValidationFraction != 0.15 {
		t.Errorf("InitFrom left the split at %+v, want the encoder's (seed 3, block 7, fraction 0.15)", d)
	}
}

// readValidationLines returns the held-out MLM losses of a pretraining run's metrics.jsonl.
func readValidationLines(t *testing.T, dir string) []float64 {
	var out []float64
	for _, m := range readValidation(t, dir) {
		out = append(out, m["held_out"].(map[string]any)["mlm_loss"].(float64))
	}
	return out
}

// TestPretrainDocumentLoss: with document_weight, pretraining logs a held-out document loss
// that falls, the encoder checkpoint still holds the encoder only, and a negative weight is
// refused by name.
func TestPretrainDocumentLoss(t *testing.T) {
	for _, pool := range []string{"", "embeddings"} {
		cfg := tinyPretrain(t)
		cfg.DocumentWeight, cfg.DocumentPool = 1, pool
		dir := t.TempDir()
		res, err := Pretrain(context.Background(), cfg, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		var docs []float64
		for _, m := range readValidation(t, dir) {
			d, _ := m["held_out"].(map[string]any)["document_loss"].(float64)
			docs = append(docs, d)
		}
		if len(docs) != 3 || docs[0] <= 0 || docs[2] >= docs[0] || res.HeldOut.DocumentLoss != docs[2] {
			t.Errorf("document_pool %q: held-out document losses %v (results %v): want 3, positive, falling", pool, docs, res.HeldOut.DocumentLoss)
		}
		for path := range readVars(t, filepath.Join(dir, EncoderCheckpoint)) {
			if strings.Contains(path, "document") || strings.Contains(path, "mlm_head") {
				t.Errorf("encoder checkpoint holds %s", path)
			}
		}
	}
	for _, tc := range []struct {
		weight float64
		pool   string
		want   string
	}{{-1, "", "document_weight"}, {1, "words", "document_pool"}, {0, "embeddings", "set document_weight"}} {
		cfg := tinyPretrain(t)
		cfg.DocumentWeight, cfg.DocumentPool = tc.weight, tc.pool
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("document_weight %g, document_pool %q: error %v, want one containing %q", tc.weight, tc.pool, err, tc.want)
		}
	}
}

// TestPretrainContrastive: with contrastive_weight, pretraining logs a held-out contrastive
// loss that falls, with and without the MLM (no_mlm logs no MLM numbers and has no vocabulary
// projection); the encoder checkpoint holds the encoder only; bad settings are refused by name.
func TestPretrainContrastive(t *testing.T) {
	for _, noMLM := range []bool{false, true} {
		cfg := tinyPretrain(t)
		cfg.ContrastiveWeight, cfg.NoMLM = 1, noMLM
		dir := t.TempDir()
		res, err := Pretrain(context.Background(), cfg, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		var losses, accs []float64
		var pieces, masked float64
		for _, m := range readValidation(t, dir) {
			h := m["held_out"].(map[string]any)
			l, _ := h["contrastive_loss"].(float64)
			a, _ := h["contrastive_accuracy"].(float64)
			pieces, _ = h["contrastive_pieces"].(float64)
			masked, _ = h["masked_tokens"].(float64)
			losses, accs = append(losses, l), append(accs, a)
		}
		if len(losses) != 3 || losses[0] <= 0 || losses[2] >= losses[0] || res.HeldOut.ContrastiveLoss != losses[2] ||
			accs[2] <= 0 || accs[2] > 1 || pieces < 1 {
			t.Errorf("no_mlm %v: held-out contrastive losses %v, accuracies %v over %v pieces (results %+v): want 3, positive, falling",
				noMLM, losses, accs, pieces, res.HeldOut)
		}
		if noMLM != (masked == 0 && res.HeldOut.Loss == 0) {
			t.Errorf("no_mlm %v: held-out MLM loss %v over %v masked tokens", noMLM, res.HeldOut.Loss, masked)
		}
		for path := range readVars(t, filepath.Join(dir, EncoderCheckpoint)) {
			if strings.Contains(path, "contrastive") || strings.Contains(path, "mlm_head") {
				t.Errorf("encoder checkpoint holds %s", path)
			}
		}
		// Fine-tuning loads it like any encoder.
		ft := tinyConfig(t)
		ft.Epochs = 1
		if err := ft.InitFrom(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := Train(context.Background(), ft, t.TempDir(), nil); err != nil {
			t.Errorf("fine-tuning the no_mlm %v encoder: %v", noMLM, err)
		}
	}
	for _, tc := range []struct {
		weight float64
		noMLM  bool
		window int
		want   string
	}{{-1, false, 16, "contrastive_weight"}, {1, false, 0, "local attention"}, {0, true, 16, "no_mlm"}} {
		cfg := tinyPretrain(t)
		cfg.ContrastiveWeight, cfg.NoMLM, cfg.AttentionWindow = tc.weight, tc.noMLM, tc.window
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("contrastive_weight %g, no_mlm %v, window %d: error %v, want one containing %q", tc.weight, tc.noMLM, tc.window, err, tc.want)
		}
	}
	// The cpu-contrastive preset is the cpu preset with the contrastive halves alone, longer.
	cpu, _ := PretrainPreset("cpu", false)
	ctr, err := PretrainPreset("cpu-contrastive", false)
	if err != nil {
		t.Fatal(err)
	}
	want := cpu
	want.Preset, want.ContrastiveWeight, want.NoMLM, want.Steps = "cpu-contrastive", 1, true, 5000
	if !reflect.DeepEqual(ctr, want) || ctr.Validate() != nil {
		t.Errorf("cpu-contrastive preset %+v, want %+v (valid: %v)", ctr, want, ctr.Validate())
	}
	cfg := tinyPretrain(t)
	if err := cfg.Set("contrastive_weight", "0.5"); err != nil || cfg.ContrastiveWeight != 0.5 {
		t.Errorf("Set contrastive_weight: %v, %v", err, cfg.ContrastiveWeight)
	}
	if err := cfg.Set("no_mlm", "true"); err != nil || !cfg.NoMLM {
		t.Errorf("Set no_mlm: %v, %v", err, cfg.NoMLM)
	}
}
