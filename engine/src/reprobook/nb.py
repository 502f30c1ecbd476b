"""The notebook side of the engine: where a job reads its inputs and writes its outputs.

A notebook imports this module, reads declared inputs with `input_path()` and saves its
results with `save_table()`, `save_figure()` and `save_value()`. Run by the pipeline, the
output folder is the job's scratch folder; run by hand, it is `_build/interactive/`.
Importing it fixes seeds and figure metadata so that results are byte-reproducible.
"""
from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

from .formatting import format_number
from .paths import DEFAULT_SOURCE_DATE_EPOCH

os.environ.setdefault("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH)
random.seed(0)

_ROOT = Path(os.environ.get("REPROBOOK_ROOT", ".")).resolve()
_OUT = Path(os.environ.get("REPROBOOK_OUTPUT", _ROOT / "_build" / "interactive"))
_DECLARED = json.loads(os.environ.get("REPROBOOK_INPUTS", "null"))  # rel path -> file to read


class UndeclaredInput(RuntimeError):
    pass


def _configure_matplotlib() -> None:
    """Settings read when a figure is saved: fixed SVG ids, text as paths, fixed PDF compression.
    Applied at save time, so that notebooks that draw nothing never import matplotlib."""
    import matplotlib

    matplotlib.rcParams.update({"svg.hashsalt": "reprobook", "svg.fonttype": "path", "pdf.compression": 6})


def _setup_numpy() -> None:
    try:
        import numpy
    except ImportError:
        return
    numpy.random.seed(0)


_setup_numpy()


def input_path(rel: str) -> Path:
    """The file to read for the declared input `rel` (a project-relative path)."""
    if _DECLARED is None:
        return _ROOT / rel
    if rel not in _DECLARED:
        raise UndeclaredInput(
            f"'{rel}' is not among this job's declared inputs {sorted(_DECLARED)}; "
            "add it to the job's inputs in pipeline.yml so that the build knows when to re-run"
        )
    return Path(_DECLARED[rel])


def output_dir() -> Path:
    return _OUT


def save_table(name: str, df: Any, decimals: int | dict[str, int] | None = None) -> Path:
    """Write a table as UTF-8 CSV with LF line ends, no index, fixed decimals per numeric column."""
    path = _OUT / "tables" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    out = df.copy()
    if decimals is not None:
        for col in out.columns:
            d = decimals.get(col) if isinstance(decimals, dict) else decimals
            if d is not None and out[col].dtype.kind == "f":
                out[col] = out[col].map(lambda v, d=d: "" if v != v else f"{v:.{d}f}")
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


def save_figure(name: str, fig: Any) -> Path:
    """Write a figure as SVG (HTML) and PDF (LaTeX), both without dates, so both are deterministic."""
    _configure_matplotlib()
    folder = _OUT / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / f"{name}.svg", format="svg", metadata={"Date": None, "Creator": None})
    fig.savefig(folder / f"{name}.pdf", format="pdf", metadata={"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None})
    return folder / f"{name}.svg"


FACET = re.compile(r"^[a-z][a-z0-9_]*$")


def _about(name: str, about: dict[str, Any] | None) -> dict[str, Any]:
    """Check the facets of a value: identifier keys, JSON scalar values (numpy scalars converted)."""
    out: dict[str, Any] = {}
    for key, val in (about or {}).items():
        if not isinstance(key, str) or not FACET.match(key) or key in RESERVED_FACETS:
            raise ValueError(f"value '{name}': facet name {key!r} must be lower-case letters, digits and "
                             f"underscores and not one of {sorted(RESERVED_FACETS)}; rename it in save_value(about=...)")
        if hasattr(val, "item"):
            val = val.item()
        if val is not None and not isinstance(val, (str, int, float, bool)):
            raise ValueError(f"value '{name}': facet '{key}' is a {type(val).__name__}; a facet holds one "
                             "number or one short text (convert it, e.g. int(year) or str(...))")
        if val is not None:  # an unknown facet is left out, so that the book cannot print it
            out[key] = val
    return out


RESERVED_FACETS = frozenset({"value", "display", "unit", "note", "about"})


def save_value(name: str, value: Any, *, unit: str = "", decimals: int | None = None,
               percent: bool = False, note: str = "", about: dict[str, Any] | None = None) -> dict:
    """Record one in-text number (or short text) with the one display format of the book.

    `about` records what the value is about, as facets the book can print next to it, for
    example ``about={"year": 2024}`` for a balance of one year: the prose writes
    {value}`name.year` instead of typing the year, so a parameter that moves the year moves
    the text too, and the name does not need to carry the year. Facet names are lower-case
    identifiers; facet values are one number or one short text (None is left out). Stored as
    ``"about"`` in the value's entry of values.json. Raises ValueError for a malformed facet.
    """
    if hasattr(value, "item"):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, float) and value.is_integer() and decimals == 0:
        value = int(value)
    entry = {"value": value, "display": format_number(value, decimals, percent), "unit": unit}
    if note:
        entry["note"] = note
    facets = _about(name, about)
    if facets:
        entry["about"] = facets
    path = _OUT / "values.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    values = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    values[name] = entry
    path.write_text(json.dumps(values, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return entry
