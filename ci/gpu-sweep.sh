#!/usr/bin/env bash
# A CompNet training sweep, ON the GPU machine from the repository root: several variants train
# side by side on one GPU (each is overhead-bound, so they share it well), then each is screened
# by a short `compnet eval` against RND, PTS and FOMAML (the shipped default too, as the reference).
#
#   ci/gpu-sweep.sh SECONDS EPOCHS 'NAME=COVERING=TRAIN FLAGS' ...
#   e.g. ci/gpu-sweep.sh 300 60 'sat01=18,32,32,8=--dropout 0.1 --saturation-penalty 0.01'
#
# Carried: .gpu/compnet.xz, .gpu/exestack/{train,val,test}.parquet (ci/gpu-exestack-prepare.sh
# with VAL_PROGRAMS), .gpu/eval/ (ci/gpu-eval-prepare.sh). A variant whose covering is not the
# default 18,32,32,8 is screened as the second CompNet (it compiles what the default cannot).
# TEST names the file of programs the screens read (default .gpu/exestack/test.parquet). Better:
# TEST=.gpu/exestack/val.parquet, the validation programs, which keeps the held-out ones out of
# the choice. A variant trained on cut data (TRAIN_PAIRS=512 in ci/gpu-exestack-prepare.sh) needs
# `--pairs 512 --pairs-per-step 512` among its flags. SCREEN adds `compnet eval` flags (default: 50 ExeStack programs, 3 trials, 1,000 epochs,
# 2,048 pairs per ParrotBench program, 50 baseline steps).
# SCREEN_ONLY=1 skips the training (a warm machine keeps runs/sweep/ from the previous job);
# NO_SCREEN=1 skips the screens (the runs are then judged by their validation MSE alone, or by a
# full `ci/gpu-eval.sh` of the chosen one).
# Brings back: sweep.tgz (each run's best/, metrics.csv, config.json; each screen's results.json
# and log) and summary.txt.
set -euo pipefail
: "${OUT:?set OUT to the folder whose contents come back}"
seconds=${1:?usage: ci/gpu-sweep.sh SECONDS EPOCHS NAME=COVERING=FLAGS ...}
epochs=${2:?usage: ci/gpu-sweep.sh SECONDS EPOCHS NAME=COVERING=FLAGS ...}
shift 2
job=ci/gpu-job.sh
default_covering=18,32,32,8
screen=(${SCREEN:---programs 50 --trials 3 --epochs 1000 --parrot-pairs 2048 --baseline-steps 50})
mkdir -p runs/sweep "$OUT/sweep"

pids=()
for spec in "$@"; do
  [ -z "${SCREEN_ONLY:-}" ] || break
  IFS='=' read -r name covering flags <<< "$spec"
  # shellcheck disable=SC2086 # the flags are words
  $job train --device cuda --train .gpu/exestack/train.parquet --val .gpu/exestack/val.parquet \
    --out "runs/sweep/$name" --epochs "$epochs" --covering "$covering" --lr 5e-4 --warmup "${WARMUP:-200}" \
    --time-limit "$seconds" $flags > "$OUT/sweep/train-$name.txt" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || echo "a training run failed (see sweep/train-*.txt)"; done

eval_common=(--device cuda --train .gpu/exestack/train.parquet --parrot-data .gpu/eval/parrot
             --cache .gpu/eval/cache --exestack "${TEST:-.gpu/exestack/test.parquet}" "${screen[@]}")
screen_one() { # NAME CHECKPOINT...
  local name=$1
  shift
  local ckpts=()
  for c in "$@"; do ckpts+=(--checkpoint "$c"); done
  $job eval "${ckpts[@]}" "${eval_common[@]}" --out "runs/sweep/screen-$name" > "$OUT/sweep/screen-$name.txt" 2>&1 \
    && cp "runs/sweep/screen-$name/results.json" "$OUT/sweep/screen-$name.json"
}
if [ -z "${NO_SCREEN:-}" ]; then
  pids=()
  screen_one shipped host-trainer/checkpoints/default host-trainer/checkpoints/wide &
  pids+=($!)
  for spec in "$@"; do
    IFS='=' read -r name covering _ <<< "$spec"
    [ -d "runs/sweep/$name/best" ] || continue
    if [ "$covering" = "$default_covering" ]; then
      screen_one "$name" "runs/sweep/$name/best" host-trainer/checkpoints/wide &
    else
      screen_one "$name" host-trainer/checkpoints/default "runs/sweep/$name/best" &
    fi
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || echo "a screen failed (see sweep/screen-*.txt)"; done
fi

{
  for f in "$OUT"/sweep/train-*.txt; do echo "== $f"; grep -E "^epoch|best|steps/s" "$f" | tail -4 || true; done
  for f in "$OUT"/sweep/screen-*.txt; do echo "== $f"; grep -E "^\| (0|0\.1|1|10|100) %" "$f" | head -10 || true; done
} | tee "$OUT/summary.txt"
for spec in "$@"; do
  IFS='=' read -r name _ <<< "$spec"
  mkdir -p "$OUT/sweep/$name"
  cp -a "runs/sweep/$name/best" "runs/sweep/$name/metrics.csv" "runs/sweep/$name/config.json" "$OUT/sweep/$name/" 2>/dev/null || true
done
tar czf "$OUT/sweep.tgz" -C "$OUT" sweep
rm -rf "$OUT/sweep"
# The kernel cache too, as one file (only a few files come back).
if [ -d "$OUT/cubecl-cache" ]; then
  tar czf "$OUT/cubecl-cache.tgz" -C "$OUT" cubecl-cache
  rm -rf "$OUT/cubecl-cache"
fi
ls -l "$OUT"
