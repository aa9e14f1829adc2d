// The browser demo: the exported model (model.onnx, its manifest model.onnx.json and its
// tokenizer) run by ONNX Runtime Web, the review tokenized by @huggingface/tokenizers, the
// manifest's recipe for the ids (truncation, [CLS], padding) and the calibration temperature.
import * as ort from "./ort.wasm.min.mjs";
import { Tokenizer } from "./tokenizers.mjs";

const $ = (id) => document.getElementById(id);
ort.env.wasm.numThreads = 1; // no cross-origin isolation needed: any static host serves the page
ort.env.wasm.wasmPaths = new URL("./", import.meta.url).href;

async function json(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${r.statusText}`);
  return r.json();
}

function prepare(m, x) {
  let maxLen = m.max_len, head = m.head_tokens;
  if (m.prepend_cls) { maxLen -= 1; head = Math.min(head, maxLen); }
  if (x.length > maxLen) {
    x = head < 0 || head >= maxLen ? x.slice(0, maxLen) : x.slice(0, head).concat(x.slice(x.length - (maxLen - head)));
  }
  return m.prepend_cls ? [m.cls_id].concat(x) : x;
}

try {
  const m = await json("model.onnx.json");
  const tok = new Tokenizer(await json(m.features), {});
  const session = await ort.InferenceSession.create("model.onnx", { executionProviders: ["wasm"] });
  $("status").textContent = `ready: ${m.architecture}, ${m.max_len} tokens at most`;
  $("go").disabled = false;
  $("go").onclick = async () => {
    const ids = tok.encode($("text").value, { add_special_tokens: false }).ids;
    const x = new Int32Array(m.batch * m.max_len).fill(m.pad_id);
    x.set(prepare(m, ids));
    const out = await session.run({ [m.input]: new ort.Tensor("int32", x, [m.batch, m.max_len]) });
    const logit = out[m.output].data[0];
    const p = 1 / (1 + Math.exp(-logit / m.temperature));
    const known = ids.some((id) => id !== m.pad_id && id !== m.unk_id);
    $("label").textContent = p >= 0.5 ? "positive" : "negative";
    $("prob").textContent = `p(positive) = ${p.toFixed(3)}`;
    $("barpos").style.width = `${(100 * p).toFixed(1)}%`;
    $("detail").textContent = known
      ? `${ids.length} tokens${ids.length > m.max_len ? ` (read: ${m.max_len})` : ""}; logit ${logit.toFixed(4)}, temperature ${m.temperature.toFixed(2)}`
      : "no word the model knows: this is its prior";
    $("result").dataset.logit = String(logit);
    $("result").hidden = false;
  };
} catch (e) {
  $("status").textContent = `could not start: ${e.message}`;
}
