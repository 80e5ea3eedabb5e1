#!/usr/bin/env python3
"""Per-program CPN ÷ RND ratios of several `compnet eval` runs, side by side.

The report gives each run's geometric means; when two CompNets (or two trainings of one recipe)
are compared, the question is which programs moved. This reads each run's `results.json` and prints,
for every ParrotBench benchmark in the first run, one line per program: RND's mean test loss ÷
CPN's at each data size, one block of columns per run, then the geometric mean over programs.

    ci/eval-ratios.py docs/results/eval-v11-frame/results.json docs/results/replicates/results-rep0.json

A run without a benchmark or program of the first run shows "–" there. docs/results/replicates/
has what it was written for.
"""
import json
import math
import sys


def benchmarks(path):
    with open(path) as f:
        return {b["name"]: b for b in json.load(f)["benchmarks"]}


def ratios(bench, program):
    """RND ÷ CPN per data size, or None when the run lacks the program."""
    if program not in bench["programs"]:
        return None
    j = bench["programs"].index(program)
    mean = bench["mean_test"]
    return [rnd[j] / cpn[j] for rnd, cpn in zip(mean["RND"], mean["CPN"])]


def cells(values, sizes):
    if values is None:
        return " ".join(f"{'–':>6}" for _ in sizes)
    return " ".join(f"{v:6.2f}" for v in values)


def main(paths):
    if not paths:
        sys.exit(__doc__)
    runs = [benchmarks(p) for p in paths]
    for name, first in runs[0].items():
        if not name.startswith("Parrot"):
            continue
        sizes = first["sizes"]
        print(f"## {name}: RND ÷ CPN at {', '.join(f'{100 * s:g} %' for s in sizes)}; runs: {', '.join(paths)}")
        logs = [[[] for _ in sizes] for _ in runs]
        for program in first["programs"]:
            row = []
            for r, run in enumerate(runs):
                values = ratios(run[name], program) if name in run else None
                if values is not None:
                    for k, v in enumerate(values):
                        logs[r][k].append(math.log(v))
                row.append(cells(values, sizes))
            print(f"{program:18s} " + " | ".join(row))
        geo = [[math.exp(sum(l) / len(l)) if l else None for l in per_run] for per_run in logs]
        print(f"{'geo. mean':18s} " + " | ".join(
            " ".join(f"{g:6.2f}" if g is not None else f"{'–':>6}" for g in per_run) for per_run in geo))


if __name__ == "__main__":
    main(sys.argv[1:])
