#!/usr/bin/env python3
"""Writes the on-device test sets: N inputs of each program's ParrotBench *test* split (evenly
spaced rows, deterministic) and the outputs the host harness recorded for them, as little-endian
f32 arrays (testsets/<program>.inputs.f32: N x n_in, testsets/<program>.outputs.f32: N x n_out).

    python3 firmware-examples/tools/make_testsets.py [--data data/parrot] [--n 256]

The Parquet files come from `compnet dataset parrot` (any reader works; this one uses pyarrow)."""
import argparse
import pathlib
import struct

import pyarrow.parquet as pq

PROGRAMS = ["sobel", "fft", "kmeans"]


def main():
    here = pathlib.Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(here.parent / "data" / "parrot"))
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--out", default=str(here / "testsets"))
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in PROGRAMS:
        path = pathlib.Path(a.data) / f"{name}.parquet"
        rows = [r for r in pq.read_table(path).to_pylist() if r["split"] == "test"]
        if len(rows) != 1:
            raise SystemExit(f"{path}: expected one 'test' row, found {len(rows)}")
        r = rows[0]
        xs, ys = r["inputs"], r["outputs"]
        stride = len(xs) // a.n
        if stride == 0:
            raise SystemExit(f"{path}: test split has {len(xs)} pairs, fewer than --n {a.n}")
        pick = range(0, stride * a.n, stride)
        flat_x = [v for i in pick for v in xs[i]]
        flat_y = [v for i in pick for v in ys[i]]
        assert len(flat_x) == a.n * r["n_in"] and len(flat_y) == a.n * r["n_out"]
        (out / f"{name}.inputs.f32").write_bytes(struct.pack(f"<{len(flat_x)}f", *flat_x))
        (out / f"{name}.outputs.f32").write_bytes(struct.pack(f"<{len(flat_y)}f", *flat_y))
        print(f"{name}: {a.n} of {len(xs)} test pairs (every {stride}th), {r['n_in']} -> {r['n_out']}")


if __name__ == "__main__":
    main()
