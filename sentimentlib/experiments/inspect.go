package experiments

import "github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"

// VariableStats describes one variable of a checkpoint: its path, shape and, for float32
// variables, the root mean square of its values (NaN for other types).
type VariableStats = rundir.VariableStats

// InspectCheckpoint lists the variables of the checkpoint at path, in file order. Comparing
// the RMS of a pretrained encoder's variables with a fresh one's shows how far pretraining
// moved them (`sentiment inspect`).
func InspectCheckpoint(path string) ([]VariableStats, error) { return rundir.InspectCheckpoint(path) }
