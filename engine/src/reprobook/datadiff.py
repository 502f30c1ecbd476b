"""Data rows that changed between two versions of a data file, by primary key.

The primary key comes from the file's schema in the data package (Frictionless Table Schema,
``primaryKey``); a file without one is compared row by row (by position). Pure functions over
file texts; the impact report (reprobook.impact) reads the old version from git.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any


@dataclass(frozen=True)
class RowChange:
    """One data row that changed: its key (column -> value), how, and the cells involved:
    (column, old, new) for a changed row; every cell, with old or new empty, for a row added or
    removed."""

    key: tuple[tuple[str, str], ...]
    change: str  # changed | added | removed
    cells: tuple[tuple[str, str, str], ...]

    @property
    def key_text(self) -> str:
        return ", ".join(v for _, v in self.key)


@dataclass
class RowsDiff:
    primary_key: list[str]
    rows: list[RowChange] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)


def primary_keys(datapackage: Path, root: Path) -> dict[str, list[str]]:
    """Data file (project-relative path) -> its primary key columns, from the data package
    (schemas inline or by path; ``primaryKey`` a column or a list). {} without a data package;
    a resource whose schema cannot be read is left out (the data check reports it)."""
    try:
        pkg = json.loads(datapackage.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    base = datapackage.parent
    out: dict[str, list[str]] = {}
    for res in pkg.get("resources", []) if isinstance(pkg, dict) else []:
        schema = res.get("schema")
        if isinstance(schema, str):
            try:
                schema = json.loads((base / schema).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError, UnicodeDecodeError):
                continue
        if not isinstance(schema, dict):
            continue
        pk = schema.get("primaryKey") or []
        pk = [pk] if isinstance(pk, str) else list(pk)
        paths = res.get("path")
        for rel in [paths] if isinstance(paths, str) else (paths or []):
            if "://" in rel:
                continue
            full = (base / PurePosixPath(rel)).resolve()
            try:
                out[full.relative_to(root.resolve()).as_posix()] = pk
            except ValueError:
                continue
    return out


def _read(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows = [r for r in rows if any(c.strip() for c in r)]
    return (rows[0], rows[1:]) if rows else ([], [])


def diff_rows(old_text: str, new_text: str, primary_key: list[str]) -> RowsDiff:
    """Rows changed, added and removed between two CSV texts, keyed by `primary_key` (by row
    number when the key is empty or its columns are missing), in the new file's order."""
    oh, orows = _read(old_text)
    nh, nrows = _read(new_text)
    key = [k for k in primary_key if k in oh and k in nh] if primary_key else []
    if len(key) != len(primary_key):
        key = []

    def keyed(header: list[str], rows: list[list[str]]) -> dict[tuple[tuple[str, str], ...], dict[str, str]]:
        out = {}
        for i, r in enumerate(rows):
            rec = dict(zip(header, r))
            k = tuple((c, rec.get(c, "")) for c in key) if key else (("row", str(i + 1)),)
            out[k] = rec
        return out

    o, n = keyed(oh, orows), keyed(nh, nrows)
    d = RowsDiff(key or ["row"], columns_added=[c for c in nh if c not in oh],
                 columns_removed=[c for c in oh if c not in nh])
    common = [c for c in nh if c in oh]
    for k, rec in n.items():
        if k not in o:
            d.rows.append(RowChange(k, "added", tuple((c, "", rec.get(c, "")) for c in nh)))
            continue
        cells = tuple((c, o[k].get(c, ""), rec.get(c, "")) for c in common if o[k].get(c, "") != rec.get(c, ""))
        if cells:
            d.rows.append(RowChange(k, "changed", cells))
    for k, rec in o.items():
        if k not in n:
            d.rows.append(RowChange(k, "removed", tuple((c, rec.get(c, ""), "") for c in oh)))
    return d


def text_of(data: bytes | None) -> str | None:
    """A data file's bytes as text with line ends normalised (None stays None; undecodable: None)."""
    if data is None:
        return None
    try:
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        return None


def key_tuple(change: RowChange) -> tuple[str, ...]:
    return tuple(v for _, v in change.key)


def describe_key(change: RowChange) -> dict[str, Any]:
    return dict(change.key)
