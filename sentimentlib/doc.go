// Package sentimentlib is the face of the project: binary sentiment classification of IMDB
// movie reviews with GoMLX. A run is a Config (presets by name: Preset), trained by Train (a
// classifier) or Pretrain (an encoder for Train's --init); Load gives a Predictor (Predict,
// Explain), Evaluate a split's metrics, Calibrate a temperature.
//
// Each step of the flow is a package below this one: imdb (data and splits), tokenize and
// ngrams (the features), batch, model (graphs), loss, metrics and stats, verdict (what a model
// answers), server (the web demo), experiments (the loss comparison, summaries, benchmarks,
// reports: tooling built on this package, which this package never imports), and, internal,
// trainloop (the one training loop) and rundir (the run directory's files).
package sentimentlib
