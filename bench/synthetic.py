"""A synthetic reprobook project of N small notebooks, for the status and scale rows of the bench.

Each job reads its own small CSV (seeded), aggregates it with pandas and saves a table and a
value; one more data file, a larger table listed in the data package, shows what a data edit
costs when validation re-checks files that did not change. Same arguments, same bytes.

    .venv/bin/python bench/synthetic.py DEST --n 200
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

NOTEBOOK = '''# %% tags=["parameters"]
scale = 1.0

# %%
import pandas as pd
from reprobook import nb

df = pd.read_csv(nb.input_path("data/{name}.csv"))
table = df.assign(x=df["x"] * scale).groupby("group", as_index=False).agg(n=("x", "size"), x_sum=("x", "sum"))
nb.save_table("{name}_totals", table, decimals=3)
nb.save_value("{name}_n", len(df), decimals=0)
'''

CONFIG = '''title: Synthetic project
author: bench
only_build_toc_files: true
exclude_patterns: [".*", "**/.*", ".venv", "_build", "results", "notebooks", "data"]
execute:
  execute_notebooks: "off"
sphinx:
  extra_extensions: [reprobook.sphinxext]
'''

INDEX = "# Synthetic project\n\nThe first job read {value}`job_000_n` rows.\n"
SCHEMA = {"fields": [{"name": "group", "type": "string"}, {"name": "x", "type": "number"}]}


def name(i: int) -> str:
    return f"job_{i:03d}"


def csv_rows(rng: random.Random, rows: int) -> str:
    return "group,x\n" + "".join(f"g{rng.randrange(5)},{rng.uniform(0, 100):.3f}\n" for _ in range(rows))


def generate(dest: Path, n: int, large_rows: int = 200_000, seed: int = 17) -> Path:
    """Write a project with `n` jobs into `dest` (created); returns `dest`."""
    rng = random.Random(seed)
    files = {"_config.yml": CONFIG, "_toc.yml": "format: jb-book\nroot: book/index\n", "book/index.md": INDEX,
             "data/schemas/xy.schema.json": json.dumps(SCHEMA, indent=2),
             "data/large.csv": csv_rows(rng, large_rows)}
    jobs = {}
    for i in range(n):
        files[f"data/{name(i)}.csv"] = csv_rows(rng, 50)
        files[f"notebooks/{name(i)}.py"] = NOTEBOOK.format(name=name(i))
        jobs[name(i)] = (f"  {name(i)}:\n    notebook: notebooks/{name(i)}.py\n    parameters: {{scale: 1.0}}\n"
                         f"    inputs: [data/{name(i)}.csv]\n    outputs:\n"
                         f"      tables: {{{name(i)}_totals: {{key: [group]}}}}\n      values: [{name(i)}_n]\n")
    files["pipeline.yml"] = "jobs:\n" + "".join(jobs.values())
    resources = [{"name": f.removesuffix(".csv").replace("/", "_").removeprefix("data_"), "path": f.removeprefix("data/"),
                  "schema": "schemas/xy.schema.json"} for f in sorted(files) if f.endswith(".csv")]
    files["data/datapackage.json"] = json.dumps({"name": "synthetic", "resources": resources}, indent=2)
    for rel, text in files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text, encoding="utf-8")
    return dest


def change_input(project: Path, i: int, run: int) -> str:
    """Change one value of job i's input (a different value on each run); returns the file changed."""
    rel = f"data/{name(i)}.csv"
    lines = (project / rel).read_text(encoding="utf-8").splitlines()
    group, _ = lines[1].split(",")
    lines[1] = f"{group},{1000 + run}.000"
    (project / rel).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rel


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    generate(args.dest, args.n)
    print(f"wrote {args.dest}: {args.n} jobs")
