package rundir

import (
	"os"
	"strconv"
	"sync"
)

// Write points, for the fault-injection test of resuming: with $SENTIMENT_FAULT_AT=N the
// process exits (status FaultExit) at the Nth write point it reaches, as a kill at that
// instant would leave the run directory; with $SENTIMENT_FAULT_COUNT=FILE it writes there the
// number of write points reached so far. The points are before and after each atomic rename and
// around each metrics.jsonl line. Without the variables a point costs one check.
var fault = struct {
	sync.Mutex
	at, n     int
	countFile string
}{at: atoi(os.Getenv("SENTIMENT_FAULT_AT")), countFile: os.Getenv("SENTIMENT_FAULT_COUNT")}

// FaultExit is the exit status of a process stopped at a write point.
const FaultExit = 86

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func writePoint() {
	if fault.at == 0 && fault.countFile == "" {
		return
	}
	fault.Lock()
	defer fault.Unlock()
	fault.n++
	if fault.countFile != "" {
		os.WriteFile(fault.countFile, []byte(strconv.Itoa(fault.n)), 0o644)
	}
	if fault.n == fault.at {
		os.Exit(FaultExit)
	}
}
