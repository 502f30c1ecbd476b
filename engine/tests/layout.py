"""A test project laid out unlike the study, written from Python so that tests can edit it.

    proj/
      pipeline.yml          settings.paths: code [lib], data inputs, book chapters
      analysis/clean.py     notebook outside notebooks/, with magics; imports helper.py beside it and mylib.stats
      analysis/helper.py
      analysis/other.py     notebook importing only the standard library
      reports/summary.py    reads clean's output table
      lib/mylib/__init__.py, stats.py, unused.py
      inputs/raw.csv, inputs/other.csv    data outside data/
      chapters/intro.md, chapters/more.md pages outside book/
      _toc.yml, _config.yml
"""
from __future__ import annotations

import json
from pathlib import Path

from reprobook import manifest as mf
from reprobook.hashing import content_sha256

PIPELINE = """\
settings:
  paths: {data: inputs, book: chapters, code: [lib], bibliography: refs.bib}
  timeout: 120
jobs:
  clean:
    notebook: analysis/clean.py
    parameters: {factor: 2, labels: {a: first, b: second}}
    inputs: [inputs/raw.csv]
    outputs:
      tables: [clean]
      values: [total]
  other:
    notebook: analysis/other.py
    inputs: [inputs/other.csv]
    outputs:
      tables: [other]
  summary:
    notebook: reports/summary.py
    inputs: [results/tables/clean.csv]
    outputs:
      tables: [summary]
"""

CLEAN = '''\
# %% [markdown]
# Cleans the raw table.

# %% tags=["parameters"]
factor = 1
labels = {"a": "x", "b": "y"}

# %%
%matplotlib inline
import csv
from helper import double
from mylib import stats
from reprobook import nb

rows = list(csv.DictReader(open(nb.input_path("inputs/raw.csv"))))
values = [double(float(r["value"])) * factor for r in rows]
out = nb.output_dir() / "tables"
out.mkdir(parents=True, exist_ok=True)
(out / "clean.csv").write_text("group,value\\n" + "".join(f"{labels.get(r['group'], r['group'])},{v}\\n" for r, v in zip(rows, values)))
nb.save_value("total", stats.total(values), decimals=1)
'''

HELPER = "def double(x):\n    return 2 * x\n"

OTHER = '''\
# %%
import csv
from reprobook import nb

rows = list(csv.DictReader(open(nb.input_path("inputs/other.csv"))))
out = nb.output_dir() / "tables"
out.mkdir(parents=True, exist_ok=True)
(out / "other.csv").write_text("n\\n" + f"{len(rows)}\\n")
'''

SUMMARY = '''\
# %%
!echo summarising
from reprobook import nb

text = nb.input_path("results/tables/clean.csv").read_text()
out = nb.output_dir() / "tables"
out.mkdir(parents=True, exist_ok=True)
(out / "summary.csv").write_text("rows\\n" + f"{len(text.splitlines()) - 1}\\n")
'''

FILES = {
    "pipeline.yml": PIPELINE,
    "analysis/clean.py": CLEAN,
    "analysis/helper.py": HELPER,
    "analysis/other.py": OTHER,
    "reports/summary.py": SUMMARY,
    "lib/mylib/__init__.py": "",
    "lib/mylib/stats.py": "from .rounding import tidy\n\n\ndef total(xs):\n    return tidy(sum(xs))\n",
    "lib/mylib/rounding.py": "def tidy(x):\n    return round(x, 6)\n",
    "lib/mylib/unused.py": "X = 1\n",
    "inputs/raw.csv": "group,value\na,1\nb,2\n",
    "inputs/other.csv": "n\n1\n2\n3\n",
    "chapters/intro.md": "# Intro\n\nThe total is {value}`total`.\n",
    "chapters/more.md": "# More\n\n```{result-table} summary\n:caption: Summary.\n```\n",
    "_toc.yml": "format: jb-book\nroot: chapters/intro\nchapters:\n  - file: chapters/more\n",
    "_config.yml": ("title: Layout\nauthor: Tests\nonly_build_toc_files: true\nexecute:\n  execute_notebooks: 'off'\n"
                    "exclude_patterns: ['_build', 'results', 'inputs', 'analysis', 'reports', 'lib']\n"
                    "sphinx:\n  extra_extensions: [reprobook.sphinxext]\n"),
}

# Which jobs each edit must make stale (besides the book).
EDITS = {
    "inputs/raw.csv": {"clean", "summary"},
    "inputs/other.csv": {"other"},
    "analysis/helper.py": {"clean", "summary"},
    "lib/mylib/stats.py": {"clean", "summary"},
    "lib/mylib/rounding.py": {"clean", "summary"},
    "lib/mylib/unused.py": set(),
    "analysis/clean.py": {"clean", "summary"},
    "reports/summary.py": {"summary"},
    "chapters/more.md": set(),
}


def write(root: Path) -> Path:
    for rel, text in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def edit(root: Path, rel: str, n: int = 1) -> None:
    """Change a file's content the way a user would (a code line, a row, a sentence)."""
    p = root / rel
    text = p.read_text(encoding="utf-8")
    if rel.endswith(".csv"):
        p.write_text(text + f"z,{n}\n" if "group" in text else text + f"{n}\n", encoding="utf-8")
    elif rel.endswith(".md"):
        p.write_text(text + f"\nA sentence {n}.\n", encoding="utf-8")
    else:
        p.write_text(text + f"\n_EDIT_{n} = {n}\n", encoding="utf-8")


def accept(paths, plan) -> None:
    """Write the record as a successful build of `plan` would (every artifact present and recorded),
    without executing notebooks: for tests of the oracle itself."""
    results = paths.results
    (results / "tables").mkdir(parents=True, exist_ok=True)
    artifacts, jobs, values = [], {}, {}
    for jp in plan.jobs:
        jobs[jp.job.name] = {**jp.record, "key": jp.key}
        for rel in jp.job.artifact_paths():
            f = paths.root / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(f"{jp.key}\n", encoding="utf-8")
            artifacts.append({"path": rel, "kind": "table", "name": f.stem, "sha256": content_sha256(f), "job": jp.job.name})
        for v in jp.job.values:
            values[v] = {"value": 1, "display": "1"}
            artifacts.append({"path": f"results/values.json#{v}", "kind": "value", "name": v,
                              "sha256": mf.value_sha(values[v]), "job": jp.job.name})
    (results / "values.json").write_text(json.dumps(values), encoding="utf-8")
    (results / "manifest.json").write_text(mf.dumps({"format": mf.FORMAT, "jobs": jobs, "artifacts": artifacts,
                                                      "environment": {}}), encoding="utf-8")
