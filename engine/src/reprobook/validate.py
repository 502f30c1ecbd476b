"""Data validation against each file's schema (a subset of Frictionless Table Schema).

Every problem names the file, the row (line number, header = 1), the column, the rule and
what to do. All problems in all files are reported together.
"""
from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from .errors import DataError, Problem

MAX_PER_FILE = 40


def _p(rel: str, msg: str, rule: str, fix: str, row: int | None = None, col: str | None = None) -> Problem:
    return Problem(rel, msg, rule, row, col, fix)


def load_package(datapackage: Path, root: Path) -> list[dict[str, Any]]:
    rel = datapackage.relative_to(root).as_posix()
    if not datapackage.is_file():
        raise DataError(f"{rel} not found; it lists the data files and their schemas")
    try:
        pkg = json.loads(datapackage.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{rel} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    resources = []
    for i, res in enumerate(pkg.get("resources", [])):
        schema = res.get("schema")
        if isinstance(schema, str):
            spath = datapackage.parent / schema
            try:
                schema = json.loads(spath.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise DataError(f"{rel}: resource '{res.get('name')}' names schema {schema}, which does not exist") from None
            except json.JSONDecodeError as exc:
                raise DataError(f"{spath.relative_to(root)} is not valid JSON (line {exc.lineno}): {exc.msg}") from None
        resources.append({**res, "schema": schema, "_base": datapackage.parent})
    return resources


def _decode(raw: bytes, rel: str) -> tuple[str | None, list[Problem]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [_p(rel, f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                         "encoding", "save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8')", row=line)]
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, []


def _cast(value: str, field: dict[str, Any]) -> tuple[Any, str | None]:
    t = field.get("type", "string")
    if t == "integer":
        if re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value), None
        return None, f"'{value}' is not a whole number; write digits only, like 2024"
    if t == "number":
        if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value.strip()):
            return float(value), None
        hint = " (no thousands separators)" if "," in value else ""
        return None, f"'{value}' is not a number; write a plain number like 1234.5{hint}"
    if t == "boolean":
        if value in ("true", "false"):
            return value == "true", None
        return None, f"'{value}' is not a boolean; write true or false"
    return value, None


def validate_resource(res: dict[str, Any], root: Path, tables: dict[str, list[dict[str, Any]]]) -> list[Problem]:
    path = res["_base"] / res["path"]
    rel = path.relative_to(root).as_posix()
    schema = res["schema"]
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    if not path.is_file():
        return [_p(rel, "the file is missing", "file exists", f"restore {rel} (git checkout -- {rel}) or remove it from data/datapackage.json")]
    raw = path.read_bytes()
    if not raw.strip():
        return [_p(rel, "the file is empty", "not empty", f"restore the data; the header must be: {','.join(names)}")]
    text, problems = _decode(raw, rel)
    if text is None:
        return problems
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for record in reader:
            rows.append((reader.line_num, record))
    except csv.Error as exc:
        return [_p(rel, f"broken CSV: {exc} (often an unbalanced double quote)", "CSV syntax",
                   "close the quoted field or remove the stray \" character", row=reader.line_num + 1)]
    header = rows[0][1]
    if len(header) == 1 and len(names) > 1:
        for delim in (";", "\t", "|"):
            if delim in header[0]:
                return [_p(rel, f"the header is one column; the file seems to use {delim!r} between values",
                           "comma delimiter", "save the file with commas between values", row=1)]
    missing = [n for n in names if n not in header]
    extra = [h for h in header if h not in names]
    for m in missing:
        near = difflib.get_close_matches(m, extra, n=1, cutoff=0.6)
        if near:
            problems.append(_p(rel, f"column '{m}' is missing; found '{near[0]}' instead (renamed?)", "header",
                               f"rename the column '{near[0]}' back to '{m}'", row=1, col=near[0]))
            extra.remove(near[0])
        else:
            problems.append(_p(rel, f"column '{m}' is missing", "header", f"add the column '{m}' ({fields[names.index(m)].get('description', '')})".rstrip(" ()"), row=1, col=m))
    for e in extra:
        problems.append(_p(rel, f"column '{e}' is not in the schema", "header",
                           f"remove it, or add it to the schema with a type and description", row=1, col=e))
    if problems:
        return problems
    missing_values = set(schema.get("missingValues", [""]))
    pk = schema.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else pk
    seen_keys: dict[tuple, int] = {}
    uniques: dict[str, dict[Any, int]] = defaultdict(dict)
    typed_rows: list[dict[str, Any]] = []
    for line, record in rows[1:]:
        if record == []:
            continue
        if len(record) != len(header):
            problems.append(_p(rel, f"row has {len(record)} values, the header has {len(header)}"
                               + (" (truncated last line?)" if line == rows[-1][0] else ""),
                               "row length", "give every row one value per column (empty cells allowed)", row=line))
            continue
        typed: dict[str, Any] = {"_line": line}
        for h, cell in zip(header, record):
            f = fields[names.index(h)]
            c = f.get("constraints", {})
            if cell in missing_values:
                typed[h] = None
                if c.get("required"):
                    problems.append(_p(rel, "required value is empty", "required", f"fill in '{h}': {f.get('description', f.get('title', h))}", line, h))
                continue
            value, err = _cast(cell, f)
            if err:
                problems.append(_p(rel, err, f"type {f.get('type')}", "correct the value", line, h))
                typed[h] = None
                continue
            typed[h] = value
            if "enum" in c and value not in c["enum"]:
                near = difflib.get_close_matches(str(value), [str(x) for x in c["enum"]], n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                problems.append(_p(rel, f"'{value}' is not an allowed value{hint}", "enum",
                                   f"use one of: {', '.join(map(str, c['enum']))}; a new code must be added to the schema first", line, h))
            if "minimum" in c and isinstance(value, (int, float)) and value < c["minimum"]:
                problems.append(_p(rel, f"{value} is below the minimum {c['minimum']}", "minimum",
                                   f"check the value; '{h}' ranges from {c['minimum']}" + (f" to {c['maximum']}" if 'maximum' in c else ""), line, h))
            if "maximum" in c and isinstance(value, (int, float)) and value > c["maximum"]:
                problems.append(_p(rel, f"{value} is above the maximum {c['maximum']}", "maximum",
                                   f"check the value; '{h}' ranges " + (f"from {c['minimum']} " if 'minimum' in c else "") + f"to {c['maximum']}", line, h))
            if "pattern" in c and isinstance(value, str) and not re.fullmatch(c["pattern"], value):
                problems.append(_p(rel, f"'{value}' does not match the pattern {c['pattern']}", "pattern", "correct the value's form", line, h))
            if c.get("unique"):
                if value in uniques[h]:
                    problems.append(_p(rel, f"'{value}' already appears on row {uniques[h][value]}", "unique", "make the value unique", line, h))
                uniques[h].setdefault(value, line)
        if pk and all(typed.get(k) is not None for k in pk):
            key = tuple(typed[k] for k in pk)
            if key in seen_keys:
                problems.append(_p(rel, f"duplicate key {dict(zip(pk, key))}, first on row {seen_keys[key]}", "primary key",
                                   "remove the duplicate row or correct its key", line, ",".join(pk)))
            else:
                seen_keys[key] = line
        typed_rows.append(typed)
    tables[res["name"]] = typed_rows
    problems += _totals(rel, schema, typed_rows)
    return problems


def _totals(rel: str, schema: dict[str, Any], rows: list[dict[str, Any]]) -> list[Problem]:
    """Declared totals: a total row must equal the sum of its part rows within a tolerance."""
    problems = []
    for rule in schema.get("totals", []):
        col, total, parts, value = rule["column"], rule["total"], set(rule["parts"]), rule["value"]
        by = rule.get("by", [])
        tol = float(rule.get("tolerance", 0))
        groups: dict[tuple, dict[str, Any]] = defaultdict(lambda: {"total": None, "sum": 0.0, "n": 0})
        for r in rows:
            if r.get(value) is None:
                continue
            g = groups[tuple(r.get(b) for b in by)]
            if r.get(col) == total:
                g["total"] = r
            elif r.get(col) in parts:
                g["sum"] += r[value]
                g["n"] += 1
        for key, g in groups.items():
            if g["total"] is None or g["n"] != len(parts):
                continue
            diff = g["total"][value] - g["sum"]
            if abs(diff) > tol + 1e-9:
                where = ", ".join(f"{b}={k}" for b, k in zip(by, key))
                problems.append(_p(rel, f"the {total} total {g['total'][value]:g} ({where}) differs from the sum of its "
                                   f"{len(parts)} parts {g['sum']:g} by {diff:+g}, beyond the tolerance {tol:g}",
                                   "total = sum of parts", "check the total and each part against the source",
                                   g["total"]["_line"], value))
    return problems


def _foreign_keys(res: dict[str, Any], root: Path, tables: dict[str, list[dict[str, Any]]]) -> list[Problem]:
    rel = (res["_base"] / res["path"]).relative_to(root).as_posix()
    problems = []
    for fk in res["schema"].get("foreignKeys", []):
        field = fk["fields"] if isinstance(fk["fields"], str) else fk["fields"][0]
        ref = fk["reference"]
        rfield = ref["fields"] if isinstance(ref["fields"], str) else ref["fields"][0]
        target = tables.get(ref["resource"])
        if target is None:
            continue
        allowed = {r.get(rfield) for r in target}
        for r in tables.get(res["name"], []):
            v = r.get(field)
            if v is not None and v not in allowed:
                problems.append(_p(rel, f"'{v}' is not a known {rfield} in {ref['resource']}", "foreign key",
                                   f"use a code listed in data/{ref['resource']}.csv or add it there first", r["_line"], field))
    return problems


def validate(datapackage: Path, root: Path) -> list[Problem]:
    resources = load_package(datapackage, root)
    tables: dict[str, list[dict[str, Any]]] = {}
    problems: list[Problem] = []
    for res in resources:
        found = validate_resource(res, root, tables)
        problems += found[:MAX_PER_FILE]
        if len(found) > MAX_PER_FILE:
            problems.append(_p(found[0].file, f"... and {len(found) - MAX_PER_FILE} more problems", "", ""))
    for res in resources:
        problems += _foreign_keys(res, root, tables)
    return problems


def check(datapackage: Path, root: Path) -> None:
    problems = validate(datapackage, root)
    if problems:
        files = sorted({p.file for p in problems})
        raise DataError(f"{len(problems)} problem(s) in {', '.join(files)}; nothing was run and results/ is unchanged",
                        problems)
