#!/usr/bin/env python3
"""Held-out stencils by form from `compnet zero-data` runs: mean test MSE compiled with no data,
the best constant's, and how many programs are below it.

    python3 stencil-forms.py TEST.parquet NAME=ZERO_DATA_DIR…

Forms, read from each program's source: `linear` returns one integer-weighted sum (`mag = gx;`,
possibly scaled), `one` its magnitude, `two` a magnitude of two sums (L2, L1 or L∞), possibly
clamped.
"""
import json
import re
import sys

import pyarrow.parquet as pq

LINEAR = re.compile(r"mag = ([0-9.]+f? \* )?gx;")


def form(source):
    if "gy" in source:
        return "two"
    return "linear" if LINEAR.search(source) else "one"


def main(test, runs):
    table = pq.read_table(test, columns=["name", "source"])
    forms = {n: form(s) for n, s in zip(table.column("name").to_pylist(), table.column("source").to_pylist())}
    print("| run | form | programs | CPN | best constant | below |\n|---|---|---|---|---|---|")
    for run in runs:
        name, folder = run.split("=", 1)
        rows = json.load(open(f"{folder}/zero-data.json"))["held_out"][1]
        for f in ["linear", "one", "two"]:
            mine = [r for r in rows if forms.get(r["name"]) == f]
            if not mine:
                continue
            cpn = sum(r["cpn_mse"] for r in mine) / len(mine)
            const = sum(r["constant_mse"] for r in mine) / len(mine)
            below = sum(r["cpn_mse"] < r["constant_mse"] for r in mine)
            print(f"| {name} | {f} | {len(mine)} | {cpn:.3f} | {const:.3f} | {below} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
