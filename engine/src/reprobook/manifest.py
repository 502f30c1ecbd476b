"""The record: results/manifest.json describes every artifact and how it was made."""
from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .hashing import canonical_json, sha256_bytes

FORMAT = 1
KEY_PACKAGES = ("pandas", "numpy", "matplotlib", "papermill", "jupytext", "ipykernel", "jupyter-book", "sphinx")


def environment() -> dict[str, Any]:
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": sys.version.split()[0], "packages": versions}


def read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}


def dumps(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def value_sha(entry: Any) -> str:
    return sha256_bytes(canonical_json(entry))


def artifacts_by_path(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["path"]: a for a in manifest.get("artifacts", [])}
