#!/usr/bin/env bash
# The project's test command (README). Runs on a fresh clone: installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

step "setup"
ci/setup.sh

step "format"
cargo fmt --all --check

step "workspace tests (dependencies optimised, see Cargo.toml profiles)"
cargo test --workspace --locked

step "edge-runtime core for thumbv7em-none-eabihf (no_std, no alloc)"
cargo build --locked -p compnet-runtime --no-default-features --target thumbv7em-none-eabihf

step "smoke: compnet fit on a ParrotBench program"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo run --locked -q -p compnet-trainer -- fit --program fft --epochs 5 --data "$out/data" --out "$out/fft"
python3 - "$out/fft/report.json" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r["program"] == "fft" and math.isfinite(r["test_mse"]), r
assert r["application_error"]["metric"] == "average relative error", r
print("report ok:", r["test_mse"], r["application_error"]["percent"], "%")
PY

step "done"
