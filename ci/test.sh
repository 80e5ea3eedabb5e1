#!/usr/bin/env bash
# The project's test command (README). Runs on a fresh clone: installs what it needs first.
# Steps: setup, format, workspace tests (every engine, the harness, the CLI, the C ABI, onnx and
# onnxruntime checks), the no_std builds for thumbv7em-none-eabihf, the runtime core under Miri,
# every firmware under QEMU, and a short `compnet fit` + `export` + `run` smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

step "setup"
ci/setup.sh
ci/firmware-setup.sh

step "format"
cargo fmt --all --check

step "workspace tests (dependencies optimised, see Cargo.toml profiles)"
cargo test --workspace --locked

step "runtime core and C ABI for thumbv7em-none-eabihf (no_std, no alloc)"
cargo build --locked -p compnet-runtime --no-default-features --target thumbv7em-none-eabihf
cargo build --locked --release -p compnet-capi --no-default-features --target thumbv7em-none-eabihf
lib=target/thumbv7em-none-eabihf/release/libcompnet.a
# An allocator would show up as calls to __rust_alloc / __rg_alloc (the `alloc` crate's shims).
if arm-none-eabi-nm "$lib" 2>/dev/null | grep -qE '__rust_alloc|__rg_alloc|__rust_no_alloc_shim'; then
  echo "$lib references an allocator: the core must not link alloc" >&2
  exit 1
fi
echo "$lib: no allocator symbols"

step "runtime core tests under Miri"
MIRIFLAGS="-Zmiri-strict-provenance -Zmiri-deterministic-floats" COMPNET_FUZZ_CASES=64 \
  cargo +nightly miri test --locked -p compnet-runtime --lib --test blob_fuzz --test fixed_path

step "firmware on an emulated Cortex-M4F (QEMU mps2-an386)"
ci/firmware-test.sh

step "smoke: compnet fit, export, run on a ParrotBench program"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The binary the workspace tests built (a `cargo run -p` would rebuild burn with other features).
bin=target/debug/compnet
$bin fit --program fft --epochs 5 --data "$out/data" --out "$out/fft"
python3 - "$out/fft/report.json" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r["program"] == "fft" and math.isfinite(r["test_mse"]), r
assert r["application_error"]["metric"] == "average relative error", r
print("report ok:", r["test_mse"], r["application_error"]["percent"], "%")
PY
$bin export "$out/fft" --out "$out/export"
core=$($bin run "$out/export/fft.cpn" --input 0.125)
tract=$($bin run "$out/export/fft.onnx" --input 0.125)
python3 - "$core" "$tract" <<'PY'
import math, sys
core = [float(v) for v in sys.argv[1].split(",")]
tract = [float(v) for v in sys.argv[2].split(",")]
assert len(core) == 2 and all(abs(a - b) <= 1e-5 for a, b in zip(core, tract)), (core, tract)
print("run ok: core", core, "tract", tract, "exact", [math.sin(-2 * math.pi * 0.125), math.cos(-2 * math.pi * 0.125)])
PY

step "smoke: compnet dataset synthetic, read back with pyarrow"
$bin dataset synthetic --count 40 --pairs 256 --out "$out/synthetic" --quiet
python3 - "$out/synthetic" <<'PY'
import json, math, sys, pyarrow.parquet as pq
d = sys.argv[1]
stats = json.load(open(f"{d}/stats.json"))
rows = pq.read_table(f"{d}/train.parquet").to_pylist() + pq.read_table(f"{d}/test.parquet").to_pylist()
assert stats["kept"] >= 36 and len(rows) == 2 * stats["kept"], (stats["kept"], len(rows))
for r in rows:
    assert len(r["inputs"]) == 128 and all(len(x) == r["n_in"] for x in r["inputs"]), r["name"]
    assert all(math.isfinite(v) and abs(v) < 10 for y in r["outputs"] for v in y), r["name"]
print("synthetic ok:", stats["kept"], "programs,", stats["train_programs"], "train /", stats["test_programs"], "test")
PY

step "smoke: compnet compile with the shipped CompNet; onnx checker and onnxruntime on its ONNX"
$bin compile datasets/programs/sobel.c --function sobel --domain 0:1 --test-pairs 256 --out "$out/compile"
x=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9
y=$($bin run "$out/compile/sobel.cpn" --input $x)
python3 - "$out/compile" "$x" "$y" <<'PY'
import json, math, sys
d, x, y = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.load(open(f"{d}/sobel.report.json"))
assert r["topology"] == [9, 32, 32, 1] and r["compile_ms"] > 0, r
assert all(math.isfinite(r[k]) for k in ["compiled_test_mse", "random_init_test_mse", "best_constant_test_mse"]), r
json.dump({"inputs": [[float(v) for v in x.split(",")]], "outputs": [[float(v) for v in y.split(",")]]}, open(f"{d}/sobel.json", "w"))
print("compile ok:", r["compile_ms"], "ms; test MSE", r["compiled_test_mse"], "vs random init", r["random_init_test_mse"],
      "and the best constant", r["best_constant_test_mse"])
PY
python3 ci/onnx_check.py "$out/compile"
# jpeg (64 -> 64) is outside the default CompNet's covering: compile picks the shipped wide one.
$bin compile datasets/programs/jpeg.c --function jpeg --domain 0:1 --test-pairs 64 --out "$out/compile-wide" > /dev/null
python3 - "$out/compile-wide/jpeg.report.json" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r["checkpoint"].endswith("checkpoints/wide") and r["topology"] == [64, 32, 32, 64], (r["checkpoint"], r["topology"])
assert math.isfinite(r["compiled_test_mse"]), r
print("compile jpeg ok: wide CompNet, test MSE", r["compiled_test_mse"], "vs random init", r["random_init_test_mse"])
PY
# The compile probes (docs/compnet.md, "What CompNet can learn"): one finite row per probe.
COMPNET=$bin PROBES_OUT="$out/probes" ci/compile-probes.sh | tee "$out/probes.txt"
python3 - "$out/probes.txt" ci/probes <<'PY'
import math, os, sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
probes = sorted(f[:-2] for f in os.listdir(sys.argv[2]) if f.endswith(".c"))
assert sorted(r[0] for r in rows) == probes, (rows, probes)
assert all(math.isfinite(float(x)) and float(x) >= 0 for r in rows for x in r[1:4]), rows
assert all(r[4] == ("yes" if float(r[1]) < float(r[3]) else "no") for r in rows), rows
print("probes ok:", len(rows), "compiled")
PY

step "smoke: compnet eval --quick (report structure, every number finite)"
$bin dataset synthetic --count 24 --pairs 512 --out "$out/eval-data" --quiet
$bin eval --quick --exestack "$out/eval-data/test.parquet" --train "$out/eval-data/train.parquet" \
  --parrot-data "$out/parrot" --out "$out/eval" > /dev/null
python3 - "$out/eval" <<'PY'
import json, math, os, sys
d = sys.argv[1]
r = json.load(open(f"{d}/results.json"))
names = [b["name"] for b in r["benchmarks"]]
assert names == ["ExeStack", "ParrotBench", "ParrotBenchCPN"], names
methods = ["CPN", "FOMAML", "PTS", "RND"]
for b in r["benchmarks"]:
    assert b["sizes"] == [0.0, 0.001, 0.01, 0.1, 1.0], b["sizes"]
    assert sorted(b["improvement"]) == methods and sorted(b["mean_test"]) == methods
    for m in methods:
        assert len(b["improvement"][m]) == 5 and all(math.isfinite(v) and v > 0 for v in b["improvement"][m]), (b["name"], m)
        assert all(len(row) == len(b["programs"]) and all(math.isfinite(v) for v in row) for row in b["mean_test"][m])
# Every trial's test loss, by method, program and size (Rust writes 0.0 as "0"): the means are theirs.
for b in r["benchmarks"]:
    for m in methods:
        for p, program in enumerate(b["programs"]):
            for s, size in enumerate(b["sizes"]):
                trials = b["trial_test"][m][program][repr(size).removesuffix(".0")]
                assert len(trials) == 2 and all(math.isfinite(v) for v in trials), (b["name"], m, program, size)
                mean = b["mean_test"][m][s][p]
                assert abs(sum(trials) / 2 - mean) <= 1e-12 * abs(mean), (b["name"], m, program, size, trials, mean)
parrot = r["benchmarks"][1]
assert parrot["programs"] == ["fft", "inversek2j", "kmeans", "jpeg"], parrot["programs"]
# The paper's set: its split fft_sin, and kmeans joined from ParrotBench with the same numbers.
paper = r["benchmarks"][2]
assert paper["programs"] == ["fft_sin", "kmeans"], paper["programs"]
k, j = parrot["programs"].index("kmeans"), paper["programs"].index("kmeans")
assert all(paper["mean_test"][m][s][j] == parrot["mean_test"][m][s][k] for m in methods for s in range(5))
# CPN finetunes from two starts (compiled, and with its dormant units recycled) by default.
assert r["config"]["cpn_recycle"] == 0.1, r["config"].get("cpn_recycle")
families = [(tuple(c["covering"]), c["programs"]) for c in r["config"]["compnets"]]
assert [f[0] for f in families] == [(18, 32, 32, 8), (64, 32, 32, 64)], families
assert families[1][1] == ["jpeg"], "jpeg (64 -> 64) is compiled by the wide CompNet"
# Quick mode keeps 1,024 training pairs of each ParrotBench program (the full run keeps them all).
assert r["config"]["parrot_train_pairs"] == {p: 1024 for p in parrot["programs"]}, r["config"]["parrot_train_pairs"]
for m in methods:
    rows = r["colour"]["by_method"][m]
    assert len(rows) == 5 and all(math.isfinite(v) for row in rows for v in row), m
md = open(f"{d}/report.md").read()
for heading in ["## ExeStack", "## ParrotBench", "## Colour quantization", "| data | CPN | FOMAML | PTS | paper CPN",
                "CPN finetunes two starts per trial",
                "Training pairs per program (100 %): fft 1024",
                "interval of a paired bootstrap over the trials",
                # Measured at the start of the run: this machine's CPU multiplies in f32.
                "Matrix products on this run's device (cpu): f32,"]:
    assert heading in md, heading
assert r["config"]["device_arithmetic"]["below_f32"] is False, r["config"]["device_arithmetic"]
# Each improvement of ours with its interval, low <= figure <= high.
import re
cells = [c for row in re.findall(r"^\| (?:0|0\.1|1|10|100) % \|.*$", md, re.M)
         for c in re.findall(r"([0-9.]+)× \(([0-9.]+)–([0-9.]+)\)", row)]
assert len(cells) >= 3 * 5 * 3, f"CPN, FOMAML and PTS with intervals at five sizes in three benchmarks: {len(cells)}"
assert all(float(lo) <= float(fig) <= float(hi) for fig, lo, hi in cells), cells
for f in ["loss-vs-size.png", "colour.png"]:
    assert open(f"{d}/{f}", "rb").read()[1:4] == b"PNG", f
print("eval --quick ok:", ", ".join(f'{b["name"]} CPN {b["improvement"]["CPN"][0]:.2f}x at 0 %' for b in r["benchmarks"]))
PY

step "smoke: compnet eval --quick --methods CPN,RND, joined with the run above by their equal RND rows"
# No --train and no --exestack: CPN and RND on ParrotBench alone, as a new CompNet is measured
# against an earlier run's baselines.
$bin eval --quick --methods CPN,RND --parrot-data "$out/parrot" --out "$out/eval-cpn" > /dev/null
$bin eval --report-from "$out/eval/results.json" --report-from "$out/eval-cpn/results.json" --out "$out/eval-joined" > /dev/null
python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
full, part, joined = (json.load(open(f"{d}/{n}/results.json")) for n in ["eval", "eval-cpn", "eval-joined"])
assert [b["name"] for b in part["benchmarks"]] == ["ParrotBench", "ParrotBenchCPN"]
assert all(sorted(b["mean_test"]) == ["CPN", "RND"] for b in part["benchmarks"])
assert joined["config"]["methods_run_apart"] == ["CPN"], joined["config"].get("methods_run_apart")
for name in ["ExeStack", "ParrotBench", "ParrotBenchCPN"]:
    f, j = (next(b for b in r["benchmarks"] if b["name"] == name) for r in (full, joined))
    assert f["mean_test"] == j["mean_test"] and f["improvement"] == j["improvement"], name
    if name != "ExeStack":
        p = next(b for b in part["benchmarks"] if b["name"] == name)
        # The same CompNet, data and seeds: the partial run's CPN and RND rows are the full run's.
        assert p["mean_test"]["CPN"] == f["mean_test"]["CPN"] and p["mean_test"]["RND"] == f["mean_test"]["RND"], name
        assert j["trial_test"]["CPN"] == p["trial_test"]["CPN"], name
assert sorted(joined["colour"]["by_method"]) == ["CPN", "FOMAML", "PTS", "RND"]
assert "CPN's rows come from a later command" in open(f"{d}/eval-joined/report.md").read()
print("eval --methods CPN,RND ok: joined by RND, rows equal the full run's")
PY

step "smoke: compnet eval --quick --methods CPN,RND --spread 0.1 (a third CPN start), joined to the full run"
$bin eval --quick --methods CPN,RND --spread 0.1 --parrot-data "$out/parrot" --out "$out/eval-spread" > /dev/null
$bin eval --report-from "$out/eval/results.json" --report-from "$out/eval-spread/results.json" --out "$out/eval-spread-joined" > /dev/null
python3 - "$out" <<'PY'
import json, math, sys
d = sys.argv[1]
two, three, joined = (json.load(open(f"{d}/{n}/results.json")) for n in ["eval-cpn", "eval-spread", "eval-spread-joined"])
assert three["config"]["cpn_spread"] == 0.1 and two["config"]["cpn_spread"] == 0.0
for a, b in zip(two["benchmarks"], three["benchmarks"]):
    # RND is untouched by CPN's third start; at 0 % there is one start, the compiled surrogate.
    assert a["mean_test"]["RND"] == b["mean_test"]["RND"], a["name"]
    assert a["mean_test"]["CPN"][0] == b["mean_test"]["CPN"][0], a["name"]
    assert all(math.isfinite(v) and v > 0 for v in b["improvement"]["CPN"]), b["name"]
assert joined["config"]["cpn_spread"] == 0.1, "the join keeps how the reported CPN rows were made"
for n in ["eval-spread", "eval-spread-joined"]:
    assert "CPN finetunes three starts per trial" in open(f"{d}/{n}/report.md").read(), n
print("eval --spread ok:", ", ".join(f'{b["name"]} CPN {b["improvement"]["CPN"][1]:.2f}x at 0.1 %' for b in three["benchmarks"]))
PY
# The two runs finetuned on the same subsets (equal RND trials): their CPN compared trial by trial.
python3 ci/eval-ratios.py "$out/eval-cpn/results.json" "$out/eval-spread/results.json" > "$out/ratios.txt"
python3 - "$out/ratios.txt" <<'PY'
import re, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("CPN of the first run")]
assert len(lines) == 2 and all("(paired)" in l for l in lines), lines
for l in lines:
    cells = re.findall(r"([0-9.]+) \(([0-9.]+)–([0-9.]+)\)", l)
    assert len(cells) == 5 and all(float(lo) <= float(hi) for _, lo, hi in cells), l
print("eval-ratios ok:", lines[0].strip())
PY
# Two runs as two seeds: each row's mean is the geometric mean of the runs' own improvements.
python3 ci/seed-means.py "$out/eval-cpn/results.json" "$out/eval-spread/results.json" > "$out/seed-means.txt"
python3 - "$out" <<'PY'
import json, math, sys
d = sys.argv[1]
runs = [json.load(open(f"{d}/{n}/results.json")) for n in ["eval-cpn", "eval-spread"]]
rows = [l.split() for l in open(f"{d}/seed-means.txt") if "| mean" in l]
expected = []
for b in runs[0]["benchmarks"]:
    other = next(c for c in runs[1]["benchmarks"] if c["name"] == b["name"])
    for k, size in enumerate(b["sizes"]):
        a, c = b["improvement"]["CPN"][k], other["improvement"]["CPN"][k]
        expected.append((b["name"], size, math.sqrt(a * c)))
assert len(rows) == len(expected), (rows, expected)
for (name, size, mean), row in zip(sorted(expected, key=lambda e: (e[0], e[1])), rows):
    assert row[0] == name and abs(float(row[1]) - 100 * size) < 1e-9, (row, name, size)
    assert abs(float(row[-1]) - mean) <= 0.005 + 1e-9, (row, mean)
print("seed-means ok:", " ".join(rows[0]))
PY

step "done"
