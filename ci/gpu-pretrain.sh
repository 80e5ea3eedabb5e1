#!/usr/bin/env bash
# Two-stage CompNet training, run ON the GPU machine from the repository root (docs/compnet.md,
# "Pretraining on synthetic programs"): first on a stream of synthetic programs that the C
# interpreter makes in seconds, then on real ExeStack programs from that network
# (`compnet train --init`). Each stage fits one 10-minute call:
#
#   ci/gpu-pretrain.sh synthetic TRAIN_SECONDS   # → $OUT/run-$PRE.tgz (default PRE=pre)
#   ci/gpu-pretrain.sh exestack TRAIN_SECONDS    # → $OUT/run-real-pre.tgz, $OUT/run-real-ctl.tgz
#
# Carried there: .gpu/compnet.xz (ci/gpu-build.sh) and .gpu/exestack/ (`VAL_PROGRAMS=100
# TRAIN_PAIRS=512 ci/gpu-exestack-prepare.sh BUILD`); for the second stage also the first stage's
# network at .gpu/pretrained/ (a `best/` folder from run-$PRE.tgz).
#
# synthetic: SYN_COUNT programs (default 500000) of the default generator with SYN_PAIRS input
#   sets each (default 256: half train, half test) and SYN_ARGS, all of them trained on for
#   PRE_EPOCHS (default 1) with PRE_ARGS, validated on the ExeStack validation programs: how far
#   synthetic programs alone carry to real ones.
# exestack: the shipped default's recipe (host-trainer/checkpoints/default/TRAINING.md) on
#   .gpu/exestack/train.parquet, from .gpu/pretrained (run real-pre) and, side by side unless
#   CONTROL=0, from a fresh network (run real-ctl); REAL_EPOCHS (default 24), REAL_ARGS added.
# Both stages: LR (default 5e-4, the shipped default's) and PENALTIES (default the shipped default's
# "--saturation-penalty 1 --weight-penalty 0.1"; PENALTIES="" trains on the MSE alone, which
# learns a synthetic family faster: docs/compnet.md).
# Brings back: log-*.txt, run-*.tgz, synthetic-stats-$PRE.json, cubecl-cache/.
set -euo pipefail
: "${OUT:?set OUT to the folder whose contents come back}"
stage=${1:?usage: ci/gpu-pretrain.sh synthetic|exestack TRAIN_SECONDS}
seconds=${2:?usage: ci/gpu-pretrain.sh synthetic|exestack TRAIN_SECONDS}
job=ci/gpu-job.sh
syn=${SYN_DIR:-/tmp/compnet-synthetic} # where ci/gpu-train.sh builds them
# What both stages share with the shipped default: the covering shape, the peak learning rate and
# the two penalties on the generated surrogates.
# shellcheck disable=SC2206 # the penalty flags are words
common=(--device "${DEVICE:-cuda}" --covering 18,32,32,8 --lr "${LR:-5e-4}" ${PENALTIES---saturation-penalty 1 --weight-penalty 0.1})

pack() {
  tar czf "$OUT/run-$1.tgz" --exclude=checkpoint --exclude=checkpoint.old -C runs/train "$1"
}

case "$stage" in
synthetic)
  name=${PRE:-pre}
  log="$OUT/log-$name.txt"
  # The programs are built as ci/gpu-train.sh builds them (interpreted, on all cores, kept in /tmp
  # while the machine stays warm).
  RUN=$name SKIP_BENCH=1 SYNTHETIC_ONLY=1 SYN_COUNT=${SYN_COUNT:-500000} \
    SYN_ARGS="--pairs ${SYN_PAIRS:-256} ${SYN_ARGS:-}" ci/gpu-train.sh 0
  half=$(( ${SYN_PAIRS:-256} / 2 ))
  status=0
  # shellcheck disable=SC2086
  $job train "${common[@]}" --train "$syn/train.parquet" --train "$syn/test.parquet" \
    --val .gpu/exestack/val.parquet --out "runs/train/$name" --epochs "${PRE_EPOCHS:-1}" --warmup 500 \
    --pairs "$half" --pairs-per-step "$half" --time-limit "$seconds" ${PRE_ARGS:-} 2>&1 | tee -a "$log" || status=$?
  pack "$name"
  exit $status
  ;;
exestack)
  test -f .gpu/pretrained/compnet.json || { echo "no pretrained CompNet at .gpu/pretrained/ (carry a run's best/ there)" >&2; exit 2; }
  runs=(real-pre)
  [ "${CONTROL:-1}" = 0 ] || runs+=(real-ctl)
  pids=()
  for name in "${runs[@]}"; do
    init=()
    [ "$name" = real-ctl ] || init=(--init .gpu/pretrained)
    # shellcheck disable=SC2086
    $job train "${common[@]}" --train .gpu/exestack/train.parquet --val .gpu/exestack/val.parquet \
      --out "runs/train/$name" --epochs "${REAL_EPOCHS:-24}" --warmup 200 --pairs 512 --pairs-per-step 512 \
      --dropout 0.1 --meta-weight 1 --meta-steps 50 --meta-support 16 --time-limit "$seconds" \
      "${init[@]}" ${REAL_ARGS:-} > "$OUT/log-$name.txt" 2>&1 &
    pids+=($!)
  done
  status=0
  for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
  for name in "${runs[@]}"; do pack "$name"; tail -12 "$OUT/log-$name.txt"; done
  exit $status
  ;;
*)
  echo "unknown stage $stage: synthetic or exestack" >&2
  exit 2
  ;;
esac
