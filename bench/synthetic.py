"""Synthetic reprobook projects for the scale benchmark.

A project has N small jobs (one notebook each: read its own small CSV, aggregate, save a table
and a value) and one large job that aggregates a trade-like table of a few million rows
(reporter, partner, year, flow, value; ~95 MB of CSV). Everything is seeded, so two calls
with the same arguments write byte-identical projects.

    python bench/synthetic.py DEST --n 50 [--big-rows 3000000] [--big-csv EXISTING.csv]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20261125
GROUPS = ("g0", "g1", "g2", "g3", "g4")
BIG_REL = "data/big/trade_large.csv"
SMALL_SCHEMA = "schemas/small.schema.json"
BIG_SCHEMA = "schemas/trade_large.schema.json"

# the large table has fixed-width records, so numpy writes it as one byte matrix:
# "R07,P123,2004,export,123456789\n" = 31 bytes per row
REPORTERS, PARTNERS, YEARS = 60, 240, (1995, 2024)
VALUE_DIGITS = 9


@dataclass(frozen=True)
class SyntheticSpec:
    n_small: int
    small_rows: int = 200
    big_rows: int = 3_000_000
    seed: int = SEED
    validate_big: bool = False  # list the large table in data/datapackage.json (validated on each data change)

    def small_name(self, i: int) -> str:
        return f"small_{i:03d}"


# --- the large table ------------------------------------------------------------------------------

def _digits(out: np.ndarray, col: int, numbers: np.ndarray, width: int) -> None:
    """Write `numbers` as zero-padded decimal digits into out[:, col:col + width]."""
    for k in range(width):
        out[:, col + width - 1 - k] = 48 + (numbers // 10 ** k) % 10


def write_big_table(path: Path, rows: int, seed: int = SEED, chunk: int = 1_000_000) -> int:
    """Write the trade-like table in chunks of fixed-width records; return its size in bytes."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    width = 31
    with open(path, "wb") as fh:
        fh.write(b"reporter,partner,year,flow,value\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            rec = np.empty((n, width), dtype=np.uint8)
            rec[:, 0] = ord("R")
            _digits(rec, 1, rng.integers(0, REPORTERS, n), 2)
            rec[:, 3] = ord(",")
            rec[:, 4] = ord("P")
            _digits(rec, 5, rng.integers(0, PARTNERS, n), 3)
            rec[:, 8] = ord(",")
            _digits(rec, 9, rng.integers(YEARS[0], YEARS[1] + 1, n), 4)
            rec[:, 13] = ord(",")
            flows = np.frombuffer(b"exportimport", dtype=np.uint8).reshape(2, 6)
            rec[:, 14:20] = flows[rng.integers(0, 2, n)]
            rec[:, 20] = ord(",")
            _digits(rec, 21, rng.integers(10 ** (VALUE_DIGITS - 1), 10 ** VALUE_DIGITS, n), VALUE_DIGITS)
            rec[:, 30] = ord("\n")
            fh.write(rec.tobytes())
    return path.stat().st_size


# --- project files ----------------------------------------------------------------------------------

SMALL_NOTEBOOK = '''# %% [markdown]
# # Synthetic job {name}: mean and total of x by group

# %% tags=["parameters"]
scale = 1.0

# %%
import pandas as pd
from reprobook import nb

df = pd.read_csv(nb.input_path("data/small/{name}.csv"))
table = (df.assign(x=df["x"] * scale).groupby("group", as_index=False)
         .agg(n=("x", "size"), x_mean=("x", "mean"), y_total=("y", "sum")).sort_values("group"))
nb.save_table("{name}_summary", table, decimals={{"x_mean": 3}})
nb.save_value("{name}_total", int(df["y"].sum()), decimals=0)
'''

BIG_NOTEBOOK = '''# %% [markdown]
# # Synthetic large job: totals of a trade-like table by reporter, year and flow

# %% tags=["parameters"]
min_year = 1995

# %%
import pandas as pd
from reprobook import nb

df = pd.read_csv(nb.input_path("{rel}"), dtype={{"reporter": "category", "partner": "category", "flow": "category"}})
df = df[df["year"] >= min_year]
totals = (df.groupby(["reporter", "year", "flow"], as_index=False, observed=True)["value"].sum()
          .sort_values(["reporter", "year", "flow"]))
nb.save_table("trade_large_totals", totals)
nb.save_value("trade_large_rows", len(df), decimals=0)
'''

BOOK_INDEX = '''# Synthetic book

The large table has {value}`trade_large_rows` rows; the first small job counts {value}`small_000_total`.

```{result-table} small_000_summary
:caption: The first small job's summary.
:name: tbl-small-000
```
'''

CONFIG = '''title: Synthetic reprobook project
author: bench
only_build_toc_files: true
exclude_patterns: [".*", "**/.*", ".venv", "_build", "results", "notebooks", "data", "src"]
execute:
  execute_notebooks: "off"
sphinx:
  extra_extensions:
    - reprobook.sphinxext
  config:
    numfig: true
'''

TOC = "format: jb-book\nroot: book/index\n"


def _schema(fields: list[tuple[str, str]], title: str) -> dict:
    return {"title": title, "fields": [{"name": n, "type": t, "constraints": {"required": True}} for n, t in fields]}


def small_csv(rows: int, rng: np.random.Generator) -> str:
    groups = rng.integers(0, len(GROUPS), rows)
    x = rng.normal(10.0, 2.0, rows)
    y = rng.integers(0, 1000, rows)
    lines = ["group,x,y"] + [f"{GROUPS[g]},{xv:.3f},{yv}" for g, xv, yv in zip(groups, x, y)]
    return "\n".join(lines) + "\n"


def pipeline_yaml(spec: SyntheticSpec) -> str:
    lines = ["jobs:"]
    for i in range(spec.n_small):
        name = spec.small_name(i)
        lines += [f"  {name}:", f"    notebook: notebooks/{name}.py", "    parameters: {scale: 1.0}",
                  f"    inputs: [data/small/{name}.csv]", "    outputs:",
                  f"      tables: {{{name}_summary: {{key: [group]}}}}", f"      values: [{name}_total]"]
    lines += ["  trade_large:", "    notebook: notebooks/trade_large.py", "    parameters: {min_year: 1995}",
              f"    inputs: [{BIG_REL}]", "    outputs:",
              "      tables: {trade_large_totals: {key: [reporter, year, flow]}}", "      values: [trade_large_rows]"]
    return "\n".join(lines) + "\n"


def datapackage(spec: SyntheticSpec) -> dict:
    res = [{"name": spec.small_name(i), "path": f"small/{spec.small_name(i)}.csv", "schema": SMALL_SCHEMA}
           for i in range(spec.n_small)]
    if spec.validate_big:
        res.append({"name": "trade_large", "path": "big/trade_large.csv", "schema": BIG_SCHEMA})
    return {"name": "synthetic", "resources": res}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def generate(dest: Path, spec: SyntheticSpec, big_csv: Path | None = None) -> Path:
    """Write a complete project into `dest` (which must not exist). `big_csv`: reuse an existing
    large table (hard-linked when possible: the engine only reads data/), else write it."""
    dest.mkdir(parents=True)
    rng = np.random.default_rng(spec.seed)
    for i in range(spec.n_small):
        name = spec.small_name(i)
        _write(dest / "data" / "small" / f"{name}.csv", small_csv(spec.small_rows, rng))
        _write(dest / "notebooks" / f"{name}.py", SMALL_NOTEBOOK.format(name=name))
    big = dest / BIG_REL
    if big_csv is None:
        write_big_table(big, spec.big_rows, spec.seed)
    else:
        big.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(big_csv, big)
        except OSError:
            shutil.copyfile(big_csv, big)
    _write(dest / "notebooks" / "trade_large.py", BIG_NOTEBOOK.format(rel=BIG_REL))
    _write(dest / "data" / SMALL_SCHEMA, json.dumps(_schema([("group", "string"), ("x", "number"), ("y", "integer")],
                                                            "Small synthetic input"), indent=2))
    _write(dest / "data" / BIG_SCHEMA, json.dumps(_schema([("reporter", "string"), ("partner", "string"), ("year", "integer"),
                                                          ("flow", "string"), ("value", "integer")],
                                                         "Large synthetic trade table"), indent=2))
    _write(dest / "data" / "datapackage.json", json.dumps(datapackage(spec), indent=2))
    _write(dest / "pipeline.yml", pipeline_yaml(spec))
    _write(dest / "_config.yml", CONFIG)
    _write(dest / "_toc.yml", TOC)
    _write(dest / "book" / "index.md", BOOK_INDEX)
    return dest


def change_small_input(project: Path, spec: SyntheticSpec, i: int, run: int) -> str:
    """Change one value of job i's input (a different value per run); return the changed file."""
    rel = f"data/small/{spec.small_name(i)}.csv"
    path = project / rel
    lines = path.read_text(encoding="utf-8").splitlines()
    group, x, y = lines[1].split(",")
    lines[1] = f"{group},{x},{int(y) + 1 + run}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--n", type=int, default=10, help="number of small notebooks")
    ap.add_argument("--big-rows", type=int, default=3_000_000)
    ap.add_argument("--big-csv", type=Path, help="reuse this large table instead of writing one")
    ap.add_argument("--validate-big", action="store_true", help="list the large table in datapackage.json")
    args = ap.parse_args()
    spec = SyntheticSpec(args.n, big_rows=args.big_rows, validate_big=args.validate_big)
    generate(args.dest, spec, args.big_csv)
    print(f"wrote {args.dest} ({args.n} small jobs + 1 large job)")


if __name__ == "__main__":
    main()
