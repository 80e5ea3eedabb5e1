#!/usr/bin/env bash
# Cuts an ExeStack split (default data/exestack-cpn, from `compnet dataset split`) to what the GPU
# jobs read, small enough to carry beside the binary (64 MiB in all): .gpu/exestack/
#   train.parquet  the training programs' `train` rows (CompNet training, PTS, FOMAML read only these)
#   val.parquet    the held-out programs' `test` rows (CompNet validation reads only these)
#   test.parquet   the held-out programs, both rows (compnet eval: finetuning and test pairs)
#   programs.txt   the number of training programs (ci/gpu-train.sh sizes its schedule with it)
# Carry train + val to a training job (ci/gpu-train.sh), train + test to an eval job (ci/gpu-eval.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-data/exestack-cpn}
mkdir -p .gpu/exestack
python3 - "$src" <<'PY'
import sys, pyarrow.compute as pc, pyarrow.parquet as pq
src = sys.argv[1]
train = pq.read_table(f"{src}/train.parquet")
test = pq.read_table(f"{src}/test.parquet")
rows = train.filter(pc.equal(train["split"], "train"))
pq.write_table(rows, ".gpu/exestack/train.parquet")
pq.write_table(test.filter(pc.equal(test["split"], "test")), ".gpu/exestack/val.parquet")
pq.write_table(test, ".gpu/exestack/test.parquet")
open(".gpu/exestack/programs.txt", "w").write(f"{rows.num_rows}\n")
print(f"{rows.num_rows} training programs, {test.num_rows // 2} held out")
PY
du -sh .gpu/exestack/*
