package model

import "regexp"

// IsResidualWriter reports whether the variable at path, relative to the model's scope (as
// "token_embedding/embeddings"), writes to the transformer's residual stream: the token and
// position embeddings and each layer's attention-output and FFN-output projections. Only
// LayerNorms read the stream, so multiplying all of them by one factor scales it everywhere.
func IsResidualWriter(path string) bool { return residualWriter.MatchString(path) }

var residualWriter = regexp.MustCompile(`^(token_embedding/embeddings|position_embedding/embeddings|layer_\d+/attention/MultiHeadAttention/output/dense/(weights|biases)|layer_\d+/ffn_out/dense/(weights|biases))$`)
