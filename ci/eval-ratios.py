#!/usr/bin/env python3
"""Per-program CPN ÷ RND ratios of several `compnet eval` runs, side by side.

The report gives each run's geometric means; when two CompNets (or two trainings of one recipe)
are compared, the question is which programs moved. This reads each run's `results.json` and prints,
for every ParrotBench benchmark in the first run, one line per program: RND's mean test loss ÷
CPN's at each data size, one block of columns per run, then the geometric mean over programs.

    ci/eval-ratios.py docs/results/eval-v11-frame/results.json docs/results/replicates/results-rep0.json

A run without a benchmark or program of the first run shows "–" there. docs/results/replicates/
has what it was written for.

When the first two runs hold their trials' losses (`trial_test`, results written since
2026-12-05), a last line per benchmark compares their CPN directly: the geometric mean over
programs of the first run's CPN mean ÷ the second's (above 1: the second is better), with the
90 % interval of a bootstrap over trials. The draw is paired (one draw of trial indices for both
runs) when their RND trials are equal, that is when both finetuned on the same subsets with the
same seeds; otherwise each run's trials are drawn on their own. The interval is the trials'
noise only: a second training of a CompNet moves more.
"""
import json
import math
import random
import sys

RESAMPLES = 2000


def benchmarks(path):
    with open(path) as f:
        return {b["name"]: b for b in json.load(f)["benchmarks"]}


def ratios(bench, program, sizes):
    """RND ÷ CPN at each of `sizes` (None where the run lacks the size), or None when the run lacks
    the program."""
    if program not in bench["programs"]:
        return None
    j = bench["programs"].index(program)
    mean = bench["mean_test"]
    by_size = {s: rnd[j] / cpn[j] for s, rnd, cpn in zip(bench["sizes"], mean["RND"], mean["CPN"])}
    return [by_size.get(s) for s in sizes]


def size_key(size):
    """The key of a data size in `trial_test` (as Rust prints an f64: 0.0 is "0")."""
    return repr(size).removesuffix(".0")


def trials(bench, method, program, size):
    """A program's trial losses at a size, or None."""
    return bench.get("trial_test", {}).get(method, {}).get(program, {}).get(size_key(size))


def compare_cpn(a, b, sizes):
    """Per size: (A's CPN ÷ B's CPN geometric mean, interval low, high, paired) or None."""
    out = []
    rng = random.Random(0x1B00757A)
    programs = [p for p in a["programs"] if p in b["programs"]]
    for size in sizes:
        ta = [trials(a, "CPN", p, size) for p in programs]
        tb = [trials(b, "CPN", p, size) for p in programs]
        if not programs or any(t is None for t in ta + tb):
            out.append(None)
            continue
        rnd_a = [trials(a, "RND", p, size) for p in programs]
        rnd_b = [trials(b, "RND", p, size) for p in programs]
        paired = None not in rnd_a and rnd_a == rnd_b and all(len(x) == len(y) for x, y in zip(ta, tb))

        def figure(draw_a, draw_b):
            logs = [math.log(sum(x[i] for i in ia) / len(ia)) - math.log(sum(y[i] for i in ib) / len(ib))
                    for x, y, ia, ib in zip(ta, tb, draw_a, draw_b)]
            return math.exp(sum(logs) / len(logs))

        whole = figure([range(len(x)) for x in ta], [range(len(y)) for y in tb])
        drawn = []
        for _ in range(RESAMPLES):
            da = [[rng.randrange(len(x)) for _ in x] for x in ta]
            db = da if paired else [[rng.randrange(len(y)) for _ in y] for y in tb]
            drawn.append(figure(da, db))
        drawn.sort()
        out.append((whole, drawn[round(0.05 * (RESAMPLES - 1))], drawn[round(0.95 * (RESAMPLES - 1))], paired))
    return out


def cells(values, sizes):
    if values is None:
        return " ".join(f"{'–':>6}" for _ in sizes)
    return " ".join(f"{v:6.2f}" if v is not None else f"{'–':>6}" for v in values)


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
                values = ratios(run[name], program, sizes) if name in run else None
                if values is not None:
                    for k, v in enumerate(values):
                        if v is not None:
                            logs[r][k].append(math.log(v))
                row.append(cells(values, sizes))
            print(f"{program:18s} " + " | ".join(row))
        geo = [[math.exp(sum(l) / len(l)) if l else None for l in per_run] for per_run in logs]
        print(f"{'geo. mean':18s} " + " | ".join(
            " ".join(f"{g:6.2f}" if g is not None else f"{'–':>6}" for g in per_run) for per_run in geo))
        if len(runs) >= 2 and name in runs[1]:
            compared = compare_cpn(first, runs[1][name], sizes)
            if any(c is not None for c in compared):
                kinds = {c[3] for c in compared if c is not None}
                how = "paired" if kinds == {True} else "unpaired" if kinds == {False} else "paired where RND agrees"
                print(f"CPN of the first run ÷ CPN of the second, 90 % interval over trials ({how}): " + ", ".join(
                    f"{c[0]:.2f} ({c[1]:.2f}–{c[2]:.2f})" if c else "–" for c in compared))


if __name__ == "__main__":
    main(sys.argv[1:])
