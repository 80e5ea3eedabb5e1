#!/usr/bin/env bash
# The CompNet training job, run ON the GPU machine from the repository root (docs/compnet.md):
#
#   ci/gpu-train.sh TRAIN_SECONDS [EPOCHS]
#
# Carried there: .gpu/compnet.xz (ci/gpu-build.sh), .gpu/exestack/ (ci/gpu-exestack-prepare.sh:
# the training and validation rows of an ExeStack split), and to continue a run, .gpu/run-RUN/
# (the run folder a previous job brought back) and .gpu/cubecl-cache/ (its kernel cache). The
# synthetic programs are generated there, on all cores, from their seed (the same programs every
# time). Without EPOCHS, the number of epochs
# is chosen from the measured speed so that TOTAL_SECONDS (default 900) of training finish the
# cosine schedule; it is written to $OUT/epochs-RUN.txt, to pass when continuing.
#
# COVERING sets the covering surrogate shape (default 18,32,32,8); RUN names the run (default
# compnet), so that two runs (two covering shapes) can train side by side on one GPU:
#   SYNTHETIC_ONLY=1 ci/gpu-train.sh 0      # generate the synthetic programs, then stop
#   RUN=default SKIP_BENCH=1 ci/gpu-train.sh 360 30 & RUN=wide COVERING=64,32,32,64 SKIP_BENCH=1 ci/gpu-train.sh 360 30 & wait
# SKIP_BENCH=1 skips the throughput benchmarks (then give EPOCHS). SYN_COUNT=0 trains on the
# ExeStack programs alone (no synthetic programs are generated); WARMUP sets the warm-up steps
# (default 1000) and LR the peak learning rate (default 5e-4); TRAIN_ARGS adds `compnet train`
# flags (e.g. "--dropout 0.1"); SYN_ARGS adds `compnet dataset synthetic` flags (e.g. "--max-depth
# 2 --no-loops"). NO_EXESTACK=1 trains on the synthetic programs alone, validating on their
# held-out split (then give EPOCHS). The synthetic outputs come from the C interpreter (`dataset
# synthetic --interpret`); SYN_HARNESS=1 compiles them. SYN_DIR (default /tmp/compnet-synthetic)
# is where they are built, and kept while the machine stays warm: two families need two folders.
# TRAIN_SECONDS counts from the first training step: generating the programs (35 s for 200,000
# kernels), unpacking the binary, loading (10 s) and packing the run come on top, so leave the
# call 150 s more (three runs side by side with 450 s each overran a 590 s call on 2026-12-04).
# Brings back: log-RUN.txt, bench-*.txt, synthetic-stats-RUN.json, run-RUN.tgz, epochs-RUN.txt, cubecl-cache/.
set -euo pipefail
: "${OUT:?set OUT to the folder whose contents come back}"
seconds=${1:?usage: ci/gpu-train.sh TRAIN_SECONDS [EPOCHS]}
epochs=${2:-}
job=ci/gpu-job.sh
name=${RUN:-compnet}
run=runs/train/$name
syn=${SYN_DIR:-/tmp/compnet-synthetic}
log="$OUT/log-$name.txt"

if [ -z "${SKIP_BENCH:-}" ]; then
$job bench-train --device "${DEVICE:-cuda}" --covering 9,16,16,2 --steps "${BENCH_STEPS:-200}" --warmup "${BENCH_WARMUP:-20}" 2>&1 | tee "$OUT/bench-reference-shape.txt" | tee -a "$log"
$job bench-train --device "${DEVICE:-cuda}" --steps "${BENCH_STEPS:-200}" --warmup "${BENCH_WARMUP:-20}" 2>&1 | tee "$OUT/bench-default.txt" | tee -a "$log"
fi

start=$(date +%s)
synthetic=()
if [ "${SYN_COUNT:-16000}" = 0 ]; then
  echo '{"kept": 0}' > "$OUT/synthetic-stats-$name.json"
else
  synthetic=(--train "$syn/train.parquet" --train "$syn/test.parquet")
fi
# A machine still warm from an earlier job keeps its /tmp: the same seeded programs, already built.
if [ "${SYN_COUNT:-16000}" != 0 ] && [ ! -f "$syn/stats.json" ]; then
  # shellcheck disable=SC2086 # the flags are words
  # The interpreter gives the harness's outputs to f32 rounding, 600x faster (docs/compnet.md);
  # SYN_HARNESS=1 compiles every program instead, as runs before 2026-12-03 did.
  interpret=(--interpret)
  [ -z "${SYN_HARNESS:-}" ] || interpret=()
  $job dataset synthetic --count "${SYN_COUNT:-16000}" ${SYN_ARGS:-} "${interpret[@]}" --threads "$(nproc)" --out "$syn" --quiet 2>&1 | tee -a "$log"
fi
[ "${SYN_COUNT:-16000}" = 0 ] || cp "$syn/stats.json" "$OUT/synthetic-stats-$name.json"
echo "synthetic programs ready: $(( $(date +%s) - start )) s on $(nproc) cores" | tee -a "$log"
if [ -n "${SYNTHETIC_ONLY:-}" ]; then exit 0; fi

resume=()
if [ -d ".gpu/run-$name" ]; then
  mkdir -p "$(dirname "$run")"
  rm -rf "$run"
  cp -a ".gpu/run-$name" "$run"
  resume=(--resume)
fi
if [ -z "$epochs" ]; then
  # steps/s of the default shape, programs after filtering ≈ synthetic kept + ExeStack's.
  sps=$(awk '/^steps\/s/ {print $2}' "$OUT/bench-default.txt")
  kept=$(python3 -c "import json; print(json.load(open('$OUT/synthetic-stats-$name.json'))['kept'])")
  real=$(cat .gpu/exestack/programs.txt)
  epochs=$(python3 -c "print(max(1, int($sps * ${TOTAL_SECONDS:-900} / (($kept + $real) / 32))))")
fi
echo "$epochs" > "$OUT/epochs-$name.txt"
echo "training for $seconds s of $epochs epochs ${resume[*]}" | tee -a "$log"

data=(--train .gpu/exestack/train.parquet "${synthetic[@]}" --val .gpu/exestack/val.parquet)
if [ -n "${NO_EXESTACK:-}" ]; then
  data=(--train "$syn/train.parquet" --val "$syn/test.parquet")
fi
status=0
$job train --device "${DEVICE:-cuda}" "${data[@]}" \
  --out "$run" --epochs "$epochs" --covering "${COVERING:-18,32,32,8}" --lr "${LR:-5e-4}" --warmup "${WARMUP:-1000}" --time-limit "$seconds" ${TRAIN_ARGS:-} "${resume[@]}" 2>&1 | tee -a "$log" || status=$?
tar czf "$OUT/run-$name.tgz" -C "$(dirname "$run")" "$(basename "$run")"
ls -l "$OUT" | tee -a "$log"
exit $status
