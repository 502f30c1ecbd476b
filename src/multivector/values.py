"""In-text values as data: what a study function hands a notebook to save with ``nb.save_value``.

A headline-values function of the study returns ``{name: value(...)}``; the notebook saves each
with ``nb.save_value(name, **kwargs)``. What a value is about (its year, its reporter) goes in
``about``, never in its name, so that a parameter that moves the year cannot make the name lie.
"""
from __future__ import annotations

from typing import Any


def value(number: Any, unit: str = "", decimals: int | None = None, percent: bool = False,
          note: str = "", rows: dict[str, list] | None = None, **about: Any) -> dict[str, Any]:
    """Keyword arguments of one ``nb.save_value`` call: the number (numpy scalars made plain), its
    unit and display format, an optional note, the data rows that fed it (``rows``: input file ->
    primary keys, see `fed_by`) and what it is about (facets; None is left out)."""
    if hasattr(number, "item"):
        number = number.item()
    out = {"value": number, "unit": unit, "decimals": decimals, "percent": percent,
           "about": {k: (v.item() if hasattr(v, "item") else v) for k, v in about.items() if v is not None}}
    if note:
        out["note"] = note
    if rows:
        out["rows"] = rows
    return out


def fed_by(*groups: tuple[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """``rows`` for `value`: (input file, [primary key as column -> value, ...]) pairs merged per
    file, duplicates dropped, numpy scalars made plain. Example:
    ``fed_by(("data/trade_flows.csv", [{"reporter": "KAZ", "flow": "export_to_eu", "year": 2024}]))``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for rel, keys in groups:
        have = out.setdefault(rel, [])
        for key in keys:
            plain = {k: (v.item() if hasattr(v, "item") else v) for k, v in key.items()}
            if plain not in have:
                have.append(plain)
    return out


def years_text(years) -> str:
    """Years as the prose lists them: [2021, 2020] -> '2020 and 2021'; [2004] -> '2004'."""
    ys = [str(int(y)) for y in sorted(set(years))]
    if not ys:
        raise ValueError("no years to list")
    return ys[0] if len(ys) == 1 else ", ".join(ys[:-1]) + " and " + ys[-1]
