#!/usr/bin/env python3
"""Checks compnet ONNX files with the reference tools: onnx's checker and onnxruntime.

Usage: python3 ci/onnx_check.py [--relative TOL] DIR

DIR holds `NAME.onnx` files, each with a sibling `NAME.json`:
    {"inputs": [[x00, x01, ...], ...], "outputs": [[y00, ...], ...]}
(`batch` rows, as many as the model's fixed input shape [batch, n_in]), where `outputs` are what the
compnet runtime's kernel computed for those inputs.

For every file: `onnx.checker.check_model(model, full_check=True)` (structure, opset, shape
inference), the compnet metadata keys and producer are present, and onnxruntime's outputs are
within the bound of the stored ones: 1e-5 absolute for f32 weights and for f16 weights alike (an
f16 graph casts its weights to f32 before use, so onnxruntime computes the same f32 arithmetic as
the kernel on the same widened weights; only summation order and exp/tanh differ, a few ulps).

With `--relative TOL` the bound is instead TOL * max(1, |stored output|) per value, for stored
outputs that come from an f64 reference rather than from the runtime.

Needs `pip install onnx onnxruntime` (numpy comes with them). Exits 0 when every file passes,
1 when any fails, 2 on bad usage.
"""

import json
import pathlib
import sys

import numpy as np
import onnx
import onnxruntime as ort

BOUND = {"f32": 1e-5, "f16": 1e-5}
KEYS = [
    "compnet.program",
    "compnet.signature",
    "compnet.input_domain",
    "compnet.source_hash",
    "compnet.export_error",
    "compnet.precision",
]


def check(path: pathlib.Path, relative: float | None) -> str:
    """Checks one model; returns a one-line summary, raises on failure."""
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    if model.producer_name != "compnet":
        raise AssertionError(f"producer_name is {model.producer_name!r}, expected 'compnet'")
    meta = {p.key: p.value for p in model.metadata_props}
    missing = [k for k in KEYS if k not in meta]
    if missing:
        raise AssertionError(f"metadata keys missing: {missing}")
    json.loads(meta["compnet.input_domain"])  # must be JSON
    precision = meta["compnet.precision"]
    if precision not in BOUND:
        raise AssertionError(f"compnet.precision is {precision!r}")

    case = json.loads(path.with_suffix(".json").read_text())
    x = np.asarray(case["inputs"], dtype=np.float32)
    expected = np.asarray(case["outputs"], dtype=np.float64)
    session = ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    y = session.run(None, {name: x})[0]
    if y.shape != expected.shape:
        raise AssertionError(f"onnxruntime output shape {y.shape}, stored outputs {expected.shape}")
    diff = np.abs(y.astype(np.float64) - expected)
    if relative is not None:
        diff = diff / np.maximum(1.0, np.abs(expected))
    bound = BOUND[precision] if relative is None else relative
    worst = float(np.max(diff)) if diff.size else 0.0
    if not np.all(np.isfinite(diff)) or worst > bound:
        kind = "relative " if relative is not None else ""
        raise AssertionError(f"max {kind}|onnxruntime - stored| = {worst:.3e} > {bound:.0e} ({precision})")
    return (
        f"{path.name}: checker ok (opset {model.opset_import[0].version}, IR {model.ir_version}), "
        f"{precision}, {x.shape[0]}x{x.shape[1]} -> {y.shape[1]}, max |onnxruntime - runtime| = {worst:.3e}"
    )


def main(argv: list[str]) -> int:
    relative = None
    if len(argv) == 4 and argv[1] == "--relative":
        relative = float(argv[2])
        argv = [argv[0], argv[3]]
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    folder = pathlib.Path(argv[1])
    files = sorted(folder.glob("*.onnx"))
    if not files:
        print(f"onnx_check: no .onnx files in {folder}", file=sys.stderr)
        return 2
    failed = 0
    for path in files:
        try:
            print(check(path, relative))
        except Exception as e:  # one bad file does not hide the others
            failed += 1
            print(f"{path.name}: FAILED: {type(e).__name__}: {e}")
    print(f"onnx_check: {len(files) - failed} of {len(files)} files ok (onnx {onnx.__version__}, onnxruntime {ort.__version__})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
