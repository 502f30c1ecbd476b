"""The data dictionary: what each data file holds, what each column means, where rows come from.

Reads the Frictionless data package (resources with their Table Schemas) and the data frames
(read as text, so that empty cells stay empty); returns plain tables for the book.
"""
from __future__ import annotations

import re

import pandas as pd

LIST_SEP = ", "
LOCATOR_SEP = "; "  # locators may contain commas ('Section 3, text before Table 4')
_FULL_STOP = re.compile(r"\.(?=\s|$)")
_ABBREVIATIONS = {"e.g", "i.e", "fn", "p", "pp", "cf", "vs", "etc", "no", "ca"}


def first_sentence(text: str) -> str:
    """The first sentence of a description: up to the first full stop not closing an abbreviation."""
    text = " ".join((text or "").split())
    for m in _FULL_STOP.finditer(text):
        token = text[: m.start()].rsplit(" ", 1)[-1].lstrip("(").lower()
        if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):  # abbreviation or initial
            continue
        return text[: m.start() + 1]
    return text


def _natural_key(text: str):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", text) if part]


def _primary_key(schema: dict) -> list[str]:
    pk = schema.get("primaryKey") or []
    return [pk] if isinstance(pk, str) else list(pk)


def data_files(resources: list[dict], schemas: dict[str, dict], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per data file: title, number of data rows, primary key, what one row is."""
    rows = []
    for res in resources:
        name = res["name"]
        schema = schemas[name]
        rows.append({
            "file": res["path"],
            "title": res.get("title") or schema.get("title", ""),
            "rows": int(len(frames[name])),
            "columns": int(len(schema["fields"])),
            "primary_key": LIST_SEP.join(_primary_key(schema)),
            "row_is": first_sentence(schema.get("description", "")),
        })
    return pd.DataFrame(rows).sort_values("file").reset_index(drop=True)


def _number_text(v) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def allowed_values(field: dict) -> str:
    """Enum values, numeric range (min–max, ≥ min, ≤ max) and pattern, as one readable string."""
    c = field.get("constraints") or {}
    parts = []
    if "enum" in c:
        parts.append(LIST_SEP.join(str(v) for v in c["enum"]))
    lo, hi = c.get("minimum"), c.get("maximum")
    if lo is not None and hi is not None and lo == hi:
        parts.append(f"{_number_text(lo)} only")
    elif lo is not None and hi is not None:
        parts.append(f"{_number_text(lo)}\u2013{_number_text(hi)}")
    elif lo is not None:
        parts.append(f"\u2265 {_number_text(lo)}")
    elif hi is not None:
        parts.append(f"\u2264 {_number_text(hi)}")
    if "pattern" in c:
        parts.append(f"pattern {c['pattern']}")
    if field.get("type") == "boolean" and "enum" not in c:
        parts.append("true, false")
    if c.get("unique"):
        parts.append("unique")
    return "; ".join(parts)


def data_dictionary(resources: list[dict], schemas: dict[str, dict]) -> pd.DataFrame:
    """One row per column of each data file, in schema order: type, unit, required, allowed, description."""
    rows = []
    for res in resources:
        schema = schemas[res["name"]]
        pk = set(_primary_key(schema))
        for pos, field in enumerate(schema["fields"], start=1):
            c = field.get("constraints") or {}
            desc = field.get("description") or field.get("title") or ""
            rows.append({
                "file": res["path"],
                "position": pos,
                "column": field["name"],
                "type": field.get("type", "string"),
                "unit": field.get("unit", ""),
                "required": "yes" if c.get("required") or field["name"] in pk else "no",
                "allowed": allowed_values(field),
                "description": " ".join(desc.split()),
            })
    return pd.DataFrame(rows).sort_values(["file", "position"]).reset_index(drop=True)


def locator_parts(locators) -> list[str]:
    """Distinct atomic locators ('Section 2; fn. 64' -> 'Section 2', 'fn. 64'), naturally sorted."""
    parts = {p.strip() for loc in locators for p in str(loc).split(";") if p.strip()}
    return sorted(parts, key=_natural_key)


def data_sources(resources: list[dict], frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per data file and source key: number of rows and the locators they cite."""
    rows = []
    for res in resources:
        df = frames[res["name"]]
        for source, grp in df.groupby("source", sort=True):
            parts = locator_parts(grp["locator"])
            rows.append({
                "file": res["path"],
                "source": source,
                "rows": int(len(grp)),
                "n_locators": len(parts),
                "locators": LOCATOR_SEP.join(parts),
            })
    return pd.DataFrame(rows).sort_values(["file", "source"]).reset_index(drop=True)
