package tvsample

import (
	"slices"
	"testing"

	"github.com/sentiment-go/sentiment/sentimentlib/words"
)

// TestRegionTargets: a region and its targets, worked out by hand: the q words before and after
// it, stop words and unknown words left out, the right side offset by the vocabulary size, each
// target once; padding beyond the review.
func TestRegionTargets(t *testing.T) {
	v, err := words.Fit([]string{"great film , the plot is dull but the acting great", "awful"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	doc := v.Encode("great film , the plot is dull but zzz acting great")
	s := New(Options{Region: 3, Regions: 16, Negatives: 5, NegativeWeight: 0.2}, v, [][]int32{doc})
	region, targets := s.Example(doc, 5) // centre "is": region "plot is dull"
	if want := v.Encode("plot is dull"); !slices.Equal(region, want) {
		t.Errorf("region %v, want %v", region, want)
	}
	// Left: "film , the" -> film; right: "but zzz acting" -> acting.
	V := int32(v.VocabSize())
	if want := []int32{v.ID("film"), v.ID("acting") + V}; !slices.Equal(targets, want) {
		t.Errorf("targets %v, want %v", targets, want)
	}
	region, targets = s.Example(doc, 0) // centre "great": padding before it
	if region[0] != 0 || region[1] != v.ID("great") || !slices.Equal(targets, []int32{v.ID("plot") + V}) {
		t.Errorf("at the start: region %v targets %v", region, targets)
	}
	region, targets = s.Example(doc, 10) // centre the last "great": padding after it
	if region[0] != v.ID("acting") || region[2] != 0 || !slices.Equal(targets, []int32{v.ID("dull")}) {
		t.Errorf("at the end: region %v targets %v", region, targets)
	}
}
