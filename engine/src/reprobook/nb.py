"""The notebook side of the engine: where a job reads its inputs and writes its outputs.

A notebook imports this module, reads declared inputs with `input_path()` and saves its
results with `save_table()`, `save_figure()`, `save_value()` and `save_claim()`. Each save also
notes which cell made it (IPython's execution count; the engine maps it to the cell of the
executed notebook kept in the record) and, for a value, the data rows that fed it when the
notebook says so (`rows=`), in `provenance.json` next to the outputs.

Run by the pipeline, inputs are the files the job declares (another job's outputs come from
that job's run) and the output folder is the job's own folder. Run by hand (Jupyter, from the
notebook's own folder or anywhere inside the project), the project root is found as the
nearest folder above the working directory that holds `pipeline.yml`, inputs are read from
the project, and outputs go to `_build/interactive/` under the root, never into `results/`.
Importing it fixes seeds and figure metadata so that results are byte-reproducible.
"""
from __future__ import annotations

import json
import os
import random
import re
import sys
from pathlib import Path
from typing import Any

from .formatting import format_number

random.seed(0)

SPEC_FILE = "pipeline.yml"


def project_root(start: Path | None = None) -> Path:
    """The project folder: REPROBOOK_ROOT when the pipeline runs the notebook, else the nearest
    folder at or above `start` (default: the working directory) holding pipeline.yml, else the
    working directory itself."""
    env = os.environ.get("REPROBOOK_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SPEC_FILE).is_file():
            return folder
    return here


_ROOT = project_root()
_OUT = Path(os.environ.get("REPROBOOK_OUTPUT", _ROOT / "_build" / "interactive"))
_DECLARED = json.loads(os.environ.get("REPROBOOK_INPUTS", "null"))  # rel path -> file to read


class UndeclaredInput(RuntimeError):
    """A notebook asked for a file its job does not declare as an input."""


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
    """The file to read for the declared input `rel`, a path relative to the project root
    (e.g. "data/trade.csv"), whatever the working directory. In a pipeline run, raises
    UndeclaredInput when the job does not declare `rel` among its inputs."""
    if _DECLARED is None:
        return _ROOT / rel
    if rel not in _DECLARED:
        raise UndeclaredInput(
            f"'{rel}' is not among this job's declared inputs {sorted(_DECLARED)}; "
            "add it to the job's inputs in pipeline.yml so that the build knows when to re-run"
        )
    return Path(_DECLARED[rel])


def output_dir() -> Path:
    """Where this run saves its outputs (the job's folder, or _build/interactive by hand)."""
    return _OUT


def save_table(name: str, df: Any, decimals: int | dict[str, int] | None = None, *, index: bool | None = None) -> Path:
    """Write the pandas DataFrame `df` as the result table `name` (UTF-8 CSV, LF line ends).

    `decimals` fixes the digits of float columns (one number for all, or column -> digits);
    missing floats are written as empty cells. A named index (e.g. after `groupby`) is kept as
    leading columns; an unnamed index of row numbers is dropped; any other unnamed index is
    refused (ValueError), because its labels would be lost: name it (`df.index.name = "country"`), reset it, or pass
    `index=False` to drop it on purpose. Returns the path written."""
    path = _OUT / "tables" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    out = _with_index(name, df, index)
    if decimals is not None:
        for col in out.columns:
            d = decimals.get(col) if isinstance(decimals, dict) else decimals
            if d is not None and out[col].dtype.kind == "f":
                out[col] = out[col].map(lambda v, d=d: "" if v != v else f"{v:.{d}f}")
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    _note("table", name)
    return path


def _with_index(name: str, df: Any, index: bool | None) -> Any:
    import pandas as pd

    if index is False:
        return df.reset_index(drop=True)
    idx = df.index
    named = any(n is not None for n in idx.names)
    default = isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and not named
    if default and index is not True:
        return df.copy()
    if not named:
        if idx.nlevels == 1 and idx.dtype.kind in "iu" and index is not True:
            return df.reset_index(drop=True)  # row numbers (e.g. after filtering), not labels
        raise ValueError(f"save_table('{name}'): the table's index has no name, so its labels would be lost in "
                         "the CSV; name it (df.index.name = 'country'), move it into a column (df.reset_index()), "
                         "or pass index=False to drop it")
    clash = [n for n in idx.names if n in df.columns]
    if clash:
        raise ValueError(f"save_table('{name}'): index level(s) {clash} have the names of columns; rename one")
    return df.reset_index()


def save_figure(name: str, fig: Any) -> Path:
    """Write the matplotlib Figure `fig` as the result figure `name`: SVG (for HTML) and PDF (for
    LaTeX), both without dates or tool names, so both are byte-reproducible. Returns the SVG's path."""
    _configure_matplotlib()
    folder = _OUT / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / f"{name}.svg", format="svg", metadata={"Date": None, "Creator": None})
    fig.savefig(folder / f"{name}.pdf", format="pdf", metadata={"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None})
    _note("figure", name)
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
               percent: bool = False, note: str = "", about: dict[str, Any] | None = None,
               rows: dict[str, list] | None = None) -> dict:
    """Record one in-text value (a number, or short text) as `name` in values.json, with the one
    display format of the book: thousands separated by commas, `decimals` digits (default: 0 for
    whole numbers, else 2), a true minus sign, `%` when `percent`. `unit` names the unit (e.g.
    "thousand EUR", "percent"); `note` adds a remark. Returns the entry written.

    `about` records what the value is about, as facets the book can print next to it, for
    example ``about={"year": 2024}`` for a balance of one year: the prose writes
    {value}`name.year` instead of typing the year, so a parameter that moves the year moves
    the text too, and the name does not need to carry the year. Facet names are lower-case
    identifiers; facet values are one number or one short text (None is left out). Stored as
    ``"about"`` in the value's entry of values.json. Raises ValueError for a malformed facet.

    `rows` names the data rows that fed the value, by primary key, per declared input file:
    ``rows={"data/trade_flows.csv": [{"reporter": "KAZ", "flow": "export_to_eu", "year": 2024}]}``
    (a key is a mapping column -> value, a list of the key's values in order, or one value for a
    one-column key). The book's tooltip on the number and the impact report name these rows.
    They are provenance, not part of the value: they go to the manifest, never to values.json.
    Raises UndeclaredInput for a file the job does not declare, ValueError for a malformed key.
    """
    fed_by = _rows(name, rows)
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
    _note("value", name, rows=fed_by)
    return entry


def save_claim(name: str, holds: bool, statement: str, values: list[str] | tuple[str, ...] = ()) -> dict:
    """State a claim the book may cite with {claim}`name`: `holds` says whether the data support
    `statement` (plain words, e.g. "Kazakhstan supplies most of the region's exports to the EU");
    `values` name the saved values it rests on. A build stops when a cited claim does not hold.
    Returns the entry written to claims.json."""
    if hasattr(holds, "item"):
        holds = holds.item()
    if not isinstance(holds, bool):
        raise TypeError(f"save_claim('{name}'): holds must be True or False, got {holds!r}")
    entry = {"holds": holds, "statement": statement, "values": list(values)}
    path = _OUT / "claims.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    claims = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    claims[name] = entry
    path.write_text(json.dumps(claims, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    _note("claim", name)
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
    number -> `float64` (honouring bareNumber, groupChar, decimalChar; NaN/INF as written, which
    validation lets through only where the field says `"finite": false`);
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
        except (ValueError, TypeError, OverflowError) as exc:
            from .errors import DataError

            raise DataError(f"{rel}, column '{name}': cannot read it as {f.get('type')} ({exc}); "
                            "run `reprobook validate` and correct the value it names") from None
    if user_dtype is not None:
        df = df.astype(user_dtype)
    return df


def _resource_for(rel: str):
    """The data-package resource that describes the project file `rel`, or None."""
    from . import datapackage as dp

    package = _datapackage()
    if package is None or not package.is_file():
        return None
    _, resources = dp.load(package, _ROOT, only=_ROOT / rel)
    return dp.find_resource(resources, _ROOT / rel)


def _datapackage() -> Path | None:
    """The project's data package: the one the engine names (REPROBOOK_DATAPACKAGE, relative to
    the root), or, by hand, the one pipeline.yml's settings name (default data/datapackage.json)."""
    rel = os.environ.get("REPROBOOK_DATAPACKAGE")
    if rel is not None:
        return _ROOT / rel if rel else None
    if (_ROOT / SPEC_FILE).is_file():
        from .paths import Paths

        return Paths.load(_ROOT).datapackage
    return _ROOT / "data" / "datapackage.json"


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


# --- provenance: which cell saved what, and from which data rows ------------------------------

PROVENANCE_FILE = "provenance.json"  # in the output folder; read by reprobook.provenance


def _execution_count() -> int | None:
    """The execution count of the IPython cell running now (None outside IPython).

    The shell's own counter cannot tell: IPython 8 raises it after a cell, IPython 9 before. The
    count the running cell will carry is the `result` of the `run_cell_async` frame executing it
    (in both); failing that, the length of the input history, which holds the running cell."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return None
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "run_cell_async":
            count = getattr(frame.f_locals.get("result"), "execution_count", None)
            if isinstance(count, int):
                return count
        frame = frame.f_back
    history = getattr(getattr(shell, "history_manager", None), "input_hist_parsed", None)
    return len(history) - 1 if history else None


def _scalar(name: str, v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if v is not None and not isinstance(v, (str, int, float, bool)):
        raise ValueError(f"value '{name}': a row key holds a {type(v).__name__}; keys are numbers or short texts")
    return v


def _rows(name: str, rows: dict[str, list] | None) -> dict[str, dict] | None:
    """`rows` checked and made plain JSON: file -> {"columns": [key columns, when the keys name
    them], "keys": [[values of one key, in column order], ...]} (a form whose order survives the
    sorted JSON of the record)."""
    if not rows:
        return None
    out: dict[str, dict] = {}
    for rel, keys in rows.items():
        if _DECLARED is not None and rel not in _DECLARED:
            raise UndeclaredInput(f"value '{name}': rows= names '{rel}', which is not among this job's declared "
                                  f"inputs {sorted(_DECLARED)}; name a declared input file")
        if isinstance(keys, (str, bytes, dict)) or not hasattr(keys, "__iter__"):
            raise ValueError(f"value '{name}': rows['{rel}'] must be a list of row keys")
        columns: list[str] | None = None
        plain = []
        for key in keys:
            if isinstance(key, dict):
                cols = [str(k) for k in key]
                if columns is None:
                    columns = cols
                elif cols != columns:
                    raise ValueError(f"value '{name}': the keys of rows['{rel}'] name different columns "
                                     f"({columns} and {cols}); give every key the same columns in the same order")
                plain.append([_scalar(name, v) for v in key.values()])
            elif isinstance(key, (list, tuple)):
                plain.append([_scalar(name, v) for v in key])
            else:
                plain.append([_scalar(name, key)])
        out[rel] = {"columns": columns or [], "keys": plain}
    return out


def _note(kind: str, name: str, **extra: Any) -> None:
    """Record in provenance.json that this cell saved `kind` `name` (the last save wins), and the
    folders this kernel ran in ("@paths"), which the record writes relative (on any machine)."""
    entry: dict[str, Any] = {"execution_count": _execution_count()}
    entry.update({k: v for k, v in extra.items() if v is not None})
    path = _OUT / PROVENANCE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    saved["@paths"] = {"root": str(_ROOT), "run": str(_OUT.parent), "prefix": sys.prefix,
                       "base_prefix": sys.base_prefix}
    saved[f"{kind}:{name}"] = entry
    path.write_text(json.dumps(saved, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
