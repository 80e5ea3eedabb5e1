#!/usr/bin/env bash
# The full `compnet eval` run, ON the GPU machine from the repository root, within one command's
# time limit: a short calibration run measures the seconds per finetuning epoch at 100 % data, and
# the full run gets as many epochs (at most the protocol's 5,000) as fit in BUDGET seconds;
# EPOCHS=N skips the calibration.
# Carried: .gpu/compnet.xz, .gpu/exestack/{eval-train,test}.parquet (ci/gpu-exestack-prepare.sh),
# .gpu/eval/ (ci/gpu-eval-prepare.sh; jmeint's data is built here by the eval itself).
set -euo pipefail
: "${OUT:?set OUT to the folder whose contents come back}"
budget=${BUDGET:-420}
# CHECKPOINTS: the CompNets, in order (default: the shipped ones; e.g. a sweep's runs on a warm machine).
ckpts=()
for c in ${CHECKPOINTS:-host-trainer/checkpoints/default host-trainer/checkpoints/wide}; do ckpts+=(--checkpoint "$c"); done
# EVAL_FLAGS: more `compnet eval` flags for every part (e.g. --twins). With "--methods CPN,RND"
# no ExeStack training data is read (.gpu/exestack/ may be empty): `compnet eval --report-from
# FULL/results.json --report-from PARTS/results.json` puts CPN's new rows beside an earlier full
# run's baselines, if both runs' RND rows are equal (docs/results/eval-v11-frame/).
# shellcheck disable=SC2206 # the flags are words
base=(--device cuda "${ckpts[@]}"
      --train .gpu/exestack/eval-train.parquet --parrot-data .gpu/eval/parrot --cache .gpu/eval/cache ${EVAL_FLAGS:-})
common=("${base[@]}" --exestack .gpu/exestack/test.parquet)
if [ -n "${EPOCHS:-}" ]; then
  # Given: no calibration (its time includes compiling the kernels on a machine without a cache).
  # The two benchmarks run side by side (per-epoch launch overhead, not the GPU, bounds each); here
  # `compnet eval --report-from A --report-from B --out DIR` makes them one report (and draws the
  # plots: the GPU machine has no fonts).
  # PARROT_PAIRS=N caps each ParrotBench program's training set (0: all, as the paper; on an
  # H200 sobel's 262,144 take 238 s at all five sizes, the other five programs 407 s beside it).
  # At the paper's sizes ParrotBench outgrows one command. PARROT="sobel" runs those programs
  # only (comma-separated); several groups, space-separated ("jmeint,kmeans fft,inversek2j,jpeg"),
  # run side by side, each to its own results-<group>.json; PARROT=none leaves ParrotBench out and
  # NO_EXESTACK=1 ExeStack. The paper's ParrotBenchCPN set needs the single-output splits too
  # ("fft_sin,fft_cos,inversek2j_theta1,inversek2j_theta2", read from fft's and inversek2j's data);
  # the joined report completes it with ParrotBench's kmeans and sobel. A group may end in @SIZES
  # ("sobel@0,0.001,0.01,0.1 sobel@1"): those data sizes only, so that one program's longest size
  # runs beside its others (`--report-from` joins the sizes again; kmeans, whose colour application
  # needs every size, stays whole). Parts time-slice the one GPU: ten made each size 6-7x slower
  # than six, and ExeStack's 100 % alone took 62 s against 221 s beside five other parts
  # (docs/results/eval-v11-twins/); whether fewer parts finish the whole run sooner is not measured.
  # `compnet eval --report-from` each results file (unpacked from eval.tgz) joins the parts into one report (a program's
  # subsets and RND draws are seeded by its name, so the parts give what one run would).
  # PART_LIMIT=S stops each part after S seconds (default 570, under a call's 600 s limit), so that
  # a part that runs long costs its own results only: the parts that finished, and every log, still
  # come back in eval.tgz, and the command exits non-zero.
  limit=${PART_LIMIT:-570}
  jobs=()
  if [ -z "${NO_EXESTACK:-}" ]; then
    (timeout "$limit" ci/gpu-job.sh eval "${common[@]}" --no-parrot --epochs "$EPOCHS" --out /tmp/eval-exestack > "$OUT/eval-exestack-log.txt" 2>&1
     cp /tmp/eval-exestack/results.json "$OUT/results-exestack.json") &
    jobs+=($!)
  fi
  for group in ${PARROT:-all}; do
    [ "$group" = none ] && continue
    only=()
    programs=${group%%@*}
    [ "$programs" != all ] && only=(--parrot "$programs")
    [ "$group" != "$programs" ] && only+=(--sizes "${group#*@}")
    tag=parrot-${group//,/-}
    tag=${tag//@/-at-}
    (timeout "$limit" ci/gpu-job.sh eval "${base[@]}" "${only[@]}" --parrot-pairs "${PARROT_PAIRS:-0}" --epochs "$EPOCHS" --out "/tmp/eval-$tag" > "$OUT/eval-$tag-log.txt" 2>&1
     cp "/tmp/eval-$tag/results.json" "$OUT/results-$tag.json"
     if [ -f "/tmp/eval-$tag/colour.png" ]; then cp "/tmp/eval-$tag/colour.png" "$OUT/colour.png"; fi) &
    jobs+=($!)
  done
  status=0
  for j in "${jobs[@]}"; do wait "$j" || status=$?; done
  for log in "$OUT"/eval-*-log.txt; do grep -v "^|" "$log" | tail -30; done
  # The GPU machine brings back at most 8 files, and six parts make 13: the parts' results, logs
  # and the colour panel come back as one archive, eval.tgz.
  parts=$(cd "$OUT" && ls results-*.json eval-*-log.txt colour.png 2>/dev/null || true)
  if [ -n "$parts" ]; then
    # shellcheck disable=SC2086 # file names without spaces, one word each
    tar czf "$OUT/eval.tgz" -C "$OUT" $parts && (cd "$OUT" && rm -f $parts)
  fi
  exit $status
fi
ci/gpu-job.sh eval "${common[@]}" --sizes 1 --epochs 200 --baseline-steps 10 --out /tmp/calibration 2>&1 | grep -E "100 %|baseline" | tee "$OUT/calibration.txt"
# One "100 %:" line per CompNet (covering shape) that has programs: their times add up.
secs=$(awk '/100 %:/ {for (i = 1; i <= NF; i++) if ($i == "in") s += $(i + 1)} END {print s}' "$OUT/calibration.txt")
epochs=$(python3 -c "print(max(50, min(5000, int(($budget - 90) / (4 * $secs / 200)))))")
echo "calibration: $secs s for 200 epochs at 100 %; full run: $epochs epochs" | tee -a "$OUT/calibration.txt"
ci/gpu-job.sh eval "${common[@]}" --epochs "$epochs" --out "$OUT/eval" 2>&1 | grep -v "^|" | tee "$OUT/eval-log.txt"
