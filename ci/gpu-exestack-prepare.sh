#!/usr/bin/env bash
# Cuts an ExeStack build to what the GPU jobs read, small enough to carry beside the binary
# (64 MiB in all): .gpu/exestack/
#   train.parquet  the training programs' `train` rows (CompNet training, PTS, FOMAML read only these)
#   val.parquet    the validation programs' `test` rows (CompNet validation reads only these)
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
python3 - "$src" "$val_src" <<'PY'
import sys, pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
src, val_src = sys.argv[1], sys.argv[2]
train = pq.read_table(f"{val_src}/train.parquet")
val = pq.read_table(f"{val_src}/test.parquet")
held_out = pq.read_table(f"{src}/test.parquet")
rows = train.filter(pc.equal(train["split"], "train"))
pq.write_table(rows, ".gpu/exestack/train.parquet")
first = lambda col: pa.array([v[:256] for v in rows[col].to_pylist()], type=rows.schema.field(col).type)
cut = rows.set_column(rows.schema.get_field_index("inputs"), "inputs", first("inputs"))
cut = cut.set_column(cut.schema.get_field_index("outputs"), "outputs", first("outputs"))
pq.write_table(cut, ".gpu/exestack/eval-train.parquet")
pq.write_table(val.filter(pc.equal(val["split"], "test")), ".gpu/exestack/val.parquet")
pq.write_table(held_out, ".gpu/exestack/test.parquet")
open(".gpu/exestack/programs.txt", "w").write(f"{rows.num_rows}\n")
print(f"{rows.num_rows} training programs, {val.num_rows // 2} validating, "
      f"{held_out.num_rows // 2} held out")
PY
du -sh .gpu/exestack/*
