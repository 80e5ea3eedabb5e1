#!/usr/bin/env bash
# Cuts an ExeStack build to what the GPU jobs read, small enough to carry beside the binary
# (64 MiB in all): .gpu/exestack/
#   train.parquet  the training programs' `train` rows (CompNet training, PTS, FOMAML read only these)
#   val.parquet    the validation programs, both rows (CompNet validation reads only the `test` ones)
#   test.parquet   the held-out programs, both rows (compnet eval, compnet zero-data)
#   eval-train.parquet  train.parquet cut to each program's first 256 pairs, all that PTS and
#                  FOMAML read of a program (compnet eval), so that an eval job carries less
#   programs.txt   the number of training programs (ci/gpu-train.sh sizes its schedule with it)
#
#   ci/gpu-exestack-prepare.sh [BUILD]      (default data/exestack)
#
# With VAL_PROGRAMS=N (e.g. 100), N programs of the build's training split become the validation
# set (`compnet dataset split --test-programs N --seed ${VAL_SEED:-7}` of the training file alone),
# so the held-out programs play no part in choosing a CompNet's epoch; without it the held-out
# programs validate (the older, flattering choice: docs/compnet.md).
# Carry train + val to a training job, eval-train + test to an eval job (ci/gpu-eval.sh).
# The validation programs keep both rows in val.parquet (training reads only their `test` rows), so
# that a sweep can screen on them (ci/gpu-sweep.sh TEST=.gpu/exestack/val.parquet) and leave the
# held-out programs to the final report.
# Larger builds outgrow the carry; two cuts keep them in it:
#   TRAIN_PAIRS=N     train.parquet keeps each program's first N pairs (what `compnet train --pairs N`
#                     reads of the whole file anyway)
#   TEST_PROGRAMS=N   test.parquet keeps N held-out programs, a sample seeded by TEST_SEED (default 0)
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-data/exestack}
bin=${COMPNET:-target/debug/compnet}
mkdir -p .gpu/exestack
val_src=$src
if [ -n "${VAL_PROGRAMS:-}" ]; then
  # The training file alone as a dataset folder (an empty test file of the same schema), re-split.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/train-only"
  cp "$src/train.parquet" "$tmp/train-only/train.parquet"
  python3 - "$tmp/train-only" <<'PY'
import sys, pyarrow.parquet as pq
t = pq.read_table(f"{sys.argv[1]}/train.parquet")
pq.write_table(t.slice(0, 0), f"{sys.argv[1]}/test.parquet")
PY
  "$bin" dataset split "$tmp/train-only" --test-programs "$VAL_PROGRAMS" --seed "${VAL_SEED:-7}" --out "$tmp/split"
  val_src=$tmp/split
fi
python3 - "$src" "$val_src" "${TRAIN_PAIRS:-0}" "${TEST_PROGRAMS:-0}" "${TEST_SEED:-0}" <<'PY'
import random, sys, pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
src, val_src = sys.argv[1], sys.argv[2]
train_pairs, test_programs, test_seed = (int(a) for a in sys.argv[3:6])
train = pq.read_table(f"{val_src}/train.parquet")
val = pq.read_table(f"{val_src}/test.parquet")
held_out = pq.read_table(f"{src}/test.parquet")
rows = train.filter(pc.equal(train["split"], "train"))

def first_pairs(table, n):
    cut = lambda col: pa.array([v[:n] for v in table[col].to_pylist()], type=table.schema.field(col).type)
    table = table.set_column(table.schema.get_field_index("inputs"), "inputs", cut("inputs"))
    return table.set_column(table.schema.get_field_index("outputs"), "outputs", cut("outputs"))

# Snappy, as compnet writes: a binary built before 2026-12-02 cannot read zstd.
write = lambda table, path: pq.write_table(table, path, compression="snappy")
write(first_pairs(rows, train_pairs) if train_pairs else rows, ".gpu/exestack/train.parquet")
write(first_pairs(rows, 256), ".gpu/exestack/eval-train.parquet")
write(val, ".gpu/exestack/val.parquet")
if test_programs:
    names = sorted(set(held_out["name"].to_pylist()))
    keep = random.Random(test_seed).sample(names, min(test_programs, len(names)))
    held_out = held_out.filter(pc.is_in(held_out["name"], pa.array(keep)))
write(held_out, ".gpu/exestack/test.parquet")
open(".gpu/exestack/programs.txt", "w").write(f"{rows.num_rows}\n")
print(f"{rows.num_rows} training programs, {val.num_rows // 2} validating, "
      f"{held_out.num_rows // 2} held out")
PY
du -sh .gpu/exestack/*
