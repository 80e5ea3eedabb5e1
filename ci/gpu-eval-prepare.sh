#!/usr/bin/env bash
# Prepares the data `compnet eval` needs on the GPU machine, small enough to carry (64 MiB with
# the binary): the ParrotBench Parquet files with every training pair (the protocol's data sizes
# are shares of a program's whole training set: 0.1 % of sobel's 262,144 is 262 pairs) and 1,024
# test pairs per program (evenly spaced, ⌊i·n/k⌋, as the eval takes them), and the photographs of the
# scikit-image wheel that the colour-quantization application uses, repacked without the rest of
# the wheel. Writes .gpu/eval/.
# Run: ci/gpu-eval-prepare.sh (after `compnet dataset parrot`); then on the GPU machine:
#   ci/gpu-eval.sh (with .gpu/exestack/ from ci/gpu-exestack-prepare.sh), or by hand:
#   ci/gpu-job.sh eval --device cuda --exestack .gpu/exestack/test.parquet \
#     --train .gpu/exestack/train.parquet --parrot-data .gpu/eval/parrot --cache .gpu/eval/cache --out $OUT/eval
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu/eval/parrot .gpu/eval/cache
python3 - "${COMPNET_CACHE:-$HOME/.cache/compnet}" <<'PY'
import pathlib, sys, zipfile
# The same file name, holding only the three photographs the reader takes from it (a zip).
for wheel in pathlib.Path(sys.argv[1]).glob("scikit_image-*.whl"):
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(f".gpu/eval/cache/{wheel.name}", "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            if info.filename in ("skimage/data/astronaut.png", "skimage/data/coffee.png", "skimage/data/chelsea.png"):
                dst.writestr(info, src.read(info))
PY
python3 - <<'PY'
import pathlib, pyarrow as pa, pyarrow.parquet as pq
keep = {"test": 1024}
# jmeint (100,000 random triangle pairs, 12 MB) is left out: `compnet eval` builds a missing
# program's data itself, and jmeint's needs no photograph.
for src in sorted(p for p in pathlib.Path("data/parrot").glob("*.parquet") if p.stem != "jmeint"):
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
