package trainloop

import (
	"math"
	"strings"
	"testing"
)

// TestHeapWarning: a live heap at four fifths of the soft memory limit or more gets a warning
// that names both sizes and a higher GOMEMLIMIT; below it, or without a limit, none.
func TestHeapWarning(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		live  uint64
		limit int64
		want  string // "" for no warning
	}{
		{2 * gib, 3 * gib, ""},
		{uint64(2.5 * gib), 3 * gib, "GOMEMLIMIT=4GiB"},
		{39 * gib / 10, 4 * gib, "GOMEMLIMIT=6GiB"},
		{29 * gib / 10, 3 * gib, "the live Go heap (2.9 GiB) is near the soft memory limit (3.0 GiB)"},
		{100 * gib, math.MaxInt64, ""}, // GOMEMLIMIT=off
		{gib, 0, ""},
	} {
		got := heapWarning(tc.live, tc.limit)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("heapWarning(%.2f GiB, %.2f GiB) = %q, want one containing %q", float64(tc.live)/gib, float64(tc.limit)/gib, got, tc.want)
		}
	}
}
