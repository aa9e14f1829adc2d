// The browser demo: the exported model (model.onnx, its manifest model.onnx.json and its
// tokenizer) run by ONNX Runtime Web, the review tokenized by @huggingface/tokenizers, the
// manifest's recipe for the ids (truncation, [CLS], padding) and the calibration temperature.
import * as ort from "./ort.wasm.min.mjs";
import { Tokenizer } from "./tokenizers.mjs";
import { prepare, batch, probability, temperatureAt } from "./ids.mjs";

const $ = (id) => document.getElementById(id);
ort.env.wasm.numThreads = 1; // no cross-origin isolation needed: any static host serves the page
ort.env.wasm.wasmPaths = new URL("./", import.meta.url).href;

async function json(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${r.statusText}`);
  return r.json();
}

try {
  const m = await json("model.onnx.json");
  const tok = new Tokenizer(await json(m.features), {});
  const session = await ort.InferenceSession.create("model.onnx", { executionProviders: ["wasm"] });
  $("status").textContent = `ready: ${m.architecture}, ${m.max_len} tokens at most`;
  $("go").disabled = false;
  $("go").onclick = async () => {
    const ids = tok.encode($("text").value, { add_special_tokens: false }).ids;
    const x = batch(m, [prepare(m, ids)]);
    const out = await session.run({ [m.input]: new ort.Tensor("int32", x, [m.batch, m.max_len]) });
    const logit = out[m.output].data[0];
    const p = probability(m, logit, ids.length);
    const known = ids.some((id) => id !== m.pad_id && id !== m.unk_id);
    $("label").textContent = p >= 0.5 ? "positive" : "negative";
    $("prob").textContent = `p(positive) = ${p.toFixed(3)}`;
    $("barpos").style.width = `${(100 * p).toFixed(1)}%`;
    $("detail").textContent = known
      ? `${ids.length} tokens${ids.length > m.max_len ? ` (read: ${m.max_len})` : ""}; logit ${logit.toFixed(4)}, temperature ${temperatureAt(m, ids.length).toFixed(2)}`
      : "no word the model knows: this is its prior";
    $("result").dataset.logit = String(logit);
    $("result").hidden = false;
  };
} catch (e) {
  $("status").textContent = `could not start: ${e.message}`;
}
