"""The record: results/manifest.json describes every artifact and how it was made.

    {"format": 2,
     "environment": {"python", "implementation", "packages": {name: version}},  # what the kernels ran in
     "jobs": {name: {"key", "notebook", "notebook_sha256", "parameters", "parameters_sha256",
                     "inputs": {path: sha256 | "job:<key>"}, "code": {path: sha256}, "environment_sha256"}},
     "artifacts": [{"path", "kind" (table|figure|notebook|value|claim), "name", "sha256", "job", "notebook",
                    "parameters", "inputs",
                    "cell" (the cell of results/notebooks/<job>.ipynb that saved it, e.g. "cell-8"),
                    "rows" (values only: {input file: [primary keys of the data rows that fed it]})}, ...]}

Kind `notebook` is the job's executed notebook, made deterministic (reprobook.provenance): the
book shows it as a page and links every table, figure and value to the cell that saved it.

Nothing run-specific (times, hosts, paths of this machine) is recorded, so that the manifest is
byte-reproducible; run facts go to `_build/run.json`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .hashing import canonical_json, sha256_bytes

FORMAT = 2


def read(path: Path) -> dict[str, Any]:
    """The manifest at `path`, or {} when it is missing or unreadable."""
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}


def dumps(obj: dict[str, Any]) -> str:
    """The one JSON layout of the record's files: sorted keys, two-space indent, UTF-8, final newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def value_sha(entry: Any) -> str:
    """sha256 of one value's (or claim's) entry, as recorded in the manifest."""
    return sha256_bytes(canonical_json(entry))


def artifacts_by_path(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["path"]: a for a in manifest.get("artifacts", [])}
