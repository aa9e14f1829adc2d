package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestDataJSONOnFixture(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"data", "--hf-cache", "../../data/hf-cache", "--vocab-size", "3000", "--json"}, &out, &errb)
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	var st struct {
		Splits []struct {
			Name string
			N    int
		}
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	got := map[string]int{}
	for _, s := range st.Splits {
		got[s.Name] = s.N
	}
	want := map[string]int{"train": 270, "validation": 30, "test": 100, "unsupervised": 60}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d reviews, want %d", k, got[k], v)
		}
	}
}

func TestErrorsAreMessagesNotPanics(t *testing.T) {
	var out, errb bytes.Buffer
	t.Setenv("HF_HUB_OFFLINE", "1") // no download attempt in tests
	err := run(context.Background(), []string{"data", "--hf-cache", t.TempDir()}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "--hf-cache") {
		t.Errorf("missing cache: want an error naming --hf-cache, got %v", err)
	}
	if err := run(context.Background(), []string{"nosuchcommand"}, &out, &errb); err == nil {
		t.Error("unknown command: want an error")
	}
	if err := run(context.Background(), []string{"data", "--bogus"}, &out, &errb); err == nil {
		t.Error("unknown flag: want an error")
	}
}
