#!/usr/bin/env python3
"""A method's improvement over RND in several `compnet eval` runs (e.g. one per seed), and the
geometric mean over the runs, per benchmark and data size.

    ci/seed-means.py docs/results/cpn-also/gpu/results-also-s{0,1,2}-p0.01.json
    ci/seed-means.py --method PTS RUN.json…

Each run's figure is its report's (`improvement`: the geometric mean over programs of RND's mean
test loss ÷ the method's). The mean over runs is taken where every run has the benchmark and the
size; otherwise it reads "–". The trials' intervals of one run are `compnet eval`'s report and
`ci/eval-ratios.py`'s business; this only answers how far a figure moves between seeds.
"""
import json
import math
import sys


def improvements(path, method):
    """`{(benchmark, size): improvement}` of `method` in one results file."""
    with open(path) as f:
        report = json.load(f)
    out = {}
    for b in report["benchmarks"]:
        for size, value in zip(b["sizes"], b["improvement"].get(method, [])):
            if value is not None and math.isfinite(value) and value > 0:
                out[(b["name"], size)] = value
    return out


def main(args):
    method = "CPN"
    if args[:1] == ["--method"]:
        if len(args) < 2:
            sys.exit("--method needs a name (CPN, PTS, FOMAML)")
        method, args = args[1], args[2:]
    if not args:
        sys.exit(__doc__)
    runs = [improvements(p, method) for p in args]
    keys = sorted({k for r in runs for k in r}, key=lambda k: (k[0], k[1]))
    print(f"{method} ÷ RND improvement; runs: {', '.join(args)}")
    for name, size in keys:
        values = [r.get((name, size)) for r in runs]
        cells = " ".join(f"{v:6.2f}" if v is not None else f"{'–':>6}" for v in values)
        mean = math.exp(sum(math.log(v) for v in values) / len(values)) if None not in values else None
        shown = f"{mean:6.2f}" if mean is not None else f"{'–':>6}"
        print(f"{name:16s} {100 * size:>6g} % {cells} | mean {shown}")


if __name__ == "__main__":
    main(sys.argv[1:])
