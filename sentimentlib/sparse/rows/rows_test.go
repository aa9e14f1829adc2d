package rows

import (
	"slices"
	"testing"
)

// TestBatchRows: the batch's ids above 1, sorted and once each, then distinct ids it does not
// hold up to the padding; where maps each held id to its place and the others to the zero row.
func TestBatchRows(t *testing.T) {
	uniq, where := BatchRows([]int32{7, 3, 0, 1, 3, 9, 7, 0}, 12, 5)
	if want := []int32{3, 7, 9, 0, 1}; !slices.Equal(uniq, want) {
		t.Errorf("uniq %v, want %v", uniq, want)
	}
	want := []int32{5, 5, 5, 0, 5, 5, 5, 1, 5, 2, 5, 5}
	if !slices.Equal(where, want) {
		t.Errorf("where %v, want %v", where, want)
	}
	if uniq, _ := BatchRows([]int32{2, 3, 4, 5}, 6, 4); !slices.Equal(uniq, []int32{2, 3, 4, 5}) {
		t.Errorf("a full multiple of the padding: %v", uniq)
	}
	if uniq, _ := BatchRows([]int32{2, 3, 4, 5}, 6, 8); len(uniq) != 6 {
		t.Errorf("padding beyond the vocabulary: %d ids, want 6", len(uniq))
	}
}
