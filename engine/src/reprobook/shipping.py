"""Ship a job to a worker that shares no file system with the project, and bring its outputs back.

A bundle holds everything the job needs as data: the notebook, its parameters, the bytes of its
declared inputs, the project's own code (src/ as a zip) and the locked package versions. The
worker runs it in a temporary folder and returns the declared outputs, the executed notebook and
the log as data; only the coordinating process writes into the project.
"""
from __future__ import annotations

import io
import os
import shutil
import socket
import tempfile
import threading
import zipfile
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from . import execute

_ONE_AT_A_TIME = threading.Lock()  # a job sets environment variables that its kernel inherits


def locked_versions(lockfile: Path) -> dict[str, str]:
    out = {}
    if lockfile.is_file():
        for line in lockfile.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "==" in line:
                name, version = line.split("==", 1)
                out[name.strip().lower()] = version.strip()
    return out


def zip_tree(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if folder.is_dir():
            for p in sorted(folder.rglob("*.py")):
                if "__pycache__" not in p.parts:
                    zf.writestr(zipfile.ZipInfo(p.relative_to(folder).as_posix(), (1980, 1, 1, 0, 0, 0)), p.read_bytes())
    return buf.getvalue()


def pack(task: execute.Task, root: Path, code_zip: bytes, versions: dict[str, str]) -> dict[str, Any]:
    notebook_rel = Path(task.notebook).relative_to(root).as_posix()
    return {
        "task": asdict(task),
        "notebook_rel": notebook_rel,
        "notebook": Path(task.notebook).read_bytes(),
        "inputs": {rel: Path(path).read_bytes() for rel, path in task.inputs.items()},
        "code": code_zip,
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
        return {"ok": False, "worker": host, "outputs": {}, "executed": b"", "log": "",
                "error": f"worker {host} runs an environment that differs from requirements.lock: "
                         + ", ".join(wrong[:8]) + "; install the lock on the workers (pip install -r requirements.lock)",
                "cell": None, "seconds": 0.0}
    with _ONE_AT_A_TIME:
        tmp = Path(tempfile.mkdtemp(prefix="reprobook-job-"))
        try:
            for rel, data in bundle["inputs"].items():
                (tmp / "project" / rel).parent.mkdir(parents=True, exist_ok=True)
                (tmp / "project" / rel).write_bytes(data)
            nb = tmp / "project" / bundle["notebook_rel"]
            nb.parent.mkdir(parents=True, exist_ok=True)
            nb.write_bytes(bundle["notebook"])
            with zipfile.ZipFile(io.BytesIO(bundle["code"])) as zf:
                zf.extractall(tmp / "code")
            task = execute.Task(**{**t, "expected": tuple(t["expected"]), "values": tuple(t["values"]),
                                   "notebook": str(nb), "root": str(tmp / "project"),
                                   "inputs": {rel: str(tmp / "project" / rel) for rel in bundle["inputs"]},
                                   "scratch": str(tmp / "scratch"), "executed": str(tmp / "executed.ipynb"),
                                   "log": str(tmp / "job.log")})
            saved = os.environ.get("PYTHONPATH")
            os.environ["PYTHONPATH"] = str(tmp / "code")  # the shipped project code, not the worker's
            try:
                out = execute.run(task)
            finally:
                if saved is None:
                    os.environ.pop("PYTHONPATH", None)
                else:
                    os.environ["PYTHONPATH"] = saved
            outputs = {}
            out_dir = Path(out.output_dir)
            if out.ok:
                outputs = {p.relative_to(out_dir).as_posix(): p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
            executed = Path(task.executed)
            log = Path(task.log)
            return {"ok": out.ok, "worker": host, "outputs": outputs,
                    "executed": executed.read_bytes() if executed.is_file() else b"",
                    "log": log.read_text(encoding="utf-8") if log.is_file() else "",
                    "error": out.error, "cell": out.cell, "seconds": out.seconds}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def unpack(result: dict[str, Any], task: execute.Task) -> execute.Outcome:
    """Runs on the coordinator: lay the returned outputs into the job's scratch folder."""
    scratch = Path(task.scratch)
    out_dir = scratch / "out"
    if scratch.exists():
        shutil.rmtree(scratch)
    out_dir.mkdir(parents=True)
    for rel, data in result["outputs"].items():
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / rel).write_bytes(data)
    Path(task.executed).parent.mkdir(parents=True, exist_ok=True)
    Path(task.log).parent.mkdir(parents=True, exist_ok=True)
    if result["executed"]:
        Path(task.executed).write_bytes(result["executed"])
    Path(task.log).write_text(f"[ran on {result['worker']}]\n" + result["log"], encoding="utf-8")
    return execute.Outcome(task.job, task.key, result["ok"], result["seconds"], str(out_dir), task.executed,
                           task.log, result["error"], result["cell"])
