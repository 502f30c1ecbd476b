"""The executed notebook as part of the record, and which of its cells saved each output.

When a job has run, its executed notebook (papermill's output, with every output) is made
deterministic and kept with the job's outputs; publishing puts it in the record as
``results/notebooks/<job>.ipynb`` (manifest kind ``notebook``), so that the book can show it as
a page on a fresh clone without running anything. Deterministic means: cells have the ids
``cell-1``, ``cell-2``, ... (their position, 1-based), execution counts run 1, 2, ... in cell
order, papermill's and nbclient's timings and paths are gone, consecutive stream outputs are
merged, and paths of this machine (the project folder, the Python environment) and memory
addresses are replaced by fixed tokens. The JSON is written by nbformat with sorted keys.

`reprobook.nb` notes, for every table, figure, value and claim, the IPython execution count of
the cell that saved it (``out/provenance.json``); `saved_cells` maps those counts to cell ids of
the executed notebook, and the record notebook carries the result in its metadata
(``metadata.reprobook.saved``: ``{"table:NAME": {"cell": "cell-8"}, "value:NAME": {"cell": ...,
"rows": {...}}}``), from which the manifest's artifacts take their ``cell`` and ``rows``.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from .jobdir import JobDir

META = "reprobook"
NOTEBOOKS = "notebooks"  # folder of the record notebooks in results/ (and in a job's out/)
DROP_CELL_METADATA = ("papermill", "execution", "ExecuteTime", "collapsed", "scrolled")
KEEP_LANGUAGE_INFO = ("name", "pygments_lexer", "codemirror_mode", "file_extension", "mimetype")
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")


def cell_id(index: int) -> str:
    """The id (and HTML anchor) of the cell at `index` (0-based) of a record notebook: 'cell-<index+1>'."""
    return f"cell-{index + 1}"


def cell_number(cid: str) -> int | None:
    """'cell-8' -> 8 (the cell's position, 1-based); None for anything else."""
    m = re.fullmatch(r"cell-(\d+)", cid or "")
    return int(m.group(1)) if m else None


def record_path(job: str) -> str:
    """The record notebook of `job`, relative to the project root."""
    return f"results/{NOTEBOOKS}/{job}.ipynb"


def artifact_key(kind: str, name: str) -> str:
    """How provenance names an output: 'table:NAME', 'figure:NAME', 'value:NAME', 'claim:NAME'."""
    return f"{kind}:{name}"


def saved_cells(executed: Any, provenance: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Map what `reprobook.nb` noted (key -> {"execution_count", "rows"?}) to cell ids of the
    executed notebook `executed` (an nbformat NotebookNode, before normalising). A save whose
    cell cannot be found (run outside IPython) gets no "cell"."""
    by_count = {c.get("execution_count"): i for i, c in enumerate(executed.cells)
                if c.cell_type == "code" and c.get("execution_count") is not None}
    out: dict[str, dict[str, Any]] = {}
    for key, note in sorted(provenance.items()):
        if key.startswith("@"):
            continue  # the kernel's folders, not a save
        entry: dict[str, Any] = {}
        index = by_count.get(note.get("execution_count"))
        if index is not None:
            entry["cell"] = cell_id(index)
        if note.get("rows"):
            entry["rows"] = note["rows"]
        out[key] = entry
    return out


def scrubber(root: Path, run_folder: Path | None = None, kernel: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(path, token) pairs replaced in outputs: the run's own folder, the project folder and the
    Python environment, as this process and as the kernel saw them (`kernel`: the "@paths" that
    reprobook.nb notes, which differ when the job ran on another machine), longest first."""
    pairs = []
    places = [(root, "<project>"), (Path(os.path.realpath(root)), "<project>"),
              (Path(sys.prefix), "<env>"), (Path(sys.base_prefix), "<python>")]
    if run_folder is not None:
        places += [(run_folder, "<run>"), (Path(os.path.realpath(run_folder)), "<run>")]
    tokens = {"root": "<project>", "run": "<run>", "prefix": "<env>", "base_prefix": "<python>"}
    places += [(Path(v), tokens[k]) for k, v in (kernel or {}).items() if k in tokens and isinstance(v, str) and v]
    for path, token in places:
        text = str(path)
        if len(text) > 1 and (text, token) not in pairs:
            pairs.append((text, token))
    return sorted(pairs, key=lambda p: -len(p[0]))


def _scrub(text: str, pairs: list[tuple[str, str]]) -> str:
    for path, token in pairs:
        text = text.replace(path, token)
    return ADDRESS.sub("0x…", text)


def _scrub_any(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        return _scrub(value, pairs)
    if isinstance(value, list):
        return [_scrub_any(v, pairs) for v in value]
    return value


def _outputs(outputs: list, counts: dict[int, int], pairs: list[tuple[str, str]]) -> list:
    out: list = []
    for o in outputs:
        o = dict(o)
        kind = o.get("output_type")
        if kind == "stream":
            o["text"] = _scrub("".join(o.get("text", "")) if isinstance(o.get("text"), list) else o.get("text", ""), pairs)
            if out and out[-1].get("output_type") == "stream" and out[-1].get("name") == o.get("name"):
                out[-1]["text"] += o["text"]  # how a stream is split into messages depends on timing
                continue
        elif kind in ("execute_result", "display_data"):
            o["data"] = {mime: (_scrub_any(v, pairs) if mime.startswith("text/") else v)
                         for mime, v in o.get("data", {}).items()}
            o.pop("transient", None)
            if kind == "execute_result":
                o["execution_count"] = counts.get(o.get("execution_count"))
        elif kind == "error":
            o["traceback"] = [_scrub(t, pairs) for t in o.get("traceback", [])]
            o["evalue"] = _scrub(o.get("evalue", ""), pairs)
        out.append(o)
    return out


def record_notebook(executed: Any, job: str, saved: dict[str, dict[str, Any]], root: Path,
                    run_folder: Path | None = None, kernel: dict[str, str] | None = None) -> Any:
    """A deterministic copy of the executed notebook `executed` (NotebookNode), as the record
    keeps it, with `saved` (see `saved_cells`) in its metadata. Paths under `root` and
    `run_folder` (the job's folder while it ran) are written relative to them."""
    import copy

    import nbformat

    nb = copy.deepcopy(executed)
    pairs = scrubber(root, run_folder, kernel)
    old = nb.metadata
    language = {k: v for k, v in (old.get("language_info") or {}).items() if k in KEEP_LANGUAGE_INFO}
    meta: dict[str, Any] = {"job": job, "saved": saved}
    params = (old.get("papermill") or {}).get("parameters")
    if params is not None:
        meta["parameters"] = params
    nb.metadata = nbformat.from_dict({"kernelspec": old.get("kernelspec") or {}, "language_info": language,
                                      META: meta})
    counts: dict[int, int] = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            counts[cell.execution_count] = len(counts) + 1
    for i, cell in enumerate(nb.cells):
        cell["id"] = cell_id(i)
        md = {k: v for k, v in cell.get("metadata", {}).items() if k not in DROP_CELL_METADATA}
        if not md.get("tags"):
            md.pop("tags", None)
        cell["metadata"] = nbformat.from_dict(md)
        if cell.cell_type == "code":
            cell["execution_count"] = counts.get(cell.get("execution_count"))
            cell["outputs"] = [nbformat.from_dict(o) for o in _outputs(cell.get("outputs", []), counts, pairs)]
    nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
    return nb


def dumps(nb: Any) -> str:
    """The record notebook as text: nbformat's JSON (sorted keys, one-space indent), final newline."""
    import nbformat

    return nbformat.writes(nb, version=4).rstrip("\n") + "\n"


def read_provenance(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}


def write_record(folder: Path, job: str, root: Path) -> Path:
    """Turn a successful run's folder (see JobDir) into what the cache keeps: its executed notebook
    made a record as out/notebooks/<job>.ipynb. Returns that path."""
    import nbformat

    jd = JobDir(folder)
    executed = nbformat.read(str(jd.executed), as_version=4)
    noted = read_provenance(jd.provenance)
    saved = saved_cells(executed, noted)
    dest = jd.record_notebook(job)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(dumps(record_notebook(executed, job, saved, root, folder, noted.get("@paths"))), encoding="utf-8")
    return dest


def write_sweep_record(folder: Path, job: str, root: Path, notebook: Path, parameters: dict[str, Any],
                       saved: dict[str, dict[str, Any]]) -> Path:
    """The record notebook of a sweep: its notebook with the parameters of the whole grid and no
    outputs (it ran in chunks, each on part of the grid; the record keeps the gathered tables),
    as out/notebooks/<job>.ipynb of `folder`. `saved` comes from a chunk (see `saved_cells`)."""
    from papermill.parameterize import parameterize_notebook

    from . import notebook as nbmod

    nb = nbmod.read(notebook)
    nb.metadata.setdefault("papermill", {"parameters": {}})  # as papermill loads a notebook to parameterise it
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
    nb = parameterize_notebook(nb, parameters, kernel_name="python3", language="python")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python (project environment)",
                                 "language": "python"}
    dest = JobDir(folder).record_notebook(job)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(dumps(record_notebook(nb, job, saved, root)), encoding="utf-8")
    return dest


def read_saved(path: Path) -> dict[str, dict[str, Any]]:
    """What a record notebook says about which cell saved each output ({} when it says nothing)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return ((nb.get("metadata") or {}).get(META) or {}).get("saved") or {}


# --- provenance in words: what the book's tooltips and the values appendix say -----------------

def rows_text(rows: dict[str, dict] | None, limit: int = 8) -> str:
    """Data rows by primary key, per file: 'data/f.csv (reporter, year) = (KAZ, 2024), (UZB, 2024)'
    (`rows` as the manifest records them: file -> {"columns", "keys"})."""
    parts = []
    for rel, fed in sorted((rows or {}).items()):
        columns, keys = fed.get("columns") or [], fed.get("keys") or []
        shown = [str(k[0]) if len(k) == 1 else "(" + ", ".join(str(v) for v in k) + ")" for k in keys[:limit]]
        head = rel + (f" ({', '.join(columns)})" if columns else "")
        more = f" and {len(keys) - limit} more" if len(keys) > limit else ""
        parts.append(f"{head} = " + ", ".join(shown) + more)
    return "; ".join(parts)


def row_keys(rows: dict[str, dict] | None, rel: str, primary_key: list[str]) -> set[tuple[str, ...]]:
    """The keys of the rows of file `rel` that fed a value, as tuples of text in `primary_key`
    order (keys recorded without column names are taken to be in that order)."""
    fed = (rows or {}).get(rel) or {}
    columns = fed.get("columns") or []
    out = set()
    for key in fed.get("keys") or []:
        if columns and set(primary_key) <= set(columns):
            named = dict(zip(columns, key))
            out.add(tuple(str(named[c]) for c in primary_key))
        else:
            out.add(tuple(str(v) for v in key))
    return out


def inputs_text(inputs: dict[str, Any] | list[str], limit: int = 6) -> str:
    names = sorted(inputs)
    if not names:
        return "no input files"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def where_text(art: dict[str, Any]) -> str:
    """'job trade, notebook notebooks/trade.py, cell 8'."""
    n = cell_number(art.get("cell", ""))
    return f"job {art.get('job')}, notebook {art.get('notebook')}" + (f", cell {n}" if n else "")


def value_tooltip(name: str, entry: dict[str, Any], art: dict[str, Any] | None) -> str:
    """What hovering over an in-text number tells: the value, what it is about, the job, notebook
    and cell that computed it, its inputs and (when the notebook said) the data rows that fed it."""
    shown = str(entry.get("display", entry.get("value", "")))
    unit = entry.get("unit")
    about = entry.get("about") or {}
    text = f"{name} = {shown}" + (f" {unit}" if unit and unit not in ("percent",) else "")
    if about:
        text += " (" + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(about.items())) + ")"
    if art is None:
        return text + ". Not in the record's manifest."
    text += f". Computed by {where_text(art)}, from {inputs_text(art.get('inputs', {}))}."
    if art.get("rows"):
        text += f" Data rows: {rows_text(art['rows'])}."
    return text


def claim_tooltip(name: str, entry: dict[str, Any] | None, art: dict[str, Any] | None,
                  values: dict[str, Any]) -> str:
    """What hovering over a claim's mark tells: the statement, whether the data support it, the
    values it rests on and where it was stated."""
    if entry is None:
        return f"Claim {name}: not in the record."
    verdict = "holds with the data" if entry.get("holds") is True else "DOES NOT HOLD with the data"
    text = f"Claim checked at every build ({verdict}): {entry.get('statement', '')}"
    used = [f"{v} = {values.get(v, {}).get('display', '?')}" for v in entry.get("values", [])]
    if used:
        text += " Values: " + ", ".join(used) + "."
    if art is not None:
        text += f" Stated by {where_text(art)}."
    return text
