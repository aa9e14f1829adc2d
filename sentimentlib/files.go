package sentimentlib

import "github.com/sentiment-go/sentiment/sentimentlib/internal/rundir"

// The files of a run directory, all in one place. Train writes config.json, the features (one
// of the three features files), the checkpoints, metrics.jsonl, logits.json and results.json;
// Calibrate adds calibration.json; Pretrain writes encoder.ckpt, which `train --init` reads.
const (
	ConfigFile     = rundir.ConfigFile
	BestCheckpoint = rundir.BestCheckpoint // weights of the best validation evaluation
	LastCheckpoint = rundir.LastCheckpoint // weights, optimizer state and position of the last evaluation (resume)
	MetricsFile    = rundir.MetricsFile
	ResultsFile    = rundir.ResultsFile
	LogitsFile     = "logits.json" // the best checkpoint's validation and test logits

	// The features: the WordPiece tokenizer (package tokenize) of the transformer and the
	// n-gram bag, the n-gram vocabulary and naive-Bayes ratios of nbsvm (package ngrams), the
	// word vocabulary of the region models (package words).
	TokenizerFile = "tokenizer.json"
	NgramsFile    = "ngrams.json"
	WordsFile     = "words.json"

	// CalibrationFile holds the temperature a model directory's Predictor applies.
	CalibrationFile = "calibration.json"
	// EncoderCheckpoint is the pretrained encoder's weights (no pretraining heads, no optimizer
	// state), the file `train --init DIR` loads.
	EncoderCheckpoint = "encoder.ckpt"
)
