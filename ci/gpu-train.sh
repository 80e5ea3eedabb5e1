#!/usr/bin/env bash
# The CompNet training job, run ON the GPU machine from the repository root (docs/compnet.md):
#
#   ci/gpu-train.sh TRAIN_SECONDS [EPOCHS]
#
# Carried there: .gpu/compnet.xz (ci/gpu-build.sh), data/exestack-cpn/ (`compnet dataset split`
# of the ExeStack build), and to continue a run, .gpu/run/ (the run folder a previous job brought
# back) and .gpu/cubecl-cache/ (its kernel cache). The synthetic programs are generated there, on
# all cores, from their seed (the same programs every time). Without EPOCHS, the number of epochs
# is chosen from the measured speed so that TOTAL_SECONDS (default 900) of training finish the
# cosine schedule; it is written to $OUT/epochs.txt, to pass when continuing.
#
# COVERING sets the covering surrogate shape (default 18,32,32,8).
# SKIP_BENCH=1 skips the throughput benchmarks (then give EPOCHS).
# Brings back: log.txt, bench-*.txt, synthetic-stats.json, run.tgz, epochs.txt, cubecl-cache/.
set -euo pipefail
: "${OUT:?set OUT to the folder whose contents come back}"
seconds=${1:?usage: ci/gpu-train.sh TRAIN_SECONDS [EPOCHS]}
epochs=${2:-}
job=ci/gpu-job.sh
run=runs/train/compnet
syn=/tmp/compnet-synthetic
log="$OUT/log.txt"

if [ -z "${SKIP_BENCH:-}" ]; then
$job bench-train --device "${DEVICE:-cuda}" --covering 9,16,16,2 --steps "${BENCH_STEPS:-200}" --warmup "${BENCH_WARMUP:-20}" 2>&1 | tee "$OUT/bench-reference-shape.txt" | tee -a "$log"
$job bench-train --device "${DEVICE:-cuda}" --steps "${BENCH_STEPS:-200}" --warmup "${BENCH_WARMUP:-20}" 2>&1 | tee "$OUT/bench-default.txt" | tee -a "$log"
fi

start=$(date +%s)
# A machine still warm from an earlier job keeps its /tmp: the same seeded programs, already built.
if [ ! -f "$syn/stats.json" ]; then
  $job dataset synthetic --count "${SYN_COUNT:-16000}" --threads "$(nproc)" --out "$syn" --quiet 2>&1 | tee -a "$log"
fi
cp "$syn/stats.json" "$OUT/synthetic-stats.json"
echo "synthetic programs ready: $(( $(date +%s) - start )) s on $(nproc) cores" | tee -a "$log"

resume=()
if [ -d .gpu/run ]; then
  mkdir -p "$(dirname "$run")"
  rm -rf "$run"
  cp -a .gpu/run "$run"
  resume=(--resume)
fi
if [ -z "$epochs" ]; then
  # steps/s of the default shape, programs after filtering ≈ synthetic kept + 278 ExeStack.
  sps=$(awk '/^steps\/s/ {print $2}' "$OUT/bench-default.txt")
  kept=$(python3 -c "import json; print(json.load(open('$syn/stats.json'))['kept'])")
  epochs=$(python3 -c "print(max(1, int($sps * ${TOTAL_SECONDS:-900} / (($kept + 278) / 32))))")
fi
echo "$epochs" > "$OUT/epochs.txt"
echo "training for $seconds s of $epochs epochs ${resume[*]}" | tee -a "$log"

status=0
$job train --device "${DEVICE:-cuda}" \
  --train data/exestack-cpn/train.parquet --train "$syn/train.parquet" --train "$syn/test.parquet" \
  --val data/exestack-cpn/test.parquet \
  --out "$run" --epochs "$epochs" --covering "${COVERING:-18,32,32,8}" --lr 5e-4 --warmup 1000 --time-limit "$seconds" "${resume[@]}" 2>&1 | tee -a "$log" || status=$?
tar czf "$OUT/run.tgz" -C "$(dirname "$run")" "$(basename "$run")"
ls -l "$OUT" | tee -a "$log"
exit $status
