"""Ship a job to a worker that shares no file system with the project, and bring its outputs back.

A bundle holds everything the job needs as data: the notebook, its parameters, the bytes of its
declared inputs, the project's own code (the .py files of its code folders and beside the
notebook) and the locked package versions. The
worker runs it in a temporary folder and returns the declared outputs, the executed notebook and
the log as data; only the coordinating process writes into the project.
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from . import execute

_ONE_AT_A_TIME = threading.Lock()  # a job sets environment variables that its kernel inherits


def locked_versions(lockfile: Path) -> dict[str, str]:
    """name -> version pinned in the lock (see reprobook.environment)."""
    from .environment import locked_versions as pins

    return pins(lockfile)


def code_files(task: execute.Task) -> dict[str, bytes]:
    """The project's code a job may import, by project-relative path: .py files under the code
    folders and beside the notebook."""
    root = Path(task.root)
    out: dict[str, bytes] = {}
    for folder in (Path(task.notebook).parent, *map(Path, task.code_dirs)):
        if not folder.is_dir():
            continue
        for p in sorted(folder.rglob("*.py")):
            if "__pycache__" not in p.parts:
                out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def pack(task: execute.Task, root: Path, versions: dict[str, str]) -> dict[str, Any]:
    """A job as data: notebook, inputs and code as bytes, so that a worker needs no shared files."""
    notebook_rel = Path(task.notebook).relative_to(root).as_posix()
    return {
        "task": asdict(task),
        "notebook_rel": notebook_rel,
        "notebook": Path(task.notebook).read_bytes(),
        "inputs": {rel: Path(path).read_bytes() for rel, path in task.inputs.items()},
        "code": code_files(task),
        "code_dirs": [Path(d).relative_to(root).as_posix() for d in task.code_dirs],
        "versions": versions,
    }


def environment_mismatch(versions: dict[str, str]) -> list[str]:
    wrong = []
    for name, want in sorted(versions.items()):
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = None
        if have != want:
            wrong.append(f"{name} {have or 'missing'} (lock: {want})")
    return wrong


def run_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    """Runs on the worker. Never raises for a failing notebook: the result says what happened."""
    t = bundle["task"]
    host = f"{socket.gethostname()} pid {os.getpid()}"
    wrong = environment_mismatch(bundle["versions"])
    if wrong:
        return {"ok": False, "worker": host, "outputs": {},
                "files": {}, "error": f"worker {host} runs an environment that differs from requirements.lock: "
                         + ", ".join(wrong[:8]) + "; install the lock on the workers (pip install -r requirements.lock)",
                "cell": None, "seconds": 0.0}
    with _ONE_AT_A_TIME:
        tmp = Path(tempfile.mkdtemp(prefix="reprobook-job-"))
        project = tmp / "project"
        try:
            for rel, data in {**bundle["code"], **bundle["inputs"], bundle["notebook_rel"]: bundle["notebook"]}.items():
                (project / rel).parent.mkdir(parents=True, exist_ok=True)
                (project / rel).write_bytes(data)
            task = execute.Task(**{**t, "expected": tuple(t["expected"]), "values": tuple(t["values"]),
                                   "claims": tuple(t["claims"]), "preload": tuple(t["preload"]),
                                   "modules": tuple(t.get("modules", ())),
                                   "notebook": str(project / bundle["notebook_rel"]), "root": str(project),
                                   "inputs": {rel: str(project / rel) for rel in bundle["inputs"]},
                                   "code_dirs": tuple(str(project / d) for d in bundle["code_dirs"]),
                                   "folder": str(tmp / "run"), "kernel_home": str(worker_kernel_home())})
            if task.warm:
                from . import warm

                warm.join_run(task.run_id)
            out = execute.run(task)
            jd = out.jobdir
            outputs = {}
            if out.ok:
                outputs = {p.relative_to(jd.out).as_posix(): p.read_bytes() for p in jd.out.rglob("*") if p.is_file()}
            files = {name: (jd.folder / name).read_bytes() for name in ("executed.ipynb", "job.log", "kernel.log",
                                                                         "kernel.json") if (jd.folder / name).is_file()}
            return {"ok": out.ok, "worker": host, "outputs": outputs, "files": files,
                    "error": out.error, "cell": out.cell, "seconds": out.seconds, "kernel": out.kernel}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def worker_kernel_home() -> Path:
    """One kernel configuration folder per worker machine and user, so that a worker's warm kernel
    parent serves every job it runs (its key includes this folder)."""
    return Path(tempfile.gettempdir()) / f"reprobook-worker-kernel-{os.getuid()}"


def unpack(result: dict[str, Any], task: execute.Task) -> execute.Outcome:
    """Runs on the coordinator: lay the returned outputs and files into the job's folder."""
    from .jobdir import JobDir

    jd = JobDir(Path(task.folder)).create()
    for rel, data in result["outputs"].items():
        (jd.out / rel).parent.mkdir(parents=True, exist_ok=True)
        (jd.out / rel).write_bytes(data)
    for name, data in result.get("files", {}).items():
        (jd.folder / name).write_bytes(data)
    log = jd.log
    log.write_text(f"[ran on {result['worker']}]\n" + (log.read_text(encoding="utf-8") if log.is_file() else ""),
                   encoding="utf-8")
    return execute.Outcome(task.job, task.key, result["ok"], result["seconds"], str(jd.folder), result["error"],
                           result["cell"], result.get("kernel", {}))
