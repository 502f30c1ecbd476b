"""The pipeline spec (pipeline.yml): settings, and jobs with their notebooks, parameters, inputs and outputs."""
from __future__ import annotations

import datetime as _dt
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import settings as _settings
from .errors import ConfigError
from .settings import SPEC_FILE, Settings

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
JOB_KEYS = {"notebook", "parameters", "inputs", "outputs", "description", "sweep", "timeout"}
SWEEP_KEYS = {"parameter", "values", "column", "chunks"}
OUTPUT_KINDS = ("tables", "figures", "values", "claims")
TABLE_KEYS = {"key", "tolerance", "description", "report"}
FIGURE_KEYS = {"description"}
TOP_KEYS = {"jobs", "settings"}


@dataclass(frozen=True)
class TableOutput:
    name: str
    key: tuple[str, ...] = ()
    tolerance: float = 0.0  # absolute tolerance for numeric cells when verifying
    report: bool = False  # print its rows after each build that changes it (findings about the sources)


@dataclass(frozen=True)
class Sweep:
    """One notebook over a grid: the notebook takes a list of points in `parameter` and writes, in
    every output table, one or more rows per point with the point in `column`."""

    parameter: str
    points: tuple
    column: str
    chunks: int = 0  # 0: one chunk per worker


@dataclass(frozen=True)
class Job:
    name: str
    notebook: str  # project-relative posix path
    parameters: dict[str, Any] = field(default_factory=dict, hash=False)
    inputs: tuple[str, ...] = ()
    tables: tuple[TableOutput, ...] = ()
    figures: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    sweep: Sweep | None = None
    claims: tuple[str, ...] = ()
    timeout: float | None = None  # seconds; None: the project's settings.timeout
    description: str = ""

    def artifact_paths(self) -> list[str]:
        paths = [f"results/tables/{t.name}.csv" for t in self.tables]
        for f in self.figures:
            paths += [f"results/figures/{f}.svg", f"results/figures/{f}.pdf"]
        return paths + [f"results/notebooks/{self.name}.ipynb"]  # the executed notebook (reprobook.provenance)

    def output_files(self) -> list[str]:
        """Files the notebook must write into its output folder (relative to it)."""
        files = [f"tables/{t.name}.csv" for t in self.tables]
        for f in self.figures:
            files += [f"figures/{f}.svg", f"figures/{f}.pdf"]
        if self.values:
            files.append("values.json")
        if self.claims:
            files.append("claims.json")
        return files


@dataclass(frozen=True)
class Pipeline:
    jobs: tuple[Job, ...]
    settings: Settings = field(default_factory=Settings, hash=False)

    def job(self, name: str) -> Job:
        for job in self.jobs:
            if job.name == name:
                return job
        known = ", ".join(j.name for j in self.jobs)
        raise ConfigError(f"no job named '{name}' in {SPEC_FILE}; known jobs: {known}")

    def table(self, name: str) -> tuple[Job, TableOutput]:
        for job in self.jobs:
            for t in job.tables:
                if t.name == name:
                    return job, t
        raise KeyError(name)

    def producer_of(self) -> dict[str, str]:
        """Artifact path or value name -> job name."""
        out: dict[str, str] = {}
        for job in self.jobs:
            for p in job.artifact_paths():
                out[p] = job.name
            for v in job.values:
                out[f"values:{v}"] = job.name
            for c in job.claims:
                out[f"claims:{c}"] = job.name
        return out


def _safe_relpath(value: Any, where: str, root: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{SPEC_FILE}: {where} must be a path relative to the project, got {value!r}")
    p = PurePosixPath(value)
    if p.is_absolute() or ".." in p.parts:
        raise ConfigError(
            f"{SPEC_FILE}: {where} '{value}' leaves the project folder; "
            "use a path inside the project, without '..' or a leading '/'"
        )
    return p.as_posix()


def _names(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = list(value)
    if not isinstance(value, list):
        raise ConfigError(f"{SPEC_FILE}: {where} must be a list of names")
    for v in value:
        if not isinstance(v, str) or not NAME.match(v):
            raise ConfigError(
                f"{SPEC_FILE}: {where}: '{v}' is not a valid name; use lowercase letters, digits and '_'"
            )
    return value


def parse(raw: Any, root: Path) -> Pipeline:
    if not isinstance(raw, dict) or "jobs" not in raw:
        raise ConfigError(f"{SPEC_FILE}: the file must be a mapping with a 'jobs:' section")
    extra = set(raw) - TOP_KEYS
    if extra:
        raise ConfigError(f"{SPEC_FILE}: unknown top-level key(s) {sorted(extra)}; allowed: {sorted(TOP_KEYS)}")
    jobs_raw = raw["jobs"]
    if not isinstance(jobs_raw, dict) or not jobs_raw:
        raise ConfigError(f"{SPEC_FILE}: 'jobs:' must map job names to job entries")
    jobs: list[Job] = []
    seen_outputs: dict[str, str] = {}
    for name, entry in jobs_raw.items():
        where = f"job '{name}'"
        if not isinstance(name, str) or not NAME.match(name):
            raise ConfigError(f"{SPEC_FILE}: job name '{name}' is not valid; use lowercase letters, digits and '_'")
        if not isinstance(entry, dict):
            raise ConfigError(f"{SPEC_FILE}: {where} must be a mapping with notebook, parameters, inputs, outputs")
        unknown = set(entry) - JOB_KEYS
        if unknown:
            raise ConfigError(f"{SPEC_FILE}: {where} has unknown key(s) {sorted(unknown)}; allowed: {sorted(JOB_KEYS)}")
        if "notebook" not in entry:
            raise ConfigError(f"{SPEC_FILE}: {where} has no 'notebook:'")
        notebook = _safe_relpath(entry["notebook"], f"{where} notebook", root)
        if not (root / notebook).is_file():
            raise ConfigError(f"{SPEC_FILE}: {where} names notebook '{notebook}', which does not exist; fix the path")
        params = entry.get("parameters") or {}
        if not isinstance(params, dict):
            raise ConfigError(f"{SPEC_FILE}: {where} parameters must be a mapping name: value")
        for k, v in params.items():
            if not isinstance(k, str) or not k.isidentifier():
                raise ConfigError(f"{SPEC_FILE}: {where} parameter '{k}' is not a valid Python name")
            if not _is_literal(v):
                raise ConfigError(f"{SPEC_FILE}: {where} parameter '{k}' must be a number, string, boolean, list or mapping")
        inputs_raw = entry.get("inputs") or []
        if not isinstance(inputs_raw, list):
            raise ConfigError(f"{SPEC_FILE}: {where} inputs must be a list of paths")
        inputs = tuple(_safe_relpath(p, f"{where} input", root) for p in inputs_raw)
        if len(set(inputs)) != len(inputs):
            raise ConfigError(f"{SPEC_FILE}: {where} lists an input twice")
        outputs = entry.get("outputs") or {}
        if not isinstance(outputs, dict) or not outputs:
            raise ConfigError(f"{SPEC_FILE}: {where} declares no outputs; add outputs: tables/figures/values")
        bad = set(outputs) - set(OUTPUT_KINDS)
        if bad:
            raise ConfigError(f"{SPEC_FILE}: {where} outputs has unknown kind(s) {sorted(bad)}; allowed: {list(OUTPUT_KINDS)}")
        tables = []
        traw = outputs.get("tables") or {}
        if isinstance(traw, list):
            traw = {t: {} for t in traw}
        for tname in _names(traw, f"{where} outputs.tables"):
            opts = traw[tname] or {}
            if not isinstance(opts, dict) or set(opts) - TABLE_KEYS:
                raise ConfigError(f"{SPEC_FILE}: {where} table '{tname}' options must be among {sorted(TABLE_KEYS)}")
            key = opts.get("key") or []
            key = [key] if isinstance(key, str) else key
            tol = opts.get("tolerance", 0)
            if not isinstance(tol, (int, float)) or tol < 0:
                raise ConfigError(f"{SPEC_FILE}: {where} table '{tname}' tolerance must be a number >= 0")
            tables.append(TableOutput(tname, tuple(key), float(tol), bool(opts.get("report", False))))
        figures = _names(outputs.get("figures"), f"{where} outputs.figures")
        values = _names(outputs.get("values"), f"{where} outputs.values")
        claims = _names(outputs.get("claims"), f"{where} outputs.claims")
        sweep = _sweep(entry.get("sweep"), where, params, bool(figures or values or claims))
        timeout = entry.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ConfigError(f"{SPEC_FILE}: {where} timeout must be a number of seconds above 0, got {timeout!r}")
        description = entry.get("description") or ""
        job = Job(name, notebook, dict(params), inputs, tuple(tables), tuple(figures), tuple(values), sweep,
                  tuple(claims), None if timeout is None else float(timeout), str(description))
        for out in job.artifact_paths() + [f"value '{v}'" for v in values] + [f"claim '{c}'" for c in claims]:
            if out in seen_outputs:
                raise ConfigError(
                    f"{SPEC_FILE}: {where} declares output {out}, which job '{seen_outputs[out]}' "
                    "also declares; every output needs one producer, rename one of them"
                )
            seen_outputs[out] = name
        jobs.append(job)
    pipeline = Pipeline(tuple(jobs), _settings.parse(raw.get("settings")))
    order(pipeline)  # raises on cycles
    return pipeline


def grid(start: float, stop: float, step: float) -> tuple[float, ...]:
    """Points from start to stop inclusive, computed from integer steps so that no float drift creeps in."""
    n = round((stop - start) / step)
    if n < 0 or abs(start + n * step - stop) > abs(step) * 1e-6:
        raise ValueError
    return tuple(round(start + i * step, 10) for i in range(n + 1))


def _sweep(raw: Any, where: str, params: dict[str, Any], has_other_outputs: bool) -> Sweep | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - SWEEP_KEYS or "parameter" not in raw or "values" not in raw:
        raise ConfigError(f"{SPEC_FILE}: {where} sweep must be a mapping with parameter, values, and optionally "
                          f"column and chunks")
    if has_other_outputs:
        raise ConfigError(f"{SPEC_FILE}: {where} is a sweep: it may declare tables only (draw figures in a job "
                          "that reads the gathered table)")
    param = raw["parameter"]
    if param in params:
        raise ConfigError(f"{SPEC_FILE}: {where} sweeps over '{param}', which is also set under parameters")
    values = raw["values"]
    if isinstance(values, dict):
        try:
            points = grid(float(values["start"]), float(values["stop"]), float(values["step"]))
        except (KeyError, ValueError, TypeError, ZeroDivisionError):
            raise ConfigError(f"{SPEC_FILE}: {where} sweep values need start, stop and step, with stop reachable "
                              "from start in whole steps") from None
    elif isinstance(values, list) and values and all(_is_literal(v) for v in values):
        points = tuple(values)
    else:
        raise ConfigError(f"{SPEC_FILE}: {where} sweep values must be a list or {{start, stop, step}}")
    if len(set(points)) != len(points):
        raise ConfigError(f"{SPEC_FILE}: {where} sweep values repeat a point")
    chunks = raw.get("chunks", 0)
    if chunks == "auto":
        chunks = 0
    if not isinstance(chunks, int) or chunks < 0:
        raise ConfigError(f"{SPEC_FILE}: {where} sweep chunks must be a whole number or 'auto'")
    return Sweep(param, points, str(raw.get("column", param)), chunks)


def _is_literal(v: Any) -> bool:
    """A value pipeline.yml may give a parameter; dates are typed later against the notebook's default."""
    if v is None or isinstance(v, (bool, int, float, str, _dt.date)):
        return True
    if isinstance(v, list):
        return all(_is_literal(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _is_literal(x) for k, x in v.items())
    return False


def upstream(pipeline: Pipeline) -> dict[str, set[str]]:
    """Job name -> names of the jobs whose outputs it takes as inputs."""
    producer = pipeline.producer_of()
    return {j.name: {producer[i] for i in j.inputs if i in producer} for j in pipeline.jobs}


def order(pipeline: Pipeline) -> list[str]:
    """Job names in an order where every job comes after the jobs it reads from."""
    deps = upstream(pipeline)
    done: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join(trail[trail.index(name):] + [name])
            raise ConfigError(f"{SPEC_FILE}: the jobs form a cycle ({cycle}); a job cannot read its own outputs")
        state[name] = 1
        for d in sorted(deps[name]):
            visit(d, trail + [name])
        state[name] = 2
        done.append(name)

    for j in pipeline.jobs:
        visit(j.name, [])
    return done


def read_raw(root: Path) -> Any:
    """pipeline.yml parsed as YAML (memoised per file version). Raises ConfigError on syntax errors."""
    path = Path(root) / SPEC_FILE
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(f"{SPEC_FILE} not found in {root}; create it (`reprobook init` writes a starting one)") from None
    # ctime too: an edit whose time stamp was set back (touch -r, rsync -t, an archive) changes it
    return _read_raw(str(path), st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


@functools.lru_cache(maxsize=8)
def _read_raw(path: str, mtime_ns: int, ctime_ns: int, size: int, ino: int) -> Any:
    import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{SPEC_FILE} is not valid YAML{line}: {getattr(exc, 'problem', exc)}; fix the syntax") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{SPEC_FILE} is not UTF-8 text; save it as UTF-8") from None


def load_settings(root: Path) -> Settings:
    """The validated `settings:` block of the project's pipeline.yml (defaults where absent)."""
    raw = read_raw(root)
    return _settings.parse(raw.get("settings") if isinstance(raw, dict) else None)


def load(root: Path) -> Pipeline:
    """The project's pipeline.yml, validated. Raises ConfigError naming the entry and the fix."""
    return parse(read_raw(root), Path(root))
