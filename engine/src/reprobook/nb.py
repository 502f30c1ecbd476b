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


def save_value(name: str, value: Any, *, unit: str = "", decimals: int | None = None,
               percent: bool = False, note: str = "") -> dict:
    """Record one in-text number (or short text) with the one display format of the book."""
    if hasattr(value, "item"):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, float) and value.is_integer() and decimals == 0:
        value = int(value)
    entry = {"value": value, "display": format_number(value, decimals, percent), "unit": unit}
    if note:
        entry["note"] = note
    path = _OUT / "values.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    values = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    values[name] = entry
    path.write_text(json.dumps(values, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return entry


def read_csv(rel: str, **kw: Any):
    """Read the declared input `rel` (a project-relative CSV path) as a pandas DataFrame, with
    the one missing-value rule that validation uses and the types its Table Schema declares.

    Missing values: a cell is missing (NaN/NA) exactly when its text is one of the field's
    `missingValues` in the data package (field level, else schema level, default `[""]`, an
    empty cell). pandas' default NA list (`NA`, `n/a`, `NULL`, `NaN`, ...) is off, so `n/a` in a
    text column stays the text `n/a` (validation reports it unless the schema declares it).
    A file the data package does not describe is read with `[""]` and pandas' type inference.

    Types (for a file the data package describes; columns in the file's order):
    string and every type below not listed -> `str`; integer, year -> `Int64` (nullable);
    number -> `float64` (honouring bareNumber, groupChar, decimalChar; NaN/INF as written);
    boolean -> `boolean` (trueValues/falseValues); date and datetime with the default format or a
    strptime pattern -> `datetime64`. Other types (time, yearmonth, duration, geopoint, object,
    array, list, any, format "any") stay text: convert them in the notebook.

    `kw` is passed to `pandas.read_csv` and wins over the above (e.g. `usecols=[...]`,
    `dtype={"code": "category"}`: a column given a dtype here is not converted).
    Raises UndeclaredInput if `rel` is not a declared input of the job, and
    `reprobook.errors.DataError` if a value the schema declares cannot be converted
    (run `reprobook validate` first: what passes validation converts).

        flows = nb.read_csv("data/trade_flows.csv")
    """
    import pandas as pd

    from . import datapackage as dp

    path = input_path(rel)
    res = _resource_for(rel)
    if res is None:
        opts = {"keep_default_na": False, "na_values": dp.DEFAULT_MISSING_VALUES}
        return pd.read_csv(path, **{**opts, **kw})
    schema, fields = res.schema, res.fields
    d = dp.dialect(res)
    names = [f["name"] for f in fields]
    opts: dict[str, Any] = {
        "dtype": str, "keep_default_na": False,
        "na_values": {f["name"]: dp.missing_values(schema, f) for f in fields},
        "encoding": res.descriptor.get("encoding") or "utf-8",
        "sep": d.get("delimiter", "\t" if str(res.paths[0]).lower().endswith(".tsv") else ","),
        "quotechar": d.get("quoteChar", '"'), "doublequote": d.get("doubleQuote", True),
        "escapechar": d.get("escapeChar"), "skipinitialspace": d.get("skipInitialSpace", False),
    }
    if d.get("header", True) is False:
        opts.update(header=None, names=names)
    user_dtype = kw.pop("dtype", None)
    source: Any = path
    if d.get("commentChar"):  # rows whose first characters are commentChar are not data (Table Dialect)
        import io

        with open(path, encoding=opts["encoding"], newline="") as fh:
            source = io.StringIO("".join(line for line in fh if not line.startswith(d["commentChar"])))
        del opts["encoding"]
    df = pd.read_csv(source, **{**opts, **kw})
    schema_missing = dp.missing_values(schema, {})
    for col in df.columns:
        if col not in names:  # a column the schema leaves out (fieldsMatch subset): schema-level rule
            df[col] = df[col].mask(df[col].isin(schema_missing))
    for f in fields:
        name = f["name"]
        if name not in df.columns or (user_dtype is not None and (not isinstance(user_dtype, dict) or name in user_dtype)):
            continue
        try:
            df[name] = _convert(df[name], f)
        except (ValueError, TypeError) as exc:
            from .errors import DataError

            raise DataError(f"{rel}, column '{name}': cannot read it as {f.get('type')} ({exc}); "
                            "run `reprobook validate` and correct the value it names") from None
    if user_dtype is not None:
        df = df.astype(user_dtype)
    return df


def _resource_for(rel: str):
    """The data-package resource that describes the project file `rel`, or None."""
    from . import datapackage as dp
    from .paths import Paths

    package = Paths(_ROOT).datapackage
    if not package.is_file():
        return None
    _, resources = dp.load(package, _ROOT)
    return dp.find_resource(resources, _ROOT / rel)


def _convert(col: Any, f: dict[str, Any]) -> Any:
    """One text column (missing values already NA) as the pandas dtype its Table Schema field
    declares, reading values as frictionless does (see `read_csv`)."""
    import re

    import pandas as pd

    t, fmt = f.get("type", "any"), f.get("format", "default")
    present = col.notna()
    if t in ("integer", "year", "number"):
        bare = None if f.get("bareNumber", True) else re.compile(r"((^[^-\d]*)|(\D*$))")
        group, decimal = f.get("groupChar", ""), f.get("decimalChar", ".")

        def number(cell: str) -> Any:
            cell = cell.strip()
            if bare:
                cell = bare.sub("", cell)
            if t != "year":
                cell = cell.replace(group, "") if group else cell
            if t == "number" and decimal != ".":
                cell = cell.replace(decimal, ".")
            return float(cell) if t == "number" else int(cell)

        values = col[present].map(number)
        out = pd.Series(pd.NA if t != "number" else float("nan"), index=col.index,
                        dtype="Int64" if t != "number" else "float64")
        out[present] = values.astype(out.dtype)
        return out
    if t == "boolean":
        truth = {v: True for v in f.get("trueValues", ["true", "True", "TRUE", "1"])}
        truth.update({v: False for v in f.get("falseValues", ["false", "False", "FALSE", "0"])})
        bad = col[present & ~col.isin(list(truth))]
        if len(bad):
            raise ValueError(f"'{bad.iloc[0]}' is not a boolean")
        return col.map(truth).astype("boolean")
    if t in ("date", "datetime") and fmt != "any":
        pattern = fmt if fmt != "default" else ("%Y-%m-%d" if t == "date" else "ISO8601")
        return pd.to_datetime(col, format=pattern)
    return col
