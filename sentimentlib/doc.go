// Package sentimentlib is the face of the project: binary sentiment classification of IMDB
// movie reviews with GoMLX. A run is a Config (presets by name: Preset), trained by Train (a
// classifier) or Pretrain (an encoder for Train's --init); Load gives a Predictor (Predict,
// Explain), Evaluate a split's metrics, Calibrate a temperature, ExportONNX the graph. Each of
// these is in a file named for it (config.go, train.go, pretrain.go, load.go and predict.go,
// evaluate.go, calibrate.go, export.go); files.go names every file of a run directory.
//
// # Architectures
//
// Each kind of classifier registers itself in one table (architecture.go) from a file of its
// own: arch_transformer.go, arch_ngrams.go, arch_nbsvm.go, arch_region_cnn.go. An entry holds
// everything the rest of this package needs of it: its graph with attributions (package
// model), its features (fitted, saved, described, known words, the ONNX recipe), its
// validation, its --quick size, its presets and, for the architectures a pretraining feeds,
// how --init reads the pretrained encoder. Nothing outside those files compares architecture
// names. Adding an architecture is one root file (arch_NAME.go, calling register with its
// presets), one graph in package model, and its preset. Its settings are fields of Config:
// every field is set as the model's scope param of its config.json name (jsonfield.Values), so
// a new setting is a field plus the model code that reads it.
//
// The kinds of pretraining register the same way (pretrain.go's table): pretrain_mlm.go for
// the transformer's encoder, pretrain_tv.go for the region CNN's tv-embedding.
//
// # Below the face
//
// Each step of the flow is a package below this one: imdb (data and splits), tokenize, ngrams
// and words (the features), batch, model (graphs), loss, mlm (masking) and tvsample (the
// tv-embedding's examples: the pretraining samplers), optim (AdamW's schedule, clipping and
// the fine-tuning's update scales), metrics and stats, verdict (what a model answers), server
// (the web demo), experiments (the loss comparison, summaries, benchmarks, reports: tooling
// built on this package, which this package never imports), and, internal, trainloop (the one
// training loop), rundir (the run directory's files and the lifecycle every run shares:
// rundir.Run) and jsonfield (configurations by their JSON field names).
package sentimentlib
