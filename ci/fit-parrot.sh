#!/usr/bin/env bash
# Fits all six ParrotBench surrogates from scratch with the default settings and writes the table
# docs/results/parrot-fit.md (test MSE, application error next to Parrot's, wall time per fit).
# Usage: ci/fit-parrot.sh [extra `compnet fit` flags…]      (opt-in; not part of ci/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
# The binary `cargo test --workspace` builds (same feature set as the tests: no second build of burn),
# copied so that builds during the run do not replace it.
cargo test --locked -q --workspace --no-run 2>/dev/null
bin=$(mktemp -d)/compnet
cp target/debug/compnet "$bin"
mkdir -p docs/results
out=docs/results/parrot-fit.md
{
  echo "# ParrotBench surrogates trained from scratch (\`compnet fit\`)"
  echo
  echo "Made by \`ci/fit-parrot.sh $*\` on $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), CPU backend (burn Flex)."
  echo "Wall time: one \`compnet fit\` (training, validation every epoch, test and application error; data already built)."
  echo
  echo "| program | topology | train / test pairs | test MSE | metric | ours | Parrot | best epoch | wall time |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$out.tmp"
for p in fft inversek2j jmeint jpeg kmeans sobel; do
  "$bin" dataset parrot --program "$p" >/dev/null 2>&1 || true
  "$bin" fit --program "$p" --out "runs/fit/$p" "$@" >/dev/null
  python3 - "runs/fit/$p/report.json" >> "$out.tmp" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); a = r["application_error"]
mark = "**" if a["percent"] <= a["parrot_percent"] else ""
print(f"| {r['program']} | {'→'.join(map(str, r['topology']))} | {r['train_pairs']:,} / {r['test_pairs']:,} "
      f"| {r['test_mse']:.2e} | {a['metric']} | {mark}{a['percent']:.2f} %{mark} | {a['parrot_percent']:.2f} % "
      f"| {r['best_epoch']} / {r['epochs']} | {r['wall_seconds']:.1f} s |")
PY
done
echo >> "$out.tmp"
echo "Bold: at or under Parrot's commonly cited figure. Metric definitions: docs/parrotbench.md." >> "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
