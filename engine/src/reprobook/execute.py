"""Run one job: a notebook with its parameters, in its own scratch folder, with papermill."""
from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .paths import DEFAULT_SOURCE_DATE_EPOCH


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to run one job; plain data, so it can cross a process boundary."""

    job: str
    key: str
    notebook: str  # absolute path of the text notebook
    parameters: dict[str, Any] = field(hash=False)
    inputs: dict[str, str] = field(hash=False)  # project-relative path -> absolute file to read
    expected: tuple[str, ...] = ()  # output files relative to the output folder
    values: tuple[str, ...] = ()
    root: str = ""
    scratch: str = ""  # folder that this run alone writes into
    executed: str = ""  # where the executed .ipynb is kept
    log: str = ""


@dataclass(frozen=True)
class Outcome:
    job: str
    key: str
    ok: bool
    seconds: float
    output_dir: str = ""
    executed: str = ""
    log: str = ""
    error: str = ""
    cell: int | None = None


def parameter_names(nb) -> tuple[set[str], int | None]:
    """Names assigned in the cell tagged `parameters`, and that cell's index."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            names: set[str] = set()
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Assign):
                    for t in node.targets:
                        if isinstance(t, ast.Name):
                            names.add(t.id)
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    names.add(node.target.id)
            return names, i
    return set(), None


def warm_up() -> None:
    """Import what running a job needs, so a fresh worker process is ready when its first job comes."""
    import jupytext  # noqa: F401
    import nbformat  # noqa: F401
    import papermill  # noqa: F401


def read_notebook(path: str):
    import jupytext

    return jupytext.read(path)


def check_parameters(nb, parameters: dict[str, Any], notebook: str) -> str:
    names, idx = parameter_names(nb)
    if idx is None:
        if parameters:
            return f"{notebook} has no cell tagged 'parameters', but the job passes {sorted(parameters)}; tag the cell that holds the defaults"
        return ""
    unknown = sorted(set(parameters) - names)
    if unknown:
        return (f"parameter(s) {unknown} are not declared in the 'parameters' cell of {notebook} "
                f"(declared: {sorted(names)}); fix the name or add a default to that cell")
    return ""


def _write_log(nb, path: Path, header: str) -> None:
    lines = [header]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                lines.append(f"[cell {i}] {out.get('name')}: {out.get('text', '').rstrip()}")
            elif out.get("output_type") == "error":
                lines.append(f"[cell {i}] {out.get('ename')}: {out.get('evalue')}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(task: Task) -> Outcome:
    """Execute the notebook; never raises: failures come back as an Outcome with ok=False."""
    t0 = time.perf_counter()
    scratch = Path(task.scratch)
    out_dir = scratch / "out"
    executed = Path(task.executed)
    log = Path(task.log)
    for p in (executed.parent, log.parent):
        p.mkdir(parents=True, exist_ok=True)
    if scratch.exists():
        shutil.rmtree(scratch)
    out_dir.mkdir(parents=True)

    log.unlink(missing_ok=True)  # this run's log only

    def fail(msg: str, cell: int | None = None) -> Outcome:
        if not log.exists():  # a failing cell has already written the cell outputs there
            log.write_text(msg + "\n", encoding="utf-8")
        return Outcome(task.job, task.key, False, time.perf_counter() - t0, str(out_dir),
                       str(executed), str(log), msg, cell)

    try:
        nb = read_notebook(task.notebook)
    except Exception as exc:  # a broken text notebook
        return fail(f"cannot read notebook {task.notebook}: {exc}")
    problem = check_parameters(nb, task.parameters, task.notebook)
    if problem:
        return fail(problem)

    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    src = scratch / "input.ipynb"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, src)
    env = {
        "REPROBOOK_ROOT": task.root,
        "REPROBOOK_OUTPUT": str(out_dir),
        "REPROBOOK_INPUTS": json.dumps(task.inputs),
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH),
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        # one font cache for all jobs: an empty config folder would rebuild it (seconds) every time
        "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR") or str(Path(tempfile.gettempdir()) / "reprobook-matplotlib"),
        "TZ": "UTC",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    # the kernel inherits this process's stderr: send its chatter to the job's log, not the terminal
    kernel_log = open(log.with_suffix(".kernel.log"), "w")
    saved_fd = os.dup(2)
    os.dup2(kernel_log.fileno(), 2)
    try:
        papermill.execute_notebook(str(src), str(executed), parameters=task.parameters, kernel_name="python3",
                                   cwd=str(scratch), progress_bar=False, log_output=False,
                                   start_timeout=120)
    except PapermillExecutionError as exc:
        try:
            _write_log(nbformat.read(str(executed), as_version=4), log, f"job {task.job}: FAILED")
        except Exception:
            pass
        return fail(f"{exc.ename}: {exc.evalue}", exc.exec_count)
    except Exception as exc:  # kernel died, could not start, ...
        return fail(f"{type(exc).__name__}: {exc}")
    finally:
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        kernel_log.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    _write_log(nbformat.read(str(executed), as_version=4), log, f"job {task.job}: ok")

    written = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
    missing = sorted(set(task.expected) - set(written))
    extra = sorted(set(written) - set(task.expected))
    if missing:
        return fail(f"the notebook did not write declared output(s) {missing}; "
                    "save them with reprobook.nb or remove them from the job's outputs")
    if extra:
        return fail(f"the notebook wrote output(s) {extra} that the job does not declare; "
                    "declare them under outputs in pipeline.yml or stop writing them")
    if task.values:
        got = set(json.loads((out_dir / "values.json").read_text(encoding="utf-8")))
        if got != set(task.values):
            return fail(f"values written {sorted(got)} differ from values declared {sorted(task.values)}; "
                        "make them agree in the notebook or pipeline.yml")
    return Outcome(task.job, task.key, True, time.perf_counter() - t0, str(out_dir), str(executed), str(log))
