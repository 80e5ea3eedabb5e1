"""Geometric-mean improvements over RND from the logs of a `ci/gpu-eval.sh` run whose results
files did not come back (the GPU machine returns at most 8 files; this run wrote 13): each log
holds its part's report, whose per-program table gives each method's mean test loss at 4
significant digits. Prints this project's six-program ParrotBench and the paper's ParrotBenchCPN
set. Run: python3 docs/results/eval-v11-big/aggregate.py docs/results/eval-v11-big/logs"""
import glob
import math
import re
import sys

ROW = re.compile(r"\| (\w+) \| ([\d.]+) % \| (\S+) \| (\S+) \| (\S+) \| (\S+) \|$")
METHODS = ["CPN", "FOMAML", "PTS", "RND"]
SETS = {
    "ParrotBench (six)": ["fft", "inversek2j", "jmeint", "jpeg", "kmeans", "sobel"],
    "ParrotBenchCPN (paper's set)": ["fft_sin", "fft_cos", "inversek2j_theta1", "inversek2j_theta2", "kmeans", "sobel"],
}

loss = {}
for path in glob.glob(f"{sys.argv[1]}/eval-parrot-*-log.txt"):
    for line in open(path):
        m = ROW.match(line.strip())
        if m:
            loss[(m[1], float(m[2]))] = dict(zip(METHODS, map(float, m.groups()[2:])))
sizes = sorted({s for _, s in loss})
for name, programs in SETS.items():
    print(f"{name}: improvement over RND at {' / '.join(f'{s:g} %' for s in sizes)}")
    for method in METHODS[:3]:
        row = [
            math.exp(sum(math.log(loss[(p, s)]["RND"] / loss[(p, s)][method]) for p in programs) / len(programs))
            for s in sizes
        ]
        print(f"  {method:7} " + " / ".join(f"{v:.2f}" for v in row))
