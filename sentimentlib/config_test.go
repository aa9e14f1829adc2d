package sentimentlib

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib/internal/jsonfield"
	smodel "github.com/sentiment-go/sentiment/sentimentlib/model"
)

// TestCommittedConfigsLoad: every config.json under results/ (written by earlier versions)
// still decodes, field by field, into today's Config or PretrainConfig, is valid, and encodes
// back to the same JSON: old run directories keep loading and resuming.
func TestCommittedConfigsLoad(t *testing.T) {
	paths, err := filepath.Glob("../results/*/config.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{"../results/*/*/config.json", "../results/*/*/*/config.json"} {
		more, _ := filepath.Glob(pattern)
		paths = append(paths, more...)
	}
	if len(paths) < 50 {
		t.Fatalf("found %d committed config.json files: the test cannot tell anything", len(paths))
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var orig map[string]any
		if err := json.Unmarshal(b, &orig); err != nil {
			t.Fatal(err)
		}
		var again []byte
		var c interface{ Validate() error }
		if _, pretraining := orig["mask_rate"]; pretraining {
			var pc PretrainConfig
			err, again, c = strictDecode(b, &pc), must(json.Marshal(pc)), pc
		} else {
			var cc Config
			err, again, c = strictDecode(b, &cc), must(json.Marshal(cc)), cc
		}
		if err == nil {
			err = c.Validate() // through today's table of architectures and pretrainings
		}
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		var back map[string]any
		json.Unmarshal(again, &back)
		for k, v := range orig {
			if !reflect.DeepEqual(back[k], v) && !isZeroJSON(v) {
				t.Errorf("%s: field %s was %v, reads back as %v", path, k, v, back[k])
			}
		}
	}
}

func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// isZeroJSON: a zero value that omitempty drops on the way back.
func isZeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case float64:
		return x == 0
	case bool:
		return !x
	case string:
		return x == ""
	}
	return false
}

func TestSetEveryField(t *testing.T) {
	// Every field can be set by its JSON name, the omitempty ones and those of groups that
	// JSON leaves out (nbsvm on a transformer) included.
	for _, tc := range []struct{ name, value string }{
		{"max_train_reviews", "10"}, {"no_test", "true"}, {"attention_window", "32"}, {"length_buckets", "2"},
		{"nbsvm.max_n", "2"}, {"nbsvm.offset", "0.3"}, {"init_scale", "0.5"}, {"loss.label_smoothing", "0.1"},
		{"data.validation_block", "250"}, {"eval_every_steps", "100"},
	} {
		c, _ := Preset("default", false)
		if err := c.Set(tc.name, tc.value); err != nil {
			t.Errorf("Set(%s, %s): %v", tc.name, tc.value, err)
		}
	}
	c, _ := Preset("default", false)
	c.Set("nbsvm.offset", "0.3")
	c.Set("attention_window", "32")
	if c.NBSVM.Offset != 0.3 || c.AttentionWindow != 32 || c.Dim != 64 {
		t.Errorf("after Set: nbsvm.offset %v, attention_window %d, model_dim %d", c.NBSVM.Offset, c.AttentionWindow, c.Dim)
	}
	p, _ := PretrainPreset("cpu", false)
	for _, name := range []string{"contrastive_weight", "no_mlm", "max_reviews", "document_pool", "steps", "data.vocab_size"} {
		value := map[string]string{"no_mlm": "true", "document_pool": "embeddings"}[name]
		if value == "" {
			value = "3"
		}
		if err := p.Set(name, value); err != nil {
			t.Errorf("pretrain Set(%s): %v", name, err)
		}
	}
	if err := p.Set("pooling", "mean"); err == nil || !strings.Contains(err.Error(), "pooling") {
		t.Errorf("pretrain Set(pooling): %v, want no such field", err)
	}
	err := c.Set("loss.nope", "1")
	if err == nil || !strings.Contains(err.Error(), "loss.confidence_gamma") {
		t.Errorf("unknown field in a group: %v, want the group's fields listed", err)
	}
}

// TestModelParamsAreConfigFields: every hyperparameter the model package reads is the config
// field of that JSON name, set in the store as the configuration says (one name per setting).
func TestModelParamsAreConfigFields(t *testing.T) {
	cfg, err := Preset("default", false)
	if err != nil {
		t.Fatal(err)
	}
	cfg.NgramBuckets, cfg.FreezeEncoderSteps, cfg.Dropout = 77, 5, 0.3
	cfg.NBSVM.Offset, cfg.NBSVM.Scale = 0.25, 7
	cfg.Regions = RegionConfig{Vocab: 9, Sizes: []int{2, 4}, Maps: 11, TVRegion: 5, TVDim: 13, ExtraTVRegions: []int{3, 5}, ExtraTVDims: []int{7, 8}}
	scope := newStore(cfg, 1234, 100).RootScope()
	for name, want := range map[string]any{
		smodel.ParamVocabSize: 1234, smodel.ParamDim: cfg.Dim, smodel.ParamLayers: cfg.Layers, smodel.ParamHeads: cfg.Heads,
		smodel.ParamFFNDim: cfg.FFNDim, smodel.ParamDropout: 0.3, smodel.ParamMaxLen: cfg.MaxLen, smodel.ParamPooling: "mean",
		smodel.ParamWindow: 64, smodel.ParamNgramBuckets: 77, smodel.ParamFreezeEncoderSteps: 5,
		smodel.ParamNBOffset: 0.25, smodel.ParamNBScale: 7.0, smodel.ParamRegionSizes: []int{2, 4}, smodel.ParamRegionMaps: 11,
		smodel.ParamTVRegion: 5, smodel.ParamTVDim: 13, smodel.ParamExtraTVRegions: []int{3, 5}, smodel.ParamExtraTVDims: []int{7, 8},
	} {
		got, ok := scope.GetParam(name)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("param %q = %v (set %v), want %v", name, got, ok, want)
		}
	}
	if _, ok := jsonfield.Values(PretrainConfig{})[smodel.ParamDocumentPool]; !ok {
		t.Errorf("%q is not a pretraining config field", smodel.ParamDocumentPool)
	}
}
