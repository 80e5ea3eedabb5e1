#!/usr/bin/env bash
# Prepares the data `compnet eval` needs on the GPU machine, small enough to carry (64 MiB with
# the binary): the ParrotBench Parquet files cut to 2,048 training and 1,024 test pairs per program
# (evenly spaced; the protocol uses 1,024 training pairs of each program), and the scikit-image
# wheel whose photographs the colour-quantization application uses. Writes .gpu/eval/.
# Run: ci/gpu-eval-prepare.sh (after `compnet dataset parrot`); then on the GPU machine:
#   ci/gpu-eval.sh (with .gpu/exestack/ from ci/gpu-exestack-prepare.sh), or by hand:
#   ci/gpu-job.sh eval --device cuda --exestack .gpu/exestack/test.parquet \
#     --train .gpu/exestack/train.parquet --parrot-data .gpu/eval/parrot --cache .gpu/eval/cache --out $OUT/eval
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu/eval/parrot .gpu/eval/cache
cp "${COMPNET_CACHE:-$HOME/.cache/compnet}"/scikit_image-*.whl .gpu/eval/cache/
python3 - <<'PY'
import pathlib, pyarrow as pa, pyarrow.parquet as pq
keep = {"train": 2048, "test": 1024}
for src in sorted(pathlib.Path("data/parrot").glob("*.parquet")):
    t = pq.read_table(src)
    rows = t.to_pylist()
    for r in rows:
        n = len(r["inputs"])
        k = min(keep.get(r["split"], n), n)
        idx = [i * n // k for i in range(k)]
        r["inputs"] = [r["inputs"][i] for i in idx]
        r["outputs"] = [r["outputs"][i] for i in idx]
    out = pathlib.Path(".gpu/eval/parrot") / src.name
    pq.write_table(pa.Table.from_pylist(rows, schema=t.schema), out)
    print(f"{src.name}: {src.stat().st_size / 1e6:.1f} MB -> {out.stat().st_size / 1e6:.2f} MB")
PY
du -sh .gpu/eval
