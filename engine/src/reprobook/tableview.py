"""Shaping a result table for the page: a long (tidy) table shown wide, with headers from the data.

Results of record are best kept long: one row per observation, keyed, with the year (or any
other dimension) as a column, so that no column name carries a data value and a new year is a new
row, not a new column. A page often wants them wide. `pivot` does that at build time, with the
column headers taken from the pivoted column's values, so that the book never types them.
Pure functions over CSV text rows; the Sphinx directive only calls them.
"""
from __future__ import annotations

import string

from .errors import ResultRefError


def _indices(header: list[str], names: list[str], table: str, option: str) -> list[int]:
    unknown = [n for n in names if n not in header]
    if unknown:
        raise ResultRefError(f"result table '{table}' has no column(s) {unknown} (named in :{option}:); "
                             f"it has {header}")
    return [header.index(n) for n in names]


def _label(template: str, keys: dict[str, str], table: str) -> str:
    fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    unknown = sorted(fields - set(keys))
    if unknown:
        raise ResultRefError(f"result table '{table}': :pivot-headers: template {template!r} names {unknown}, "
                             f"which are not pivot columns {sorted(keys)}; use {{column}} of a pivot column")
    return template.format_map(keys)


def pivot(header: list[str], body: list[list[str]], index: list[str], pivot_on: list[str],
          values: list[str], templates: list[str] | None = None,
          table: str = "") -> tuple[list[str], list[list[str]], list[str]]:
    """A long table turned wide: one row per distinct `index` tuple, one column per distinct
    `pivot_on` tuple and `values` column, in order of first appearance in the file.

    Header labels: `templates` (one per value column, ``{column}`` replaced by the pivot value,
    for example ``{year}`` or ``Exports {year}``); by default the pivot values joined by spaces,
    followed by the value column's name when there are several. A pivot value whose cells are
    all empty in every value column is left out (nothing to show). Cells a row does not have stay
    empty. Returns (labels of the pivoted columns only, rows as index cells + pivoted cells,
    source column name of every output column). Raises ResultRefError for unknown columns, a
    template of the wrong length or field, or two rows with the same index and pivot values.
    """
    ii = _indices(header, index, table, "columns")
    pi = _indices(header, pivot_on, table, "pivot")
    vi = _indices(header, values, table, "values")
    if templates is not None and len(templates) != len(values):
        raise ResultRefError(f"result table '{table}': {len(templates)} :pivot-headers: given for "
                             f"{len(values)} :values: columns; give one template per value column")
    rows: dict[tuple, dict[tuple, list[str]]] = {}
    keys: list[tuple] = []
    for r in body:
        ik, pk = tuple(r[i] for i in ii), tuple(r[i] for i in pi)
        cells = rows.setdefault(ik, {})
        if pk in cells:
            raise ResultRefError(f"result table '{table}': two rows have {dict(zip(index, ik))} and "
                                 f"{dict(zip(pivot_on, pk))}; add the column that tells them apart to :columns:")
        cells[pk] = [r[i] for i in vi]
        if pk not in keys:
            keys.append(pk)
    keys = [k for k in keys if any(c.strip() for cells in rows.values() for c in cells.get(k, []))]
    labels, sources = [], list(index)
    for k in keys:
        named = dict(zip(pivot_on, k))
        for j, v in enumerate(values):
            if templates is not None:
                labels.append(_label(templates[j], named, table))
            else:
                labels.append(" ".join(k) + (f" {v}" if len(values) > 1 else ""))
            sources.append(v)
    out = []
    for ik, cells in rows.items():
        row = list(ik)
        for k in keys:
            row += cells.get(k, [""] * len(values))
        out.append(row)
    return labels, out, sources
