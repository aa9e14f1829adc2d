#!/usr/bin/env python3
"""PyTorch peer of the default preset, for `sentiment bench` (issue: CPU speed against PyTorch).

Same architecture (token + position embeddings, one pre-norm encoder layer with 4-head attention in
64-token windows, GELU feed-forward 128, dropout 0.2, masked mean pooling, one logit), same token ids
and truncation (exported by `sentiment bench`), batch 32, AdamW (lr 1e-3, weight decay 0.05), gradient
clipping at 1. Variable lengths follow PyTorch practice: batches are drawn at random and padded to
their own longest review (rounded up to whole windows), no length bucketing.

Prints one JSON object: training reviews/s, inference ms per review at batch 1 and reviews/s at 64.
"""
import argparse, json, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)          # directory with tokens.i32, offsets.i64, labels.i8
p.add_argument("--steps", type=int, default=50)  # timed training steps
p.add_argument("--warmup", type=int, default=5)
p.add_argument("--infer", type=int, default=200) # reviews for inference timing
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
rng = np.random.default_rng(a.seed)

tokens = np.fromfile(f"{a.data}/tokens.i32", dtype=np.int32)
offsets = np.fromfile(f"{a.data}/offsets.i64", dtype=np.int64)
labels = np.fromfile(f"{a.data}/labels.i8", dtype=np.int8)
reviews = [tokens[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]
VOCAB, DIM, HEADS, FFN, WIN, MAXLEN, DROP, BATCH = 30000, 64, 4, 128, 64, 768, 0.2, 32


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, DIM)
        self.pos = nn.Parameter(torch.randn(MAXLEN, DIM) * 0.02)
        self.ln1, self.ln2, self.lnf = nn.LayerNorm(DIM), nn.LayerNorm(DIM), nn.LayerNorm(DIM)
        self.attn = nn.MultiheadAttention(DIM, HEADS, batch_first=True)
        self.ff1, self.ff2 = nn.Linear(DIM, FFN), nn.Linear(FFN, DIM)
        self.head = nn.Linear(DIM, 1)

    def forward(self, ids):
        B, L = ids.shape
        mask = ids != 0
        x = F.dropout(self.tok(ids) + self.pos[:L], DROP, self.training)
        nb = L // WIN
        xw = x.reshape(B * nb, WIN, DIM)
        kpm = ~mask.reshape(B * nb, WIN)
        kpm[:, 0] = False  # an all-padding window attends to its first slot (its output is ignored)
        h = self.ln1(xw)
        h, _ = self.attn(h, h, h, key_padding_mask=kpm, need_weights=False)
        xw = xw + F.dropout(h, DROP, self.training)
        h = self.ff2(F.gelu(self.ff1(self.ln2(xw))))
        xw = xw + F.dropout(h, DROP, self.training)
        x = self.lnf(xw.reshape(B, L, DIM))
        m = mask.unsqueeze(-1).float()
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1)
        return self.head(F.dropout(pooled, DROP, self.training)).squeeze(-1)


def pad(idx):
    L = max(len(reviews[i]) for i in idx)
    L = min(MAXLEN, (L + WIN - 1) // WIN * WIN)
    out = np.zeros((len(idx), L), dtype=np.int64)
    for r, i in enumerate(idx):
        out[r, :len(reviews[i])] = reviews[i]
    return torch.from_numpy(out)


model = Model()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
order = rng.permutation(len(reviews))
model.train()
seen, t0 = 0, None
for step in range(a.warmup + a.steps):
    if step == a.warmup:
        t0, seen = time.perf_counter(), 0
    idx = order[(step * BATCH) % (len(order) - BATCH):][:BATCH]
    ids, y = pad(idx), torch.from_numpy(labels[idx].astype(np.float32))
    loss = F.binary_cross_entropy_with_logits(model(ids), y)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    seen += len(idx)
train_rps = seen / (time.perf_counter() - t0)

model.eval()
with torch.inference_mode():
    sample = order[:a.infer]
    for i in sample[:5]:
        model(pad([i]))
    t0 = time.perf_counter()
    for i in sample:
        model(pad([i]))
    one_ms = 1000 * (time.perf_counter() - t0) / len(sample)
    t0 = time.perf_counter()
    for k in range(0, len(sample), 64):
        model(pad(sample[k:k + 64]))
    b64 = len(sample) / (time.perf_counter() - t0)
print(json.dumps({"peer": "pytorch " + torch.__version__, "threads": a.threads, "train_reviews_per_s": train_rps,
                  "infer_ms_batch1": one_ms, "infer_reviews_per_s_batch64": b64}))
