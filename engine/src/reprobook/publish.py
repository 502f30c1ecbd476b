"""Publishing: job outputs go to the cache, then `results/` and its manifest change in one swap.

A successful run's folder (its executed notebook already made a record, see
`reprobook.provenance`) is renamed into `_build/cache/<job>/<key>/` (atomic); when every job
has succeeded, a complete new `results/` tree is laid out in `_build/results.next` (unchanged
files hard-linked, so that Sphinx sees them unchanged) and swapped in with two renames.
`recover` finishes or undoes a swap that a crash interrupted.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from . import environment, manifest as mf, provenance
from .hashing import content_sha256
from .jobdir import JobDir
from .paths import Paths
from .plan import FRESH, JobPlan


def source(paths: Paths, jp: JobPlan) -> Path:
    """The folder holding a job's outputs (tables/, figures/, values.json) to publish."""
    return paths.results if jp.state == FRESH else jp.cache_dir / "out"


def store(jp: JobPlan, run_folder: Path) -> None:
    """Move a successful run's folder into the cache under the job's key (a rename)."""
    dest = jp.cache_dir
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(run_folder, dest)


def recover(paths: Paths) -> None:
    """Finish or undo a publish that was interrupted; drop the scratch folders of dead runs."""
    nxt, old = paths.build / "results.next", paths.build / "results.old"
    if old.exists():
        if paths.results.exists():
            shutil.rmtree(old)
        else:
            os.replace(old, paths.results)
    if nxt.exists():
        shutil.rmtree(nxt)
    if paths.scratch.exists():
        shutil.rmtree(paths.scratch)


def _place(src: Path, current: Path, dest: Path) -> None:
    """Reuse the current file (same inode, same time stamps) when its content is unchanged."""
    if current.is_file() and (src == current or content_sha256(src) == content_sha256(current)):
        os.link(current, dest)
    else:
        shutil.copyfile(src, dest)


def _write_if_changed(dest: Path, text: str, current: Path) -> None:
    data = text.encode("utf-8")
    if current.is_file() and current.read_bytes() == data:
        os.link(current, dest)
    else:
        dest.write_bytes(data)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}


KINDS = {"tables": "table", "figures": "figure", provenance.NOTEBOOKS: "notebook"}  # folder in results/ -> kind


def _where(saved: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    """The manifest fields saying which cell of the job's record notebook saved an output
    ("cell") and, for a value, the data rows that fed it ("rows")."""
    entry = saved.get(provenance.artifact_key(kind, name)) or {}
    return {k: entry[k] for k in ("cell", "rows") if k in entry}


def assemble(paths: Paths, plans: list[JobPlan], env_desc: dict[str, Any], target: Path) -> dict[str, Any]:
    """Lay out a complete results/ tree in `target` from the jobs' outputs; return its manifest."""
    if target.exists():
        shutil.rmtree(target)
    (target / "tables").mkdir(parents=True)
    (target / "figures").mkdir()
    current = {"value": _read_json(paths.values), "claim": _read_json(paths.results / "claims.json")}
    collected: dict[str, dict[str, Any]] = {"value": {}, "claim": {}}
    artifacts: list[dict[str, Any]] = []
    jobs: dict[str, Any] = {}
    for jp in plans:
        job, src = jp.job, source(paths, jp)
        jobs[job.name] = {**jp.record, "key": jp.key}
        common = {"job": job.name, "notebook": job.notebook, "parameters": jp.parameters,
                  "inputs": jp.record["inputs"]}
        saved = provenance.read_saved(src / provenance.NOTEBOOKS / f"{job.name}.ipynb")
        for rel in job.artifact_paths():
            inner = Path(rel).relative_to("results")
            (target / inner).parent.mkdir(parents=True, exist_ok=True)
            _place(src / inner, paths.root / rel, target / inner)
            kind = KINDS[inner.parts[0]]
            artifacts.append({"path": rel, "kind": kind, "name": inner.stem, "format": inner.suffix[1:],
                              "sha256": content_sha256(target / inner), **common,
                              **_where(saved, kind, inner.stem)})
        for kind, names, file in (("value", job.values, "values.json"), ("claim", job.claims, "claims.json")):
            if not names:
                continue
            entries = current[kind] if jp.state == FRESH else _read_json(src / file)
            for name in names:
                collected[kind][name] = entries[name]
                artifacts.append({"path": f"results/{kind}s.json#{name}", "kind": kind, "name": name,
                                  "sha256": mf.value_sha(entries[name]), **common, **_where(saved, kind, name)})
    for kind, file in (("value", "values.json"), ("claim", "claims.json")):
        if collected[kind] or kind == "value":
            _write_if_changed(target / file, mf.dumps(collected[kind]), paths.results / file)
    manifest = {"format": mf.FORMAT, "environment": environment.record_form(env_desc),
                "artifacts": sorted(artifacts, key=lambda a: a["path"]), "jobs": jobs}
    _write_if_changed(target / "manifest.json", mf.dumps(manifest), paths.manifest)
    return manifest


def tree_files(folder: Path) -> dict[str, int]:
    """Relative path -> inode of every file under `folder`."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def publish(paths: Paths, plans: list[JobPlan], env_desc: dict[str, Any]) -> list[str]:
    """Replace results/ by the assembled tree in one swap; return what changed, in words."""
    nxt, old = paths.build / "results.next", paths.build / "results.old"
    paths.build.mkdir(exist_ok=True)
    assemble(paths, plans, env_desc, nxt)
    now, new = tree_files(paths.results), tree_files(nxt)
    changes = sorted(
        [f"added   results/{p}" for p in new if p not in now]
        + [f"removed results/{p}" for p in now if p not in new]
        + [f"changed results/{p}" for p in new if p in now and now[p] != new[p]])
    if not changes:
        shutil.rmtree(nxt)
        return []
    if paths.results.exists():
        os.replace(paths.results, old)
    os.replace(nxt, paths.results)
    if old.exists():
        shutil.rmtree(old)
    return changes


def keep_latest(paths: Paths, job: str, folder: Path, suffix: str = "") -> tuple[Path, Path]:
    """Copy a run's executed notebook and log to `_build/executed/<job>.ipynb` and `_build/logs/<job>.log`,
    where users find the latest run of each job; returns those two paths."""
    jd = JobDir(folder)
    executed = paths.executed / f"{job}{suffix}.ipynb"
    log = paths.logs / f"{job}{suffix}.log"
    for src, dest in ((jd.executed, executed), (jd.log, log)):
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_file():
            shutil.copyfile(src, dest)
        else:
            dest.unlink(missing_ok=True)
    return executed, log
