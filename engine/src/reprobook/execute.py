"""Run one job: its notebook with its parameters, in the project's kernel, into its own folder.

`run(task)` never raises for a failing notebook: every failure comes back as an `Outcome` with
`ok=False`, the cell, and a message that says what to do. It runs in a worker process (or in the
caller for `reprobook run`); a `Task` is plain data so that it can cross a process boundary.
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .jobdir import JobDir


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to run one job (or one chunk of a sweep)."""

    job: str
    key: str
    notebook: str  # absolute path of the notebook file
    parameters: dict[str, Any] = field(hash=False)
    inputs: dict[str, str] = field(hash=False)  # project-relative path -> absolute file to read
    expected: tuple[str, ...] = ()  # files the notebook must save, relative to out/
    values: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()
    root: str = ""  # the project folder
    folder: str = ""  # the job's folder (see JobDir); this run alone writes into it
    code_dirs: tuple[str, ...] = ()  # absolute folders on the kernel's import path after the notebook's own
    kernel_home: str = ""  # private configuration folders of the kernel
    timeout: float = 1800.0  # seconds for the whole job
    warm: bool = False
    preload: tuple[str, ...] = ()  # third-party modules a warm parent imports (the run's common ones)
    modules: tuple[str, ...] = ()  # what the job imports that is not project code (reprobook.warm.job_modules)
    guard: bool = True
    source_date_epoch: str = "0"
    datapackage: str = ""  # project-relative path of the data package ("" when there is none)
    code_files: tuple[str, ...] | None = None  # project code the record follows (relative); None: unchecked
    run_id: str = ""  # the run it is part of (reprobook.schedule.run_id)


@dataclass(frozen=True)
class Outcome:
    job: str
    key: str
    ok: bool
    seconds: float
    folder: str = ""
    error: str = ""
    cell: int | None = None
    kernel: dict[str, Any] = field(default_factory=dict, hash=False)  # what the kernel reported

    @property
    def jobdir(self) -> JobDir:
        return JobDir(Path(self.folder))


def warm_up(kernel_env: dict[str, str] | None = None, preload: tuple[str, ...] = ()) -> None:
    """Import what running a job needs, so that a fresh worker is ready when its first job comes;
    with `kernel_env`, also start the worker's warm kernel parent (reprobook.warm)."""
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from . import engine  # noqa: F401

    if kernel_env is not None:
        from . import warm

        warm.warm_up(kernel_env, preload)


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


def kernel_extra_env(task: Task, jd: JobDir) -> dict[str, str]:
    """The REPROBOOK_* variables a job's kernel reads (nb, the launcher, the guard)."""
    from . import guard
    from .launcher import PARENT_ENV, REPORT_ENV

    root = os.path.realpath(task.root)
    extra = {
        "REPROBOOK_ROOT": task.root,
        "REPROBOOK_OUTPUT": str(jd.out),
        "REPROBOOK_INPUTS": json.dumps(task.inputs),
        "REPROBOOK_JOB": task.job,
        "REPROBOOK_DATAPACKAGE": task.datapackage,
        "SOURCE_DATE_EPOCH": task.source_date_epoch,
        REPORT_ENV: str(jd.kernel_report),
        PARENT_ENV: str(os.getpid()),
    }
    if task.guard:
        import tempfile

        inputs = tuple(sorted({os.path.realpath(p) for p in task.inputs.values()}))
        redirected = tuple(sorted((os.path.realpath(os.path.join(task.root, rel)), os.path.realpath(p))
                                  for rel, p in task.inputs.items()
                                  if os.path.realpath(os.path.join(task.root, rel)) != os.path.realpath(p)))
        on_path = [p for p in sys.path if p and os.path.realpath(p).startswith(root + os.sep)
                   and not os.path.realpath(p).startswith(os.path.realpath(sys.prefix) + os.sep)]
        code = tuple(sorted({os.path.realpath(d) for d in (*task.code_dirs, os.path.dirname(task.notebook), *on_path)}))
        writable = tuple(sorted({os.path.realpath(p) for p in (task.folder, task.kernel_home, tempfile.gettempdir(),
                                                                 "/dev/null", "/dev/shm", "/proc/self")}))
        readable = tuple(sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}))
        tracked = None if task.code_files is None else tuple(
            sorted(os.path.realpath(os.path.join(task.root, rel)) for rel in task.code_files))
        policy = guard.Policy(task.job, root, inputs, redirected, code, writable, readable, str(jd.audit_log), tracked)
        extra[guard.ENV] = policy.to_env()
    return extra


def run(task: Task) -> Outcome:
    """Execute the task's notebook; never raises (see the module's docstring)."""
    t0 = time.perf_counter()
    jd = JobDir(Path(task.folder)).create()

    def fail(msg: str, cell: int | None = None) -> Outcome:
        if not jd.log.exists():
            jd.log.write_text(msg + "\n", encoding="utf-8")
        return Outcome(task.job, task.key, False, time.perf_counter() - t0, str(jd.folder), msg, cell, _report(jd))

    try:
        from . import notebook as nbmod

        nb = nbmod.read(Path(task.notebook))
    except Exception as exc:  # noqa: BLE001 - a broken notebook file is the job's failure
        return fail(f"cannot read notebook {task.notebook}: {exc}")

    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from . import engine

    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python (project environment)",
                                 "language": "python"}
    nbformat.write(nb, str(jd.input_notebook))
    cwd = str(Path(task.notebook).parent)
    env = engine.kernel_environment(dict(os.environ), code_dirs=list(task.code_dirs),
                                    kernel_home=Path(task.kernel_home), extra=kernel_extra_env(task, jd))
    deadline = time.monotonic() + task.timeout
    try:
        # appended to, never written at an offset: the kernel's output (the kernel process shares this
        # file's descriptor) and the provisioner's note on a cold start (written through its own) must
        # not overwrite each other
        jd.kernel_log.write_text("", encoding="utf-8")
        with open(jd.kernel_log, "a", encoding="utf-8") as klog:
            papermill.execute_notebook(
                str(jd.input_notebook), str(jd.executed), parameters=task.parameters, engine_name=engine.ENGINE_NAME,
                kernel_name="python3", language="python", cwd=cwd, progress_bar=False, log_output=False,
                start_timeout=120, deadline=deadline, limit=task.timeout, warm=task.warm, preload=task.preload,
                modules=task.modules,                kernel_env=env, kernel_cwd=cwd, kernel_output=klog, request_save_on_cell_execute=False)
    except PapermillExecutionError as exc:
        _log_executed(jd, f"job {task.job}: FAILED ({_kernel_start(task, jd)})")
        audit = _audit(jd)
        if audit:
            return fail(audit[0], exc.exec_count)
        return fail(f"{exc.ename}: {exc.evalue}", _cell_index(jd, exc.exec_count))
    except engine.JobTimeout as exc:
        return fail(f"the job ran longer than its time limit of {exc.limit:g} s and was stopped in cell "
                    f"{exc.cell}; make it faster, or raise `timeout:` for the job in pipeline.yml "
                    "(or settings.timeout for all jobs)", exc.cell)
    except Exception as exc:  # noqa: BLE001 - kernel died, could not start, ...
        lost = ""
        if _kernel_start(task, jd).startswith("warm"):  # forked from a parent that may be gone
            from . import warm

            lost = warm.lost_parent()
        return fail(f"{type(exc).__name__}: {exc}" + (f"; {lost}" if lost else "") + f" (kernel log: {jd.kernel_log})")
    _log_executed(jd, f"job {task.job}: ok ({_kernel_start(task, jd)})")
    engine.share_font_cache(Path(task.kernel_home) / "matplotlib")
    audit = _audit(jd)
    if audit:
        return fail(audit[0] + (f" (and {len(audit) - 1} more; see {jd.audit_log})" if len(audit) > 1 else ""))
    problem = check_outputs(task, jd)
    if problem:
        return fail(problem)
    return Outcome(task.job, task.key, True, time.perf_counter() - t0, str(jd.folder), kernel=_report(jd))


def _cell_index(jd: JobDir, exec_count: int | None) -> int | None:
    """The index (0-based, all cells) of the cell with papermill's execution count."""
    if exec_count is None:
        return None
    try:
        import nbformat

        nb = nbformat.read(str(jd.executed), as_version=4)
    except Exception:  # noqa: BLE001
        return None
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code" and c.get("execution_count") == exec_count:
            return i
    return None


def _kernel_start(task: Task, jd: JobDir) -> str:
    """How the job's kernel started, for its log: forked from a warm parent (or sub-parent), or cold
    (warm kernels off, or the reason the warm parent could not serve it, from the kernel log)."""
    if not task.warm:
        return "cold kernel"
    from .warm import cold_start_reason

    try:
        why = cold_start_reason(jd.kernel_log.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        why = None
    return "warm kernel, forked from a process that had imported its libraries" if why is None else f"cold kernel: {why}"


def _log_executed(jd: JobDir, header: str) -> None:
    try:
        import nbformat

        _write_log(nbformat.read(str(jd.executed), as_version=4), jd.log, header)
    except Exception:  # noqa: BLE001 - no executed notebook: the error message says why
        pass


def _audit(jd: JobDir) -> list[str]:
    if not jd.audit_log.is_file():
        return []
    return [ln for ln in jd.audit_log.read_text(encoding="utf-8").splitlines() if ln.strip()]


def _report(jd: JobDir) -> dict[str, Any]:
    try:
        return json.loads(jd.kernel_report.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def check_outputs(task: Task, jd: JobDir) -> str:
    """'' when the notebook saved exactly what the job declares, else what to fix."""
    written = jd.written()
    missing = sorted(set(task.expected) - set(written))
    extra = sorted(set(written) - set(task.expected))
    if missing:
        return (f"the notebook did not write declared output(s) {missing}; save them with reprobook.nb or remove "
                "them from the job's outputs")
    if extra:
        return (f"the notebook wrote output(s) {extra} that the job does not declare; declare them under outputs "
                "in pipeline.yml or stop writing them")
    for kind, names, file in (("values", task.values, "values.json"), ("claims", task.claims, "claims.json")):
        if not names:
            continue
        got = set(json.loads((jd.out / file).read_text(encoding="utf-8")))
        if got != set(names):
            return (f"{kind} written {sorted(got)} differ from {kind} declared {sorted(names)}; make them agree in "
                    "the notebook or pipeline.yml")
    return ""
