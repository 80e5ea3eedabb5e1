#!/usr/bin/env bash
# Does a CompNet compile simple functions? Compiles every probe of ci/probes/ (the file's stem is
# the function) with no data and prints, per probe, the compiled surrogate's test MSE on 1,024
# fresh inputs of [-1, 1], a random initialisation's, and the best constant's (each output's mean:
# a yardstick that needs the outputs, not a method). A CompNet that compiles beats the constant.
#
#   ci/compile-probes.sh [CHECKPOINT]      (default: the shipped one that covers each probe)
#
# COMPNET names the binary (default target/release/compnet); PROBES_OUT the folder the compiled
# probes go to (default runs/probes).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${COMPNET:-target/release/compnet}
ckpt=()
if [ -n "${1:-}" ]; then ckpt=(--checkpoint "$1"); fi
printf '%-20s %12s %12s %12s %s\n' probe compiled random constant "compiled beats constant"
for src in ci/probes/*.c; do
  f=$(basename "$src" .c)
  "$bin" compile "$src" --function "$f" "${ckpt[@]}" --out "${PROBES_OUT:-runs/probes}/$f" > /dev/null
  python3 - "${PROBES_OUT:-runs/probes}/$f/$f.report.json" "$f" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c, rnd, k = r["compiled_test_mse"], r["random_init_test_mse"], r["best_constant_test_mse"]
print(f"{sys.argv[2]:<20} {c:12.4g} {rnd:12.4g} {k:12.4g} {'yes' if c < k else 'no'}")
PY
done
