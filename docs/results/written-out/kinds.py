#!/usr/bin/env python3
"""Per-kind zero-data table from `compnet zero-data` runs on one held-out set per kernel kind:
mean test MSE compiled with no data per run, the best constant's, programs below it.

    python3 kinds.py NAME=PREFIX…    # reads PREFIX-KIND/zero-data.json for each of the seven kinds
"""
import json
import sys

KINDS = ["distance", "stencil", "phase", "geometry", "polynomial", "neuron", "blend"]


def main(runs):
    names = [r.split("=", 1)[0] for r in runs]
    print("| kind | programs | " + " | ".join(f"{n} (below the constant)" for n in names) + " | best constant |")
    print("|---|---|" + "---|" * len(names) + "---|")
    for kind in KINDS:
        cells, programs, constant = [], 0, 0.0
        for run in runs:
            prefix = run.split("=", 1)[1]
            summary, rows = json.load(open(f"{prefix}-{kind}/zero-data.json"))["held_out"]
            programs = summary["programs"]
            constant = sum(r["constant_mse"] for r in rows) / len(rows)
            cells.append(f"{summary['mean_cpn_mse']:.3f} ({summary['cpn_beats_constant']})")
        print(f"| {kind} | {programs} | " + " | ".join(cells) + f" | {constant:.3f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
