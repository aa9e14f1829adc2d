package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchNBSVM runs the end-to-end comparison with a stand-in peer (a shell script printing
// what bench/nbsvm_peer.py prints), checking what it is given and how its answer is read.
func TestBenchNBSVM(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "peer.sh")
	body := `#!/bin/sh
# args: --data DIR --max-features N --ngrams N
[ -s "$2/train.jsonl" ] && [ -s "$2/validation.jsonl" ] && [ -s "$2/test.jsonl" ] || exit 3
echo '{"peer": "stand-in", "validation_accuracy": 0.5, "test_accuracy": 0.25, "seconds_one_fit": 100, "seconds_search": 7, "C": 3, "features": '$4'}'
`
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := tinyNBSVM(t)
	ours, peer, err := BenchNBSVM(context.Background(), cfg, NBSVMPeerOptions{Python: "sh", Script: script, Work: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ours.Seconds <= 0 || ours.TestAccuracy <= 0.5 || peer.TestAccuracy != 0.25 || peer.Seconds != 100 || peer.C != 3 || peer.SearchSeconds != 7 {
		t.Fatalf("ours %+v, peer %+v", ours, peer)
	}
	table := EndToEndTable([]*EndToEnd{ours}, []*EndToEnd{peer})
	if want := fmt.Sprintf("%.1fx faster", 100/ours.Seconds); !strings.Contains(table, want) || !strings.Contains(table, "stand-in") {
		t.Errorf("table lacks %q:\n%s", want, table)
	}
	if _, _, err := BenchNBSVM(context.Background(), cfg, NBSVMPeerOptions{Python: "sh", Script: filepath.Join(dir, "missing.sh"), Work: dir}, nil); err == nil || !strings.Contains(err.Error(), "scikit-learn") {
		t.Errorf("a failing peer: %v", err)
	}
}
