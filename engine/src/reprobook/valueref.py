"""In-text values as the book refers to them: ``name`` (the number) or ``name.facet`` (what it is about).

A notebook saves ``nb.save_value("trade_kaz_balance", 22049275, about={"year": 2024})``; the
prose writes {value}`trade_kaz_balance` for the number and {value}`trade_kaz_balance.year` for
its year. Facets are printed as recorded (a year stays 2024, not 2,024); ``unit`` is the value's
unit. Pure functions over the parsed values.json, shared by the Sphinx role and the README list.
"""
from __future__ import annotations

from typing import Any

from .errors import ResultRefError

UNIT = "unit"


def split_ref(ref: str) -> tuple[str, str | None]:
    """'name.facet' -> ('name', 'facet'); 'name' -> ('name', None)."""
    name, _, facet = ref.strip().partition(".")
    return name, (facet or None)


def value_text(values: dict[str, Any], ref: str) -> str:
    """The text the book prints for `ref`: the value's display form, or one of its facets.

    Raises ResultRefError naming the value or facet that is missing and what to do.
    """
    name, facet = split_ref(ref)
    if name not in values:
        raise ResultRefError(f"value '{name}' is not in results/values.json; declare it in pipeline.yml "
                             "and save it in its notebook")
    entry = values[name]
    if facet is None:
        return str(entry["display"])
    if facet == UNIT:
        if not entry.get("unit"):
            raise ResultRefError(f"value '{name}' has no unit; pass unit=... to nb.save_value")
        return str(entry["unit"])
    about = entry.get("about") or {}
    if facet not in about:
        have = ", ".join(sorted(about)) or "none"
        raise ResultRefError(f"value '{name}' has no facet '{facet}' (it has: {have}); record it with "
                             f"nb.save_value(..., about={{'{facet}': ...}}) or change the reference in the book")
    return str(about[facet])
