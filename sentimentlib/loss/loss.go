// Package loss holds SentimentWeightedLoss, the project's custom loss: binary cross-entropy on
// logits, weighted per review by three switchable factors (confidence, length and class), as a
// normalised weighted mean.
//
// It is the GoMLX counterpart of the challenge's PyTorch start code
// (`SentimentWeightedLoss(nn.Module)` wrapping `BCEWithLogitsLoss(reduction='none')` with a
// weighting hook): Config.LossFn returns a GoMLX train.LossFn, and Per-sample values are exposed
// for analysis.
//
// For review i with logit z_i, label y_i in {0, 1}, true length L_i and row weight r_i (1 for a
// real review, 0 for a padding row, or a user sample weight):
//
//	bce_i  = max(z,0) - z*y + log(1 + exp(-|z|))                 (stable BCE with logits)
//	p_i    = sigmoid(z) if y = 1 else 1 - sigmoid(z)               (probability of the true class)
//	conf_i = (1 - p_i)^gamma                                       (confidence factor; gamma=0: off)
//	len_i  = clip((L_i / Lref)^alpha, lenMin, lenMax)              (length factor; alpha=0: off)
//	cls_i  = (N / (2 N_{y_i}))^beta                                (class factor; beta=0: off)
//	w_i    = r_i * conf_i * len_i * cls_i
//	loss   = sum_i w_i * bce_i / sum_i w_i
//
// Normalising by sum(w) keeps the loss a weighted *mean* of BCE values: its scale stays that of
// plain BCE whatever the settings, so learning rates and logged losses stay comparable. With every
// part off it is exactly the mean BCE.
package loss

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the default backend of HostWeights
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
)

// Config of SentimentWeightedLoss. The zero value is plain binary cross-entropy.
type Config struct {
	// ConfidenceGamma is the exponent of the confidence factor (1 - p_true)^gamma; 0 turns it off.
	//
	// Rationale: a wrong prediction made with confidence (p_true near 0) is the costliest error
	// for users (and a sign of a shortcut feature, e.g. a sarcastic "great" in a pan), while an
	// uncertain one (p_true near 0.5) is a borderline review. The factor is near 1 for confident
	// mistakes and shrinks as the model gets the review right, so the gradient concentrates on
	// hard and confidently-wrong reviews. This is the focal loss modulating factor (Lin et al. 2017,
	// "Focal Loss for Dense Object Detection", arXiv:1708.02002). Expected effect: accuracy about
	// unchanged on balanced IMDB, better calibration (Mukhoti et al. 2020, "Calibrating Deep Neural
	// Networks using Focal Loss", arXiv:2002.09437: focal loss reduces the overconfidence BCE
	// training produces), at the cost of slower fitting of easy reviews. Keep gamma in 0..3.
	// What it did here is in docs/loss-comparison.md.
	ConfidenceGamma float64 `json:"confidence_gamma"`

	// LengthAlpha is the exponent of the length factor (L / Lref)^alpha; 0 turns it off.
	//
	// Rationale: long reviews carry more evidence and truncation keeps only part of them; short
	// reviews ("Awful.") are terse but often unambiguous. alpha > 0 gives long reviews more say
	// (they are what truncation hurts, so the model learns to use head and tail), alpha < 0 favours
	// short ones. Clipping to [LengthMin, LengthMax] stops a 2,500-word review from dominating a
	// batch. Expected effect: small; mostly a shift of accuracy between length quartiles.
	LengthAlpha float64 `json:"length_alpha"`
	// LengthReference is Lref: a corpus mean length (tokens) if > 0, else the batch mean (over real
	// rows). A corpus reference keeps weights comparable across batches.
	LengthReference float64 `json:"length_reference"`
	// LengthMin and LengthMax clip the length factor (defaults 0.25 and 4).
	LengthMin float64 `json:"length_min"`
	LengthMax float64 `json:"length_max"`

	// ClassBeta is the exponent of the class factor (N / (2 N_y))^beta; 0 turns it off, 1 fully
	// rebalances. NegativeCount and PositiveCount are the training split's label counts.
	//
	// Rationale: with imbalanced training data the majority class dominates the mean loss and the
	// decision threshold drifts towards it; inverse-frequency weights (King & Zeng 2001; "Class-
	// Balanced Loss", Cui et al. 2019, arXiv:1901.05555) give each class equal total weight. On
	// balanced IMDB the factor is 1 (no effect); it matters when positives are subsampled.
	// Expected effect: higher recall and F1 of the minority class, probabilities less calibrated
	// for the true base rate (fix with temperature or prior correction).
	ClassBeta     float64 `json:"class_beta"`
	NegativeCount int     `json:"negative_count"`
	PositiveCount int     `json:"positive_count"`

	// LabelSmoothing replaces the hard targets 0 and 1 by eps/2 and 1 - eps/2 in the
	// cross-entropy (Szegedy et al. 2016, "Rethinking the Inception Architecture"); 0 turns it off.
	// The weights still use the true labels. It is a standard loss that the comparison runs
	// against the custom one.
	//
	// Rationale: with hard targets the logits of training reviews are pushed to +-infinity, so
	// the model grows overconfident; a smoothed target is reached at a finite logit
	// (log((1-eps/2)/(eps/2))). Expected effect: accuracy about unchanged, less overconfidence
	// (Mueller et al. 2019, "When Does Label Smoothing Help?"). Keep eps in [0, 0.3].
	LabelSmoothing float64 `json:"label_smoothing,omitempty"`
}

// Validate reports a configuration error that names the field and a valid range.
func (c Config) Validate() error {
	switch {
	case c.ConfidenceGamma < 0 || c.ConfidenceGamma > 10:
		return fmt.Errorf("loss: confidence_gamma %g out of range [0, 10]", c.ConfidenceGamma)
	case math.Abs(c.LengthAlpha) > 4:
		return fmt.Errorf("loss: length_alpha %g out of range [-4, 4]", c.LengthAlpha)
	case c.LengthReference < 0:
		return fmt.Errorf("loss: length_reference %g must be >= 0 (0 means the batch mean)", c.LengthReference)
	case c.LengthMin < 0 || (c.LengthMax != 0 && c.LengthMax < c.LengthMin):
		return fmt.Errorf("loss: length clip [%g, %g] is not a valid range", c.LengthMin, c.LengthMax)
	case c.LabelSmoothing < 0 || c.LabelSmoothing >= 0.5:
		return fmt.Errorf("loss: label_smoothing %g out of range [0, 0.5)", c.LabelSmoothing)
	case c.ClassBeta < 0 || c.ClassBeta > 2:
		return fmt.Errorf("loss: class_beta %g out of range [0, 2]", c.ClassBeta)
	case c.ClassBeta > 0 && (c.NegativeCount <= 0 || c.PositiveCount <= 0):
		return fmt.Errorf("loss: class weighting needs the training split's label counts (negative %d, positive %d)", c.NegativeCount, c.PositiveCount)
	}
	return nil
}

// ClassWeights returns the class factors (N/(2 N_neg))^beta and (N/(2 N_pos))^beta.
func (c Config) ClassWeights() (neg, pos float64) {
	if c.ClassBeta == 0 || c.NegativeCount <= 0 || c.PositiveCount <= 0 {
		return 1, 1
	}
	n := float64(c.NegativeCount + c.PositiveCount)
	return math.Pow(n/(2*float64(c.NegativeCount)), c.ClassBeta), math.Pow(n/(2*float64(c.PositiveCount)), c.ClassBeta)
}

// BCEWithLogits is the per-sample binary cross-entropy of logits z and labels y, computed
// stably: max(z,0) - z*y + log1p(exp(-|z|)).
func BCEWithLogits(logits, labels *Node) *Node {
	return Add(Sub(Max(logits, ZerosLike(logits)), Mul(logits, labels)), Log1p(Exp(Neg(Abs(logits)))))
}

// Weights returns the per-sample weights w_i (before normalisation) of logits [B] given labels,
// lengths and row weights [B].
func (c Config) Weights(logits, labels, lengths, rowWeights *Node) *Node {
	w := rowWeights
	if c.ConfidenceGamma != 0 {
		// p_true = sigmoid(z) for y=1 and sigmoid(-z) for y=0, i.e. sigmoid((2y-1) z).
		pTrue := Sigmoid(Mul(logits, AddScalar(MulScalar(labels, 2), -1)))
		w = Mul(w, Pow(OneMinus(pTrue), Scalar(logits.Graph(), logits.DType(), c.ConfidenceGamma)))
	}
	if c.LengthAlpha != 0 {
		lo, hi := c.LengthMin, c.LengthMax
		if lo == 0 {
			lo = 0.25
		}
		if hi == 0 {
			hi = 4
		}
		lengths = MaxScalar(lengths, 1)
		var ref *Node
		if c.LengthReference > 0 {
			ref = Scalar(logits.Graph(), logits.DType(), c.LengthReference)
		} else {
			ref = Div(ReduceAllSum(Mul(lengths, rowWeights)), MaxScalar(ReduceAllSum(rowWeights), 1e-6))
		}
		factor := Pow(Div(lengths, ref), Scalar(logits.Graph(), logits.DType(), c.LengthAlpha))
		w = Mul(w, ClipScalar(factor, lo, hi))
	}
	if c.ClassBeta != 0 {
		neg, pos := c.ClassWeights()
		// labels*pos + (1-labels)*neg
		w = Mul(w, AddScalar(MulScalar(labels, pos-neg), neg))
	}
	return w
}

// Loss is the scalar SentimentWeightedLoss of logits [B] for labels, lengths and row weights [B].
func (c Config) Loss(logits, labels, lengths, rowWeights *Node) *Node {
	w := c.Weights(logits, labels, lengths, rowWeights)
	targets := labels
	if c.LabelSmoothing > 0 {
		targets = AddScalar(MulScalar(labels, 1-c.LabelSmoothing), c.LabelSmoothing/2)
	}
	total := ReduceAllSum(Mul(w, BCEWithLogits(logits, targets)))
	// A batch whose weights are all zero contributes zero (not NaN).
	return Div(total, MaxScalar(ReduceAllSum(w), 1e-12))
}

// LossFn adapts the loss to GoMLX's train.LossFn: predictions[0] are the logits ([B] or [B, 1]);
// labels are [labels, lengths, weights] as produced by the batch package (lengths and weights are
// optional: missing lengths turn the length factor off, missing weights mean 1).
func (c Config) LossFn() train.LossFn {
	return func(labels, predictions []*Node) *Node {
		logits := predictions[0]
		if logits.Rank() == 2 {
			logits = Reshape(logits, logits.Shape().Dimensions[0])
		}
		y := ConvertDType(labels[0], logits.DType())
		if y.Rank() == 2 {
			y = Reshape(y, y.Shape().Dimensions[0])
		}
		cfg := c
		lengths := OnesLike(y)
		if len(labels) > 1 {
			lengths = ConvertDType(labels[1], logits.DType())
		} else {
			cfg.LengthAlpha = 0
		}
		weights := OnesLike(y)
		if len(labels) > 2 {
			weights = ConvertDType(labels[2], logits.DType())
		}
		return cfg.Loss(logits, y, lengths, weights)
	}
}

// HostWeights evaluates Weights on plain slices (one row each, row weights 1), for tables and
// notebooks that show what the loss does to a batch. It runs the same graph as training, on
// the default backend.
func (c Config) HostWeights(labels, logits, lengths []float64) ([]float64, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := len(labels)
	if len(logits) != n || len(lengths) != n {
		return nil, fmt.Errorf("loss: %d labels, %d logits and %d lengths: want equal counts", n, len(logits), len(lengths))
	}
	backend, err := compute.New()
	if err != nil {
		return nil, fmt.Errorf("loss: no GoMLX backend: %w", err)
	}
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	exec, err := NewExec(backend, func(logits, labels, lengths, rowWeights *Node) *Node {
		return c.Weights(logits, labels, lengths, rowWeights)
	})
	if err != nil {
		return nil, err
	}
	out, err := exec.Exec(logits, labels, lengths, ones)
	if err != nil {
		return nil, fmt.Errorf("loss: %w", err)
	}
	return tensors.MustCopyFlatData[float64](out[0]), nil
}
