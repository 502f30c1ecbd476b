"""Undeclared reads and writes: an audit hook in the job's kernel sees every file it opens.

Inside the project folder a job may read only its declared inputs (through the files
`nb.input_path` gives), the project's code (`.py` files beside the notebook and in the code
folders), and its own folders; it may write only into its scratch folder. Anywhere outside the
project it may read, and write only into the system's temporary folder and the kernel's private
configuration folders. Everything else is an error naming the file and the job, raised where the
notebook opens the file and also written to the job's audit log, so that a notebook that catches
the exception still fails its job.

The policy is plain data (`Policy`), checked by a pure function (`check`), so that it can be
tested in-process; `install` puts it into the running interpreter with `sys.addaudithook`.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
ENV = "REPROBOOK_GUARD"


class UndeclaredAccess(PermissionError):
    """A job read a project file it did not declare, or wrote outside its scratch folder."""


@dataclass(frozen=True)
class Policy:
    job: str
    root: str  # the project folder (absolute, resolved)
    inputs: tuple[str, ...]  # files the job may read (absolute, resolved)
    redirected: tuple[tuple[str, str], ...]  # (project path, file to read instead): upstream outputs
    code_dirs: tuple[str, ...]  # folders whose .py files the job may import
    writable: tuple[str, ...]  # folders the job may write into (scratch, kernel home, temp)
    readable: tuple[str, ...]  # further folders the job may read (the environment's prefix)
    audit_log: str = ""
    tracked: tuple[str, ...] | None = None  # project code the build follows (absolute); None: not checked

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, text: str) -> "Policy":
        d = json.loads(text)
        tracked = d.get("tracked")
        return cls(d["job"], d["root"], tuple(d["inputs"]), tuple(tuple(p) for p in d["redirected"]),
                   tuple(d["code_dirs"]), tuple(d["writable"]), tuple(d["readable"]), d.get("audit_log", ""),
                   None if tracked is None else tuple(tracked))


def _under(path: str, folders: tuple[str, ...]) -> bool:
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def check(policy: Policy, path: str, write: bool) -> str:
    """'' when the access is allowed, else the message of the error (file, job, rule, fix).

    Inside the project the project's rules apply, even when the project itself lies inside a
    folder that is writable as a whole (a project under /tmp)."""
    p = os.path.realpath(path)
    inside = _under(p, (policy.root,))
    rel = os.path.relpath(p, policy.root) if inside else p
    mine = tuple(f for f in policy.writable if _under(f, (policy.root,)))  # the job's folders in the project
    if write:
        if (_under(p, mine) if inside else _under(p, policy.writable)):
            return ""
        where = "into the project" if inside else "outside the project"
        return (f"job '{policy.job}' wrote {rel} ({where}); a job may write only into its scratch folder: save "
                "results with reprobook.nb (save_table, save_figure, save_value), or write scratch files to "
                "tempfile.mkdtemp()")
    if not inside or _under(p, mine) or _under(p, policy.readable):
        return ""
    if p in policy.inputs:
        return ""
    for project_path, actual in policy.redirected:
        if p == project_path:
            return (f"job '{policy.job}' read {rel} directly; that file is another job's output, and this run's "
                    f"version is elsewhere: read it through nb.input_path('{os.path.relpath(project_path, policy.root)}')")
    if _under(p, policy.code_dirs) and (p.endswith((".py", ".pyc", ".pth")) or "__pycache__" in p.split(os.sep)):
        source = _source_of(p)
        if policy.tracked is None or source in policy.tracked or not source.endswith(".py"):
            return ""
        rel_source = os.path.relpath(source, policy.root)
        return (f"job '{policy.job}' imported {rel_source}, project code that the build cannot see in its notebook's "
                "imports (a dynamic import?), so an edit to it would not re-run the job; import it with a plain "
                "`import` or `from ... import` statement in the notebook or in the code it imports")
    return (f"job '{policy.job}' read {rel}, which it does not declare as an input; add '{rel}' to the job's "
            "inputs in pipeline.yml (so that the build knows to re-run it when the file changes) and read it "
            "through nb.input_path")


def _source_of(path: str) -> str:
    """The .py file a compiled file in __pycache__ comes from (the path itself otherwise)."""
    folder, name = os.path.split(path)
    if os.path.basename(folder) == "__pycache__" and name.endswith(".pyc"):
        return os.path.join(os.path.dirname(folder), name.split(".")[0] + ".py")
    return path


_WRITE_EVENTS = {"os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1),
                 "shutil.rmtree": (0,), "os.link": (1,), "os.symlink": (1,), "os.truncate": (0,),
                 "os.chmod": (0,), "os.utime": (0,)}


def _is_write(mode, flags) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & WRITE_FLAGS)


def _as_path(p) -> str | None:
    if isinstance(p, int):
        return None
    if isinstance(p, bytes):
        return os.fsdecode(p)
    if isinstance(p, os.PathLike):
        return os.fspath(p)
    return p if isinstance(p, str) else None


def install(policy: Policy) -> None:
    """Put the policy into this interpreter (for good: audit hooks cannot be removed)."""
    busy = [False]

    def report(message: str) -> None:
        if policy.audit_log:
            try:
                with open(policy.audit_log, "a", encoding="utf-8") as fh:
                    fh.write(message + "\n")
            except OSError:
                pass

    def hook(event: str, args: tuple) -> None:
        if busy[0]:
            return
        if event == "open":
            path, mode, flags = (list(args) + [None, None, None])[:3]
            targets, write = [path], _is_write(mode, flags)
        elif event in _WRITE_EVENTS:
            targets, write = [args[i] for i in _WRITE_EVENTS[event] if i < len(args)], True
        else:
            return
        for t in targets:
            p = _as_path(t)
            if p is None:
                continue
            busy[0] = True
            try:
                message = check(policy, os.path.abspath(p), write)
                if message:
                    report(message)
                    raise UndeclaredAccess(message)
            finally:
                busy[0] = False

    sys.addaudithook(hook)


def install_from_env() -> None:
    """Install the policy the engine put into the environment variable REPROBOOK_GUARD, if any."""
    text = os.environ.get(ENV)
    if text:
        install(Policy.from_env(text))
