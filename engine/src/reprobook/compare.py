"""Compare artifacts: tables cell by cell (keyed rows, numeric tolerance), figures by hash, values exactly."""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CellChange:
    row: str  # the row's key, e.g. "reporter=KAZ, year=2024"
    column: str
    old: str
    new: str


@dataclass
class TableDiff:
    changed: list[CellChange] = field(default_factory=list)
    added_rows: list[str] = field(default_factory=list)
    removed_rows: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    removed_columns: list[str] = field(default_factory=list)
    within_tolerance: int = 0  # numeric cells that differ but within the tolerance

    @property
    def identical(self) -> bool:
        return not (self.changed or self.added_rows or self.removed_rows or self.added_columns or self.removed_columns)


def read_csv_text(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return (rows[0], rows[1:]) if rows else ([], [])


def _num(s: str) -> float | None:
    try:
        v = float(s)
    except ValueError:
        return None
    return None if math.isnan(v) else v


def diff_tables(old_text: str, new_text: str, key: tuple[str, ...] = (), tolerance: float = 0.0) -> TableDiff:
    oh, orows = read_csv_text(old_text)
    nh, nrows = read_csv_text(new_text)
    d = TableDiff(added_columns=[c for c in nh if c not in oh], removed_columns=[c for c in oh if c not in nh])
    key = tuple(k for k in key if k in oh and k in nh)

    def keyed(header, rows):
        out = {}
        for i, r in enumerate(rows):
            rec = dict(zip(header, r))
            k = ", ".join(f"{c}={rec.get(c, '')}" for c in key) if key else f"row {i + 1}"
            out[k] = rec
        return out

    o, n = keyed(oh, orows), keyed(nh, nrows)
    d.removed_rows = [k for k in o if k not in n]
    d.added_rows = [k for k in n if k not in o]
    common_cols = [c for c in nh if c in oh]
    for k in n:
        if k not in o:
            continue
        for c in common_cols:
            a, b = o[k].get(c, ""), n[k].get(c, "")
            if a == b:
                continue
            fa, fb = _num(a), _num(b)
            if fa is not None and fb is not None and fa == fb:
                continue  # 3.0 vs 3.00
            if fa is not None and fb is not None and abs(fa - fb) <= tolerance:
                d.within_tolerance += 1
                continue
            d.changed.append(CellChange(k, c, a, b))
    return d


def describe(d: TableDiff, limit: int = 10) -> list[str]:
    lines = [f"{c.row}, column {c.column}: {c.old} -> {c.new}" for c in d.changed[:limit]]
    if len(d.changed) > limit:
        lines.append(f"... and {len(d.changed) - limit} more changed cells")
    lines += [f"row added: {r}" for r in d.added_rows[:limit]]
    lines += [f"row removed: {r}" for r in d.removed_rows[:limit]]
    lines += [f"column added: {c}" for c in d.added_columns]
    lines += [f"column removed: {c}" for c in d.removed_columns]
    return lines


def _shown(entry: dict[str, Any] | None, with_about: bool) -> Any:
    """A value as a report shows it: its display form, with its facets when those changed."""
    if entry is None:
        return None
    about = entry.get("about") or {}
    if with_about and about:
        return f"{entry.get('display')} ({', '.join(f'{k} {v}' for k, v in sorted(about.items()))})"
    return entry.get("display")


def diff_values(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(name, old, new) for every value whose number, display or facets (about) changed, as a
    report shows them (`_shown`). A number that moved only in digits its display rounds away is
    shown with the unrounded number beside the display ("0.817 (unrounded 0.81712)"); facets that
    changed but print alike are shown as written (`{'year': '2024'}`). A NaN that stays NaN has
    not moved."""
    out = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name) or {}, new.get(name) or {}
        number_moved = not _same_number(a.get("value"), b.get("value"))
        about_moved = a.get("about") != b.get("about")
        if number_moved or a.get("display") != b.get("display") or about_moved:
            shown_a, shown_b = _shown(old.get(name), about_moved), _shown(new.get(name), about_moved)
            if name in old and name in new and shown_a == shown_b:
                if number_moved:
                    shown_a, shown_b = f"{shown_a} (unrounded {a.get('value')!r})", f"{shown_b} (unrounded {b.get('value')!r})"
                else:
                    shown_a, shown_b = f"{shown_a} (about {a.get('about')!r})", f"{shown_b} (about {b.get('about')!r})"
            out.append((name, shown_a, shown_b))
    return out


def _same_number(x: Any, y: Any) -> bool:
    """x == y, with NaN equal to NaN (a missing number that stays missing)."""
    import math

    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return x == y and type(x) is type(y)
