"""The `settings:` block of pipeline.yml: one place for every project-wide choice, with a schema.

Every key has a type, a default and a description; an unknown key is an error that names it and
lists the known ones. `reference()` renders the schema as Markdown for the adopter's guide, so
the documentation cannot drift from the code.

    settings:
      paths:
        data: data                  # folder of data files
        datapackage: data/datapackage.json
        book: book                  # folder of the book's pages
        bibliography: references.bib
        code: [src]                 # folders holding the project's own importable code
        lock: requirements.lock
      timeout: 1800                 # seconds a job may run before it is stopped
      warnings: error               # book warnings: error (strict) or report
      scheduler: local              # local, or a Dask scheduler address tcp://host:8786
      workers: 0                    # parallel local jobs; 0: one per core (at most 8)
      warm_kernels: true            # fork job kernels from a warm parent process
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import PurePosixPath
from typing import Any

from .errors import ConfigError

SPEC_FILE = "pipeline.yml"


@dataclass(frozen=True)
class Key:
    """One setting: its name, the type it takes, its default and what it means."""

    name: str
    kind: str  # "path", "paths", "number", "text", "flag", "choice", "address", "count"
    default: Any
    description: str
    choices: tuple[str, ...] = ()


PATH_KEYS = (
    Key("data", "path", "data", "folder of the project's data files"),
    Key("datapackage", "path", None, "Frictionless data package describing the data files; checked when it "
        "exists (default: `datapackage.json` in the data folder)"),
    Key("book", "path", "book", "folder of the book's pages (used to find citations and where results are used)"),
    Key("bibliography", "path", "references.bib", "BibTeX file of the book; checked when it exists"),
    Key("code", "paths", ("src",), "folders of the project's own importable code: put on the kernel's import "
        "path and followed for staleness (a notebook's own folder always is)"),
    Key("lock", "path", "requirements.lock", "the pinned environment; part of every job's key"),
)

TOP_KEYS = (
    Key("paths", "section", None, "where the project's parts are (below)"),
    Key("timeout", "number", 1800, "seconds a job may run before it is stopped and reported (per job: "
        "`timeout:` in the job)"),
    Key("warnings", "choice", "error", "what a warning of the book build does: `error` stops the build "
        "(strict), `report` prints it and goes on", ("error", "report")),
    Key("scheduler", "address", "local", "where jobs run: `local` processes or a Dask scheduler address "
        "such as `tcp://host:8786` (overridden by `--scheduler` and `SCHEDULER`)"),
    Key("workers", "count", 0, "local jobs run at once; 0 means one per core, at most 8 (overridden by `-j`)"),
    Key("warm_kernels", "flag", True, "start each job's kernel by forking a warm parent process that has "
        "imported the third-party libraries the notebooks import (never project code)"),
)


@dataclass(frozen=True)
class PathSettings:
    data: str = "data"
    datapackage: str | None = None
    book: str = "book"
    bibliography: str = "references.bib"
    code: tuple[str, ...] = ("src",)
    lock: str = "requirements.lock"


@dataclass(frozen=True)
class Settings:
    """The validated `settings:` block; every field has its documented default."""

    paths: PathSettings = field(default_factory=PathSettings)
    timeout: float = 1800.0
    warnings: str = "error"
    scheduler: str = "local"
    workers: int = 0
    warm_kernels: bool = True


def _err(where: str, msg: str) -> ConfigError:
    return ConfigError(f"{SPEC_FILE}: settings.{where}: {msg}")


def _relpath(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _err(where, f"must be a path relative to the project folder, got {value!r}")
    p = PurePosixPath(value.strip())
    if p.is_absolute() or ".." in p.parts:
        raise _err(where, f"'{value}' leaves the project folder; use a path inside it, without '..' or a leading '/'")
    return p.as_posix()


def _check(key: Key, value: Any, where: str) -> Any:
    if key.kind == "path":
        return None if value is None and key.default is None else _relpath(value, where)
    if key.kind == "paths":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise _err(where, f"must be a list of folders, got {value!r}")
        return tuple(_relpath(v, f"{where}[{i}]") for i, v in enumerate(value))
    if key.kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise _err(where, f"must be a number of seconds above 0, got {value!r}")
        return float(value)
    if key.kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _err(where, f"must be a whole number >= 0, got {value!r}")
        return value
    if key.kind == "flag":
        if not isinstance(value, bool):
            raise _err(where, f"must be true or false, got {value!r}")
        return value
    if key.kind == "choice":
        if value not in key.choices:
            raise _err(where, f"must be one of {', '.join(key.choices)}, got {value!r}")
        return value
    if key.kind == "address":
        if not isinstance(value, str) or not (value == "local" or re.match(r"^(tcp|tls|inproc|ucx)://\S+$", value)):
            raise _err(where, f"must be 'local' or a Dask scheduler address such as tcp://host:8786, got {value!r}")
        return value
    raise AssertionError(key.kind)


def _unknown(raw: dict, keys: tuple[Key, ...], where: str) -> None:
    known = {k.name for k in keys}
    extra = [k for k in raw if k not in known]
    if extra:
        import difflib

        hints = []
        for e in extra:
            near = difflib.get_close_matches(str(e), sorted(known), n=1)
            hints.append(f"'{e}'" + (f" (did you mean '{near[0]}'?)" if near else ""))
        raise ConfigError(f"{SPEC_FILE}: unknown key(s) {', '.join(hints)} in {where}; "
                          f"known: {', '.join(sorted(known))}")


def parse(raw: Any) -> Settings:
    """Validate a `settings:` mapping (None: all defaults). Raises ConfigError naming the key."""
    if raw is None:
        return Settings()
    if not isinstance(raw, dict):
        raise ConfigError(f"{SPEC_FILE}: 'settings:' must be a mapping of names to values")
    _unknown(raw, TOP_KEYS, "settings")
    values: dict[str, Any] = {}
    for key in TOP_KEYS:
        if key.name == "paths" or key.name not in raw:
            continue
        values[key.name] = _check(key, raw[key.name], key.name)
    paths_raw = raw.get("paths") or {}
    if not isinstance(paths_raw, dict):
        raise ConfigError(f"{SPEC_FILE}: settings.paths must be a mapping such as {{data: data, book: book}}")
    _unknown(paths_raw, PATH_KEYS, "settings.paths")
    pvalues = {k.name: _check(k, paths_raw[k.name], f"paths.{k.name}") for k in PATH_KEYS if k.name in paths_raw}
    return Settings(paths=PathSettings(**pvalues), **values)


def reference() -> str:
    """The settings schema as a Markdown table (for the adopter's guide)."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]

    def fmt(v: Any) -> str:
        if v is None:
            return "(see meaning)"
        if isinstance(v, bool):
            return "`true`" if v else "`false`"
        if isinstance(v, tuple):
            return "`[" + ", ".join(v) + "]`"
        return f"`{v:g}`" if isinstance(v, float) else f"`{v}`"

    for key in TOP_KEYS:
        if key.name == "paths":
            for pk in PATH_KEYS:
                rows.append(f"| `paths.{pk.name}` | {pk.kind} | {fmt(pk.default)} | {pk.description} |")
            continue
        kind = key.kind if not key.choices else " or ".join(f"`{c}`" for c in key.choices)
        rows.append(f"| `{key.name}` | {kind} | {fmt(key.default)} | {key.description} |")
    return "\n".join(rows) + "\n"


assert {f.name for f in fields(Settings)} == {k.name for k in TOP_KEYS}
assert {f.name for f in fields(PathSettings)} == {k.name for k in PATH_KEYS}
