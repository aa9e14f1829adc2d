#!/usr/bin/env python3
"""PyTorch peer of the tv-embedding's pretraining step, for `sentiment bench --peer regions`.

The same model and loss as package sparse and model.RegionEmbedding (Johnson & Zhang 2015b,
unsup-tv): a region's words (ids 0 and 1 read as nothing) summed through
nn.EmbeddingBag(sparse=True) plus a bias, ReLU, response normalisation v / sqrt(1 + |v|^2);
each target slot scored by a row of nn.Embedding(sparse=True) (and its bias), the loss the mean
over regions of the weighted squared errors of the slots. torch.optim.SGD takes the sparse
gradients (plain, and with momentum 0.9), the usual PyTorch way to train word2vec-style
embeddings, and SparseAdam (with Adam for the dense bias) is lazy Adam. The batches are the ones `sentiment bench` exported (meta.json, regions.i32,
targets.i32, labels.f32, weights.f32), taken in turn.

Prints one JSON object: regions/s for each optimizer, and the GFLOP/s of a 1024^3 float32
matrix product on the same threads, for scale.
"""
import argparse, json, time
import numpy as np
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)
p.add_argument("--steps", type=int, default=30)  # timed steps per optimizer
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)

meta = json.load(open(f"{a.data}/meta.json"))
R, Q, T, N, V, D = meta["rows"], meta["q"], meta["slots"], meta["batches"], meta["vocab"], meta["dim"]
load = lambda name, dt, shape: torch.from_numpy(np.fromfile(f"{a.data}/{name}", dtype=dt).reshape(shape))
regions = load("regions.i32", np.int32, (N, R, Q)).long()
targets = load("targets.i32", np.int32, (N, R, T)).long()
labels = load("labels.f32", np.float32, (N, R, T))
weights = load("weights.f32", np.float32, (N, R, T))
known = (regions > 1).float()


class TV(nn.Module):
    def __init__(self):
        super().__init__()
        self.u = nn.EmbeddingBag(V, D, mode="sum", sparse=True)
        self.b = nn.Parameter(torch.zeros(D))
        self.w = nn.Embedding(2 * V, D, sparse=True)
        self.c = nn.Embedding(2 * V, 1, sparse=True)
        for e in (self.u, self.w):
            nn.init.normal_(e.weight, std=0.01)
        nn.init.zeros_(self.c.weight)

    def forward(self, regions, known, targets):
        h = torch.relu(self.u(regions, per_sample_weights=known) + self.b)
        u = h / torch.sqrt(1 + (h * h).sum(-1, keepdim=True))
        return (self.w(targets) * u[:, None, :]).sum(-1) + self.c(targets)[..., 0]


class Both:
    """SparseAdam for the sparse tables, Adam for the dense bias: lazy Adam as PyTorch has it."""
    def __init__(self, m):
        self.s = torch.optim.SparseAdam([m.u.weight, m.w.weight, m.c.weight], lr=0.001, eps=1e-7)
        self.d = torch.optim.Adam([m.b], lr=0.001, eps=1e-7)

    def zero_grad(self, set_to_none=True):
        self.s.zero_grad(set_to_none=set_to_none)
        self.d.zero_grad(set_to_none=set_to_none)

    def step(self):
        self.s.step()
        self.d.step()


def bench(optimizer):
    m = TV()
    if optimizer == "adam (lazy)":
        opt = Both(m)
    else:
        opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9 if "momentum" in optimizer else 0)
    for i in range(a.steps + 2):
        if i == 2:
            start = time.perf_counter()
        k = i % N
        opt.zero_grad(set_to_none=True)
        s = m(regions[k], known[k], targets[k])
        loss = (weights[k] * (s - labels[k]) ** 2).sum(-1).mean()
        loss.backward()
        opt.step()
    return R * a.steps / (time.perf_counter() - start)


results = []
for name in ("sgd", "sgd, momentum 0.9", "adam (lazy)"):
    results.append({"peer": f"pytorch {torch.__version__}", "optimizer": name, "regions_per_s": bench(name)})

x, y = torch.randn(1024, 1024), torch.randn(1024, 1024)
best = 0.0
for i in range(6):
    start = time.perf_counter()
    torch.mm(x, y)
    if i > 0:
        best = max(best, 2 * 1024**3 / (time.perf_counter() - start) / 1e9)
print(json.dumps({"results": results, "matmul_gflops": best}))
