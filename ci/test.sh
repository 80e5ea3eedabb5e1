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

step "done"
