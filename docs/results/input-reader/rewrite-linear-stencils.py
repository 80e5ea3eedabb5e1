#!/usr/bin/env python3
"""The linear stencils of a `compnet dataset synthetic --kernels --kinds stencil` build, twice:
as generated (IN/imp/: weights of ±1 unwritten, signs from grouping) and with the one sum
rewritten so that every input's weight is a literal beside it (IN/exp/: `1.0f * x0 - 2.0f * x3
…`). The function, its pairs and every other line stay as they are; each rewrite is checked
against the original at a random point.

    python3 rewrite-linear-stencils.py /tmp/lin    # reads /tmp/lin/{train,test}.parquet
"""
import os
import random
import re
import sys

import pyarrow as pa
import pyarrow.parquet as pq

LINEAR = re.compile(r"mag = ([0-9.]+f? \* )?gx;")
SUM = re.compile(r"^(\s*)(float|double) gx = (.*);$", re.M)


def python(expr):
    """The C expression as Python: float suffixes dropped."""
    return re.sub(r"(\d+\.\d*)f", r"\1", expr)


def explicit(source):
    m = SUM.search(source)
    indent, ty, expr = m.group(1), m.group(2), m.group(3)
    params = re.search(r"\((.*)\)", source.split("{")[0]).group(1)
    names = [p.split()[-1] for p in params.split(",")]
    weights = [eval(python(expr), {}, {k: float(k == n) for k in names}) for n in names]
    suffix = "f" if ty == "float" else ""
    text = ""
    for w, n in zip(weights, names):
        if w == 0:
            continue
        term = f"{abs(w):.1f}{suffix} * {n}"
        text += (f"-{term}" if w < 0 else term) if not text else (f" - {term}" if w < 0 else f" + {term}")
    point = {k: random.uniform(-1, 1) for k in names}
    assert abs(eval(python(expr), {}, point) - eval(python(text), {}, point)) < 1e-9, (expr, text)
    return source.replace(m.group(0), f"{indent}{ty} gx = {text};")


def main(root):
    for folder in ["imp", "exp"]:
        os.makedirs(f"{root}/{folder}", exist_ok=True)
    for split in ["train", "test"]:
        table = pq.read_table(f"{root}/{split}.parquet")
        keep = [i for i, s in enumerate(table.column("source").to_pylist()) if "gy" not in s and LINEAR.search(s)]
        linear = table.take(pa.array(keep))
        pq.write_table(linear, f"{root}/imp/{split}.parquet")
        rewritten = [explicit(s) for s in linear.column("source").to_pylist()]
        at = linear.schema.get_field_index("source")
        column = pa.array(rewritten, type=linear.schema.field("source").type)
        pq.write_table(linear.set_column(at, "source", column), f"{root}/exp/{split}.parquet")
        print(split, len(keep), "rows")


if __name__ == "__main__":
    main(sys.argv[1])
