// Runs a model exported by `sentiment export` in ONNX Runtime (onnxruntime-node), following only
// the manifest written beside it, as a client in another stack would.
//
//   node run.mjs MODEL.onnx.json REQUEST.json
//
// REQUEST.json (or FILE.sample.json from `sentiment export --sample N`, which it then checks
// itself against): {"texts": [...]} to tokenize with the Hugging Face tokenizers for JavaScript
// (models whose features are a tokenizer.json), or {"ids": [[...], ...]}: ids the features gave,
// before truncation. Prints {"ids": [...], "logits": [...], "probabilities": [...]}, one per review.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { Tokenizer } from "@huggingface/tokenizers";
import { prepare, batch, probability } from "../../sentimentlib/webdemo/page/ids.mjs";

const [manifestPath, requestPath] = process.argv.slice(2);
const m = JSON.parse(readFileSync(manifestPath, "utf8"));
const req = JSON.parse(readFileSync(requestPath, "utf8"));
const dir = dirname(manifestPath);

// Texts are tokenized here when the features are a Hugging Face tokenizer; other features
// (ngrams.json, words.json) have no JavaScript implementation here, so their ids are given.
let ids = req.ids;
if (req.texts && m.features.endsWith("tokenizer.json")) {
  const tok = new Tokenizer(JSON.parse(readFileSync(join(dir, m.features), "utf8")), {});
  ids = req.texts.map((t) => tok.encode(t, { add_special_tokens: false }).ids);
} else if (!ids) {
  throw new Error(`${m.features} is not a Hugging Face tokenizer: give the ids ("ids") rather than the texts`);
}

const prepared = ids.map((x) => prepare(m, x));

const session = await ort.InferenceSession.create(join(dir, m.model));
const logits = [];
for (let start = 0; start < prepared.length; start += m.batch) {
  const data = batch(m, prepared.slice(start, start + m.batch));
  const out = await session.run({ [m.input]: new ort.Tensor("int32", data, [m.batch, m.max_len]) });
  const l = Array.from(out[m.output].data);
  logits.push(...l.slice(0, Math.min(m.batch, prepared.length - start)));
}
const probabilities = logits.map((z, i) => probability(m, z, ids[i].length));
console.log(JSON.stringify({ ids, logits, probabilities }));

// A sample written by `sentiment export --sample N` carries our logits: check against them.
if (req.logits) {
  let worst = 0, labels = 0, sameIds = 0;
  req.logits.forEach((want, i) => {
    worst = Math.max(worst, Math.abs(logits[i] - want));
    if ((logits[i] > 0) === (want > 0)) labels++;
    if (req.ids && JSON.stringify(ids[i]) === JSON.stringify(req.ids[i])) sameIds++;
  });
  const n = req.logits.length;
  console.error(`${n} reviews: largest logit difference ${worst.toExponential(2)}, the same label for ${labels}, the same ids for ${sameIds}`);
  if (worst > 1e-4 || labels !== n || sameIds !== n) process.exit(1);
}
