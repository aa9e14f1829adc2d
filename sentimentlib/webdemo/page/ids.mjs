// The manifest's recipe for the input of an exported model (sentiment export; model.onnx.json),
// shared by the browser page and bench/onnx/run.mjs.

// prepare returns a review's ids as the graph reads them: truncated to max_len (the first
// head_tokens and the last max_len - head_tokens), with cls_id in front when prepend_cls.
export function prepare(m, x) {
  let maxLen = m.max_len, head = m.head_tokens;
  if (m.prepend_cls) { maxLen -= 1; head = Math.min(head, maxLen); }
  if (x.length > maxLen) {
    x = head < 0 || head >= maxLen ? x.slice(0, maxLen) : x.slice(0, head).concat(x.slice(x.length - (maxLen - head)));
  }
  return m.prepend_cls ? [m.cls_id].concat(x) : x;
}

// batch returns rows of prepared ids as the graph's int32 input, [m.batch, m.max_len], the
// rows and the rest of each row filled with pad_id.
export function batch(m, rows) {
  const data = new Int32Array(m.batch * m.max_len).fill(m.pad_id);
  rows.forEach((row, r) => data.set(row, r * m.max_len));
  return data;
}

// probability is p(positive) for the logit of a review of n ids (before truncation), with the
// calibration's temperature at that length (length_power 0, or absent: one temperature).
export function probability(m, logit, n) {
  return 1 / (1 + Math.exp(-logit / temperatureAt(m, n)));
}

// temperatureAt is the calibration's temperature for a review of n ids.
export function temperatureAt(m, n) {
  return m.length_power ? m.temperature * Math.pow(Math.max(n, 1) / m.reference_length, m.length_power) : m.temperature;
}
