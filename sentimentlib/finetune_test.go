package sentimentlib

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
)

// oneStep builds cfg's trainer, takes one training step on a fixed synthetic batch and returns
// every model variable's values.
func oneStep(t *testing.T, cfg Config) map[string][]float32 {
	t.Helper()
	backend, err := compute.New()
	if err != nil {
		t.Fatal(err)
	}
	const vocab, seqLen = 200, 16
	trainer, store, err := newTrainer(backend, cfg, vocabOnly(vocab), 100)
	if err != nil {
		t.Fatal(err)
	}
	inputs, labels := syntheticBatch(rand.New(rand.NewPCG(3, 4)), cfg.BatchSize, seqLen, vocab)
	if _, err := trainer.TrainStep(train.Batch{Inputs: inputs, Labels: labels, Spec: seqLen}); err != nil {
		t.Fatal(err)
	}
	return modelValues(t, store)
}

func modelValues(t *testing.T, store *model.Store) map[string][]float32 {
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), "/model/") {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		out[v.Path()] = tensors.MustCopyFlatData[float32](val)
	}
	return out
}

// TestLayerLRDecayAndFreezeScaleUpdates takes one AdamW step (weight decay on) of a 2-layer
// transformer from one initialisation three ways: with the encoder frozen (the encoder must stay
// at its initial values, bit for bit: weight decay included), plain, and with layer_lr_decay
// 0.5. Against the frozen step's encoder values (the initial ones), each variable's update
// with decay must be 0.5^depth times the plain update: 0.125 for the embeddings, 0.25 for
// layer 0, 0.5 for layer 1, 1 for the final norm; the head's update must not change at all.
func TestLayerLRDecayAndFreezeScaleUpdates(t *testing.T) {
	cfg, err := Preset("default", true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Layers, cfg.MaxLen, cfg.HeadTokens, cfg.AttentionWindow, cfg.BatchSize = 2, 16, 8, 0, 8
	cfg.WarmupSteps, cfg.WeightDecay, cfg.Dropout = 0, 0.1, 0 // full learning rate at step 1
	frozen := cfg
	frozen.FreezeEncoderSteps = 10
	decayed := cfg
	decayed.LayerLRDecay = 0.5

	init, plain, dec := oneStep(t, frozen), oneStep(t, cfg), oneStep(t, decayed)
	scales := map[string]float64{ // by the variable's scope under /model/
		"token_embedding": 0.125, "position_embedding": 0.125, "layer_00": 0.25, "layer_01": 0.5,
		"final_norm": 1, "head": 1,
	}
	if len(plain) < 30 {
		t.Fatalf("%d model variables: %v", len(plain), slices.Sorted(maps.Keys(plain)))
	}
	for path := range plain {
		scale, ok := scales[strings.Split(path, "/")[2]]
		if !ok {
			t.Fatalf("variable %s: no expected scale", path)
		}
		i, p, d := init[path], plain[path], dec[path]
		if len(i) != len(p) || len(d) != len(p) {
			t.Fatalf("variable %s missing or of another shape in a run", path)
		}
		if strings.HasPrefix(path, "/model/head/") {
			// Same gradients, no scaling: the same step, bit for bit.
			for k := range p {
				if d[k] != p[k] {
					t.Fatalf("%s: the head's step changed with layer_lr_decay", path)
				}
			}
			continue
		}
		var maxStep, maxErr float64
		for k := range p {
			step := float64(p[k]) - float64(i[k])
			maxStep = max(maxStep, math.Abs(step))
			maxErr = max(maxErr, math.Abs(float64(d[k])-float64(i[k])-scale*step))
		}
		if maxStep == 0 || maxErr > 1e-3*maxStep {
			t.Errorf("%s: update with layer_lr_decay 0.5 is not %g x the plain one: max step %g, max error %g", path, scale, maxStep, maxErr)
		}
	}
}

// TestScaleResidualStream scales a random 2-layer transformer's residual stream by 0.1 and
// checks (1) exactly the 2 embeddings and each layer's attention-output and FFN-output weights
// and biases changed, each to 0.1 times its value; (2) with LayerNorm's epsilon near 0 the
// logits are unchanged, which fails if any variable writing to the residual stream were missed
// or one read from it were scaled; (3) with the default epsilon (1e-3) they do change, since
// the epsilon then dominates the normalised variance: the reason init_scale exists.
func TestScaleResidualStream(t *testing.T) {
	backend := compute.MustNew()
	tokens := tensors.FromFlatDataAndDimensions([]int32{
		2, 7, 9, 11, 3, 0, 0, 0, 0, 0, 0, 0,
		2, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 12}, 2, 12)
	for _, eps := range []float64{1e-12, 1e-3} {
		store := model.NewStore()
		store.SetParams(map[string]any{smodel.ParamVocabSize: 50, smodel.ParamDim: 16, smodel.ParamLayers: 2,
			smodel.ParamHeads: 2, smodel.ParamFFNDim: 32, smodel.ParamMaxLen: 32, smodel.ParamDropout: 0.0,
			norm.ParamLayerNormEpsilon: eps})
		exec := model.MustNewExec(backend, store, func(scope *model.Scope, tokens *Node) *Node {
			return smodel.Transformer(scope.In("model"), tokens)
		})
		exec.MustExec(tokens) // creates and initialises the variables
		// Residual streams as small as a fresh model's, so that the epsilon matters.
		if _, err := ScaleResidualStream(store, 0.3); err != nil {
			t.Fatal(err)
		}
		before := tensors.MustCopyFlatData[float32](exec.MustExec(tokens)[0])
		values := modelValues(t, store)
		n, err := ScaleResidualStream(store, 0.1)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2+4*2 {
			t.Errorf("scaled %d variables, want 10 (2 embeddings, 4 per layer)", n)
		}
		scaled := 0
		for path, now := range modelValues(t, store) {
			want := 1.0
			if strings.Contains(path, "embedding/") || strings.Contains(path, "/output/dense/") || strings.Contains(path, "/ffn_out/") {
				want, scaled = 0.1, scaled+1
			}
			for k, v := range now {
				if math.Abs(float64(v)-want*float64(values[path][k])) > 1e-7 {
					t.Fatalf("%s[%d] = %g, want %g x %g", path, k, v, want, values[path][k])
				}
			}
		}
		if scaled != n {
			t.Errorf("%d variables are residual writers, %d were scaled", scaled, n)
		}
		after := tensors.MustCopyFlatData[float32](exec.MustExec(tokens)[0])
		var maxDiff float64
		for i := range before {
			maxDiff = max(maxDiff, math.Abs(float64(after[i]-before[i])))
		}
		if eps < 1e-6 && maxDiff > 1e-4 {
			t.Errorf("epsilon %g: logits %v became %v after scaling the residual stream", eps, before, after)
		}
		if eps >= 1e-3 && maxDiff < 1e-3 {
			t.Errorf("epsilon %g: logits %v barely changed (%v); the epsilon should make the scale matter", eps, before, after)
		}
	}
	if _, err := ScaleResidualStream(model.NewStore(), 0.5); err == nil || !strings.Contains(err.Error(), "no transformer encoder") {
		t.Errorf("empty store: error %v, want one naming the missing encoder", err)
	}
}
