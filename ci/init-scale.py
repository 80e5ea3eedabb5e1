#!/usr/bin/env python3
"""What a start's scale does to the protocol's finetuning, outside the project's code.

A numpy reimplementation of `compnet eval`'s finetuning (full-batch Adam, lr 0.01, β 0.9/0.999,
best-validation epoch, 80:20 train/validation) of the covering surrogate (sigmoid, 32 → 32,
Xavier-uniform at the covering's fan-in of 18), from random starts drawn at Xavier's scale and
smaller, and from compiled surrogates (`compnet compile … --out DIR`, the `.onnx` files):

    ci/init-scale.py kmeans 4096 5000 runs/compile/kmeans.onnx     # PROGRAM PAIRS STEPS [ONNX…]

Reads data/parrot/PROGRAM.parquet (`compnet dataset parrot`). Prints each start's test MSE before
and after finetuning (mean of 3 draws for the random starts). docs/compnet.md, "What the 10 and
100 % rows measure", has what it found.

With TF32=1 every matrix product reads its operands rounded to TF32 (10 mantissa bits, round to
nearest even), as a GPU's tensor cores do, and accumulates in float64: what the GPU build's
matmuls do to the same finetuning (docs/compnet.md, "The CUDA build"). RANDOM_ONLY=1 skips the
scaled random starts.
"""
import os
import sys

import numpy as np
import onnx
import pyarrow.parquet as pq
from onnx import numpy_helper

prog, n_pairs, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
compiled = sys.argv[4:]
rows = pq.read_table(f"data/parrot/{prog}.parquet").to_pylist()
train = next(r for r in rows if r["split"] == "train")
test = next(r for r in rows if r["split"] == "test")
lo, hi = np.array(train["domain_lo"]), np.array(train["domain_hi"])
x_all, y_all = np.array(train["inputs"]), np.array(train["outputs"])
pick = np.random.default_rng(1).permutation(len(x_all))[:n_pairs]
cut = int(0.8 * n_pairs)
norm = lambda x: 2 * (x - lo) / (hi - lo) - 1
x_tr, y_tr = norm(x_all[pick[:cut]]), y_all[pick[:cut]]
x_va, y_va = norm(x_all[pick[cut:]]), y_all[pick[cut:]]
x_te, y_te = norm(np.array(test["inputs"])[:4096]), np.array(test["outputs"])[:4096]
n_in, n_out = x_tr.shape[1], y_tr.shape[1]
sigmoid = lambda z: 1 / (1 + np.exp(-z))


def tf32(a):
    """`a` rounded to TF32: float32 with the low 13 of its 23 mantissa bits rounded off (to nearest even)."""
    bits = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0xFFF + ((bits >> 13) & 1)) & ~np.uint64(0x1FFF)
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


mm = (lambda a, b: tf32(a) @ tf32(b)) if os.environ.get("TF32") == "1" else (lambda a, b: a @ b)


def forward(p, x):
    acts = [x]
    for k in range(2):
        acts.append(sigmoid(mm(acts[-1], p[2 * k].T) + p[2 * k + 1]))
    return mm(acts[-1], p[4].T) + p[5], acts


def mse(p, x, y):
    return float(((forward(p, x)[0] - y) ** 2).mean())


def finetune(p, lr=0.01):
    p = [a.astype(np.float64).copy() for a in p]
    m, v = [np.zeros_like(a) for a in p], [np.zeros_like(a) for a in p]
    best = (np.inf, np.nan, 0)
    for s in range(1, steps + 1):
        out, acts = forward(p, x_tr)
        g = 2 * (out - y_tr) / out.size
        grads = [None] * 6
        for k in (2, 1, 0):
            grads[2 * k], grads[2 * k + 1] = mm(g.T, acts[k]), g.sum(0)
            if k:
                g = mm(g, p[2 * k]) * acts[k] * (1 - acts[k])
        for i, gr in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * gr
            v[i] = 0.999 * v[i] + 0.001 * gr**2
            p[i] -= lr * (m[i] / (1 - 0.9**s)) / (np.sqrt(v[i] / (1 - 0.999**s)) + 1e-8)
        if s == 1 or s % 10 == 0:
            val = mse(p, x_va, y_va)
            if val < best[0]:
                best = (val, mse(p, x_te, y_te), s)
    return best


def random_start(seed, scale, bias):
    r = np.random.default_rng(seed)
    xavier = lambda fan_out, fan_in: r.uniform(-1, 1, (fan_out, fan_in)) * np.sqrt(6 / (fan_in + fan_out))
    w0, w1, w2 = xavier(32, 18)[:, :n_in], xavier(32, 32), xavier(8, 32)[:n_out]
    return [w0 * scale, np.full(32, bias), w1 * scale, np.full(32, bias), w2 * scale, np.zeros(n_out)]


def compiled_start(path):
    q = {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}
    # The file normalises raw inputs itself (in_norm); fold that into layer 0 for inputs
    # normalised from the data's domain onto [-1, 1], as above.
    s, o = q["in_norm.scale"], q["in_norm.offset"]
    a, b = s * (hi - lo) / 2, s * (hi + lo) / 2 + o
    out_s, out_o = q["out_norm.scale"], q["out_norm.offset"]
    return [q["layer0.weight"] * a, q["layer0.bias"] + q["layer0.weight"] @ b, q["layer1.weight"], q["layer1.bias"],
            q["layer2.weight"] * out_s[:, None], q["layer2.bias"] * out_s + out_o]


scales = [(1.0, 0.0)] if os.environ.get("RANDOM_ONLY") == "1" else [(1.0, 0.0), (0.1, -2.7), (0.1, 0.0)]
starts = {f"Xavier x{sc}, hidden bias {b}": [random_start(100 + t, sc, b) for t in range(3)] for sc, b in scales}
starts.update({f"compiled {path}": [compiled_start(path)] for path in compiled})
for name, group in starts.items():
    runs = [finetune(p) for p in group]
    before = np.mean([mse(p, x_te, y_te) for p in group])
    after = np.mean([r[1] for r in runs])
    print(f"{prog:12s} {name:40s} test MSE {before:.3e} -> {after:.3e} (best epochs {[r[2] for r in runs]})", flush=True)
