"""Plan, execute and publish: decide which jobs are stale, run them, update results/ atomically."""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from concurrent.futures import BrokenExecutor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import execute, executors, manifest as mf
from .errors import JobError, ReprobookError
from .filecache import NO_CACHE, FileCache
from .progress import job_progress
from .hashing import (environment_digest, files_under, project_code_closure, sha256_file, sha256_json,
                      tree_digest)
from .paths import Paths
from .spec import Job, Pipeline, order, upstream


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- planning ----------------------------------------------------------------------------------

@dataclass
class Plan:
    job: Job
    key: str
    record: dict[str, Any]
    cache_dir: Path
    state: str = "stale"  # fresh (results match the record) | cached (in _build/cache) | stale (must run)
    reasons: list[str] = field(default_factory=list)

    def source(self, paths: Paths) -> Path:
        """Folder that holds this job's outputs (tables/, figures/, values.json) for publishing."""
        return paths.results if self.state == "fresh" else self.cache_dir / "out"


_CACHE = NO_CACHE  # set by plan_jobs to the project's _build/stamps/filecache.json


def _parse_code_cells(path: Path) -> list:
    import jupytext

    nb = jupytext.read(path)
    return [[c.source, sorted(c.metadata.get("tags", []))] for c in nb.cells if c.cell_type == "code"]


def code_cells(path: Path) -> list:
    """A text notebook's code cells with their tags: [[source, tags], ...], parsed once per file version."""
    return _CACHE.get("cells", path, _parse_code_cells)


def notebook_code_digest(path: Path) -> str:
    """Hash of a notebook's code cells and their tags; prose cells do not change results."""
    return sha256_json([(src, list(tags)) for src, tags in code_cells(path)])


def file_sha(path: Path) -> str:
    return _CACHE.get("sha256", path, sha256_file)


def notebook_code(path: Path) -> str:
    return "\n".join(src for src, _ in code_cells(path))


def job_record(paths: Paths, job: Job, env_digest: str, upstream_keys: dict[str, str],
               producer: dict[str, str]) -> dict[str, Any]:
    root = paths.root
    inputs = {}
    for rel in job.inputs:
        if rel in producer:  # another job's output: its key fixes its bytes
            inputs[rel] = "job:" + upstream_keys[producer[rel]]
        elif (root / rel).is_file():
            inputs[rel] = file_sha(root / rel)
        else:
            raise ReprobookError(
                f"job '{job.name}' declares input '{rel}', which does not exist; "
                "restore the file or fix the job's inputs in pipeline.yml")
    nb_path = root / job.notebook
    code = {p.relative_to(root).as_posix(): file_sha(p)
            for p in project_code_closure(notebook_code(nb_path), root / "src")}
    record = {
        "notebook": job.notebook,
        "notebook_sha256": notebook_code_digest(nb_path),
        "parameters": job.parameters,
        "inputs": inputs,
        "code": code,
        "environment_sha256": env_digest,
    }
    if job.sweep is not None:
        record["sweep"] = {"parameter": job.sweep.parameter, "column": job.sweep.column,
                           "points": list(job.sweep.points)}
    return record


def point_key(record: dict[str, Any], point: Any) -> str:
    """A sweep point's own key: the job's record with this one point instead of the grid."""
    sweep = record["sweep"]
    return sha256_json({**record, "sweep": {"parameter": sweep["parameter"], "column": sweep["column"]},
                        "point": point})


def _artifact_problems(paths: Paths, job: Job, record: dict[str, Any], values_now: dict[str, Any]) -> list[str]:
    arts = mf.artifacts_by_path(record)
    problems = []
    for rel in job.artifact_paths():
        p = paths.root / rel
        a = arts.get(rel)
        if a is None:
            problems.append(f"{rel} is not in the manifest")
        elif not p.is_file():
            problems.append(f"{rel} is missing")
        elif sha256_file(p) != a["sha256"]:
            problems.append(f"{rel} was edited by hand (its sha256 differs from the manifest); regenerating")
    for v in job.values:
        a = arts.get(f"results/values.json#{v}")
        if a is None or v not in values_now:
            problems.append(f"value '{v}' is missing from results/values.json")
        elif mf.value_sha(values_now[v]) != a["sha256"]:
            problems.append(f"value '{v}' in results/values.json was edited by hand; regenerating")
    return problems


def plan_jobs(paths: Paths, pipeline: Pipeline, *, use_record: bool = True,
              use_cache: bool = True) -> list[Plan]:
    global _CACHE
    _CACHE = FileCache(paths.stamps / "filecache.json")
    try:
        return _plan_jobs(paths, pipeline, use_record=use_record, use_cache=use_cache)
    finally:
        _CACHE.save()


def _plan_jobs(paths: Paths, pipeline: Pipeline, *, use_record: bool, use_cache: bool) -> list[Plan]:
    record = mf.read(paths.manifest) if use_record else {}
    values_now = {}
    if use_record and (paths.results / "values.json").is_file():
        try:
            values_now = json.loads((paths.results / "values.json").read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            values_now = {}
    env = environment_digest(paths.lockfile)
    producer = pipeline.producer_of()
    keys: dict[str, str] = {}
    plans: list[Plan] = []
    for name in order(pipeline):
        job = pipeline.job(name)
        rec = job_record(paths, job, env, keys, producer)
        key = sha256_json(rec)
        keys[name] = key
        p = Plan(job, key, rec, paths.cache / name / key)
        old = record.get("jobs", {}).get(name)
        if old is None:
            p.reasons.append("not in the manifest")
        elif old.get("key") != key:
            p.reasons += _why_changed(old, rec)
        else:
            p.reasons += _artifact_problems(paths, job, record, values_now)
        if not p.reasons:
            p.state = "fresh"
        elif use_cache and (p.cache_dir / "out").is_dir():
            p.state = "cached"
        plans.append(p)
    return plans


def _why_changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    why = []
    if old.get("notebook") != new["notebook"] or old.get("notebook_sha256") != new["notebook_sha256"]:
        why.append(f"notebook {new['notebook']} changed")
    if old.get("parameters") != new["parameters"]:
        why.append("parameters changed")
    oi, ni = old.get("inputs", {}), new["inputs"]
    for rel in sorted(set(oi) | set(ni)):
        if oi.get(rel) != ni.get(rel):
            why.append(f"input {rel} " + ("added" if rel not in oi else "removed" if rel not in ni else "changed"))
    oc, nc = old.get("code", {}), new["code"]
    for rel in sorted(set(oc) | set(nc)):
        if oc.get(rel) != nc.get(rel):
            why.append(f"code {rel} changed")
    if old.get("environment_sha256") != new["environment_sha256"]:
        why.append("locked environment changed")
    return why or ["record format changed"]


# --- execution ---------------------------------------------------------------------------------

def _task(paths: Paths, plan: Plan, plans: dict[str, Plan], producer: dict[str, str], run_id: str,
          parameters: dict[str, Any] | None = None, scratch: Path | None = None) -> execute.Task:
    job = plan.job
    inputs = {}
    for rel in job.inputs:
        if rel in producer:
            up = plans[producer[rel]]
            inputs[rel] = str(up.source(paths) / Path(rel).relative_to("results"))
        else:
            inputs[rel] = str(paths.root / rel)
    scratch = scratch or paths.scratch / f"{job.name}-{run_id}"
    return execute.Task(
        job=job.name, key=plan.key, notebook=str(paths.root / job.notebook),
        parameters=dict(job.parameters if parameters is None else parameters), inputs=inputs,
        expected=tuple(job.output_files()), values=job.values, root=str(paths.root),
        scratch=str(scratch), executed=str(paths.executed / f"{job.name}.ipynb"),
        log=str(paths.logs / f"{job.name}.log"))


def _guard_digest(paths: Paths) -> str:
    """The project's data and record: nothing may change them while jobs run."""
    return tree_digest(paths.root, files_under(paths.root, ["data", "results"]))


@dataclass
class Unit:
    """One notebook execution: a whole job, or one chunk of a sweep's points."""

    plan: Plan
    task: execute.Task
    points: tuple = ()
    attempts: int = 0


def _chunks(points: list, n: int) -> list[tuple]:
    n = max(1, min(n, len(points)))
    size, extra = divmod(len(points), n)
    out, i = [], 0
    for c in range(n):
        step = size + (c < extra)
        out.append(tuple(points[i:i + step]))
        i += step
    return out


def _units(paths: Paths, plan: Plan, by_name: dict[str, Plan], producer: dict[str, str], run_id: str,
           workers: int) -> list[Unit]:
    task = _task(paths, plan, by_name, producer, run_id)
    sweep = plan.job.sweep
    if sweep is None:
        return [Unit(plan, task)]
    missing = [pt for pt in sweep.points if not _point_dir(paths, plan, pt).is_dir()]
    units = []
    for i, chunk in enumerate(_chunks(missing, sweep.chunks or workers) if missing else []):
        params = {**plan.job.parameters, sweep.parameter: list(chunk)}
        t = execute.Task(**{**task.__dict__, "parameters": params, "expected": tuple(plan.job.output_files()),
                            "scratch": f"{task.scratch}-chunk{i}",
                            "executed": str(paths.executed / f"{plan.job.name}-chunk{i}.ipynb"),
                            "log": str(paths.logs / f"{plan.job.name}-chunk{i}.log")})
        units.append(Unit(plan, t, chunk))
    return units


def _point_dir(paths: Paths, plan: Plan, point: Any) -> Path:
    return paths.cache / plan.job.name / "points" / point_key(plan.record, point)


def _same_point(cell: str, point: Any) -> bool:
    if isinstance(point, (int, float)) and not isinstance(point, bool):
        try:
            return abs(float(cell) - float(point)) <= 1e-9 * max(1.0, abs(float(point)))
        except ValueError:
            return False
    return cell == str(point)


def _store_points(paths: Paths, unit: Unit, out: execute.Outcome) -> str:
    """Split a sweep chunk's tables by point and cache each point; returns an error or ''."""
    import csv

    sweep = unit.plan.job.sweep
    per_point: dict[Any, dict[str, list[list[str]]]] = {pt: {} for pt in unit.points}
    for t in unit.plan.job.tables:
        with open(Path(out.output_dir) / "tables" / f"{t.name}.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header, body = rows[0], rows[1:]
        if sweep.column not in header:
            return f"sweep table {t.name} has no column '{sweep.column}' naming the point of each row"
        col = header.index(sweep.column)
        for pt in unit.points:
            mine = [r for r in body if _same_point(r[col], pt)]
            if not mine:
                return f"sweep table {t.name} has no rows for {sweep.column} = {pt}"
            per_point[pt][t.name] = [header] + mine
    for pt, tables in per_point.items():
        dest = _point_dir(paths, unit.plan, pt)
        tmp = dest.with_name(dest.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        for name, rows in tables.items():
            with open(tmp / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh, lineterminator="\n").writerows(rows)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    return ""


def _gather(paths: Paths, plan: Plan) -> None:
    """Concatenate every point's rows, in grid order, into the job's cached outputs."""
    staging = paths.scratch / f"{plan.job.name}-gather"
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "out" / "tables").mkdir(parents=True)
    for t in plan.job.tables:
        lines: list[str] = []
        for i, pt in enumerate(plan.job.sweep.points):
            text = (_point_dir(paths, plan, pt) / f"{t.name}.csv").read_text(encoding="utf-8").splitlines(keepends=True)
            lines += text if i == 0 else text[1:]
        (staging / "out" / "tables" / f"{t.name}.csv").write_text("".join(lines), encoding="utf-8")
    _store(paths, plan, execute.Outcome(plan.job.name, plan.key, True, 0.0, str(staging / "out")))


def execute_plans(paths: Paths, pipeline: Pipeline, plans: list[Plan], *, executor: str = "local",
                  workers: int | None = None, on_event: Callable[[str], None] = say) -> list[execute.Outcome]:
    """Run every stale job, along dependencies, in parallel; sweeps run as chunks of points.

    A unit whose worker was lost is retried once; a failing job never stops the others."""
    by_name = {p.job.name: p for p in plans}
    producer = pipeline.producer_of()
    deps = upstream(pipeline)
    todo = [p for p in plans if p.state == "stale"]
    if not todo:
        return []
    run_id = f"{os.getpid()}-{int(time.time())}"
    outcomes: list[execute.Outcome] = []
    failed: set[str] = set()
    before = _guard_digest(paths)
    runner = executors.make(executor, workers, paths.root, paths.lockfile)
    runner.warm()
    with runner, job_progress(len(todo), on_event) as event:
        pending = {p.job.name for p in todo}
        open_units: dict[str, int] = {}
        running: dict[Future, Unit] = {}
        n_done = 0

        def launch(unit: Unit) -> None:
            unit.attempts += 1
            running[runner.submit(unit.task)] = unit

        def finish_job(plan: Plan, out: execute.Outcome) -> None:
            nonlocal n_done
            n_done += 1
            finished.add(plan.job.name)
            if out.ok:
                event(f"  [{n_done}/{len(todo)}] done {plan.job.name} in {out.seconds:.1f} s", advance=True)
            else:
                failed.add(plan.job.name)
                cell = f", cell {out.cell}" if out.cell is not None else ""
                event(f"  [{n_done}/{len(todo)}] FAILED {plan.job.name} ({plan.job.notebook}{cell}): {out.error}\n"
                      f"      executed notebook: {out.executed}\n      log: {out.log}", advance=True)
            outcomes.append(out)

        finished: set[str] = {p.job.name for p in plans if p.state != "stale"}
        # start first what others wait for, then the largest notebooks: a short tail on the cores
        waited_for = {d for ds in deps.values() for d in ds}

        def priority(name: str) -> tuple:
            return (name not in waited_for, -(paths.root / by_name[name].job.notebook).stat().st_size, name)

        while pending or running:
            for name in sorted(pending, key=priority):
                if not deps[name] <= finished | failed:
                    continue
                plan = by_name[name]
                pending.discard(name)
                if deps[name] & failed:
                    failed.add(name)
                    event(f"  skip {name}: an upstream job failed", advance=True)
                    continue
                units = _units(paths, plan, by_name, producer, run_id, runner.workers)
                if not units:  # a sweep whose every point is cached
                    _gather(paths, plan)
                    finish_job(plan, execute.Outcome(name, plan.key, True, 0.0))
                    continue
                what = f"{len(units)} chunk(s) of {sum(len(u.points) for u in units)} point(s)" if plan.job.sweep else ""
                event(f"  run  {name}  ({'; '.join(plan.reasons[:3])}){' ' + what if what else ''}")
                open_units[name] = len(units)
                for u in units:
                    launch(u)
            if not running:
                continue
            done, _ = wait(list(running), return_when="FIRST_COMPLETED")
            for fut in done:
                unit = running.pop(fut)
                plan = unit.plan
                try:
                    out = runner.finish(fut, unit.task)
                except runner.lost_errors + (BrokenExecutor,) as exc:
                    if unit.attempts < 2 and not isinstance(exc, BrokenExecutor):
                        event(f"  lost {plan.job.name} (worker gone: {type(exc).__name__}); retrying once")
                        launch(unit)
                        continue
                    out = execute.Outcome(plan.job.name, plan.key, False, 0.0, executed=unit.task.executed,
                                          log=unit.task.log, error=f"the worker running it was lost twice ({exc})")
                except Exception as exc:
                    out = execute.Outcome(plan.job.name, plan.key, False, 0.0, executed=unit.task.executed,
                                          log=unit.task.log, error=f"{type(exc).__name__}: {exc}")
                if plan.job.name in failed:
                    continue  # another chunk of this sweep already failed
                if out.ok and plan.job.sweep is not None:
                    err = _store_points(paths, unit, out)
                    if err:
                        out = execute.Outcome(plan.job.name, plan.key, False, out.seconds, out.output_dir,
                                              out.executed, out.log, err)
                if not out.ok:
                    finish_job(plan, out)
                    continue
                if plan.job.sweep is None:
                    _store(paths, plan, out)
                    finish_job(plan, out)
                else:
                    open_units[plan.job.name] -= 1
                    if open_units[plan.job.name] == 0:
                        _gather(paths, plan)
                        finish_job(plan, out)
    if _guard_digest(paths) != before:
        raise JobError("data/ or results/ changed while the jobs ran (a notebook wrote there, or someone edited "
                       "them); nothing was published. Notebooks may only write through reprobook.nb into their "
                       "scratch folder. Check `git status`, restore what a notebook wrote, and run the build again.")
    return outcomes


def _store(paths: Paths, plan: Plan, out: execute.Outcome) -> None:
    """Move a successful job's outputs into the cache, atomically (rename)."""
    dest = plan.cache_dir
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(out.output_dir).parent
    (staging / "record.json").write_text(json.dumps(plan.record, indent=2, sort_keys=True), encoding="utf-8")
    for junk in ("input.ipynb", "mplconfig"):
        j = staging / junk
        if j.is_dir():
            shutil.rmtree(j)
        elif j.exists():
            j.unlink()
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(staging, dest)
    plan.state = "cached"


# --- publishing --------------------------------------------------------------------------------

def recover(paths: Paths) -> None:
    """Finish or undo a publish that was interrupted; drop scratch folders of dead runs."""
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


def assemble(paths: Paths, pipeline: Pipeline, plans: list[Plan], target: Path) -> dict[str, Any]:
    """Lay out a complete results/ tree in `target`; return its manifest."""
    if target.exists():
        shutil.rmtree(target)
    (target / "tables").mkdir(parents=True)
    (target / "figures").mkdir()
    current_values = {}
    if (paths.results / "values.json").is_file():
        current_values = json.loads((paths.results / "values.json").read_text(encoding="utf-8"))
    values: dict[str, Any] = {}
    artifacts: list[dict[str, Any]] = []
    jobs: dict[str, Any] = {}
    for plan in plans:
        job, src = plan.job, plan.source(paths)
        jobs[job.name] = {**plan.record, "key": plan.key}
        common = {"job": job.name, "notebook": job.notebook, "parameters": job.parameters,
                  "inputs": plan.record["inputs"]}
        for rel in job.artifact_paths():
            inner = Path(rel).relative_to("results")
            _place(src / inner, paths.root / rel, target / inner)
            kind = "table" if inner.parts[0] == "tables" else "figure"
            artifacts.append({"path": rel, "kind": kind, "name": inner.stem, "format": inner.suffix[1:],
                              "sha256": sha256_file(target / inner), **common})
        if job.values:
            vals = current_values if plan.state == "fresh" else json.loads((src / "values.json").read_text(encoding="utf-8"))
            for v in job.values:
                values[v] = vals[v]
                artifacts.append({"path": f"results/values.json#{v}", "kind": "value", "name": v,
                                  "sha256": mf.value_sha(vals[v]), **common})
    _write_if_changed(target / "values.json", json.dumps(values, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                      paths.results / "values.json")
    manifest = {"format": mf.FORMAT, "environment": mf.environment(),
                "artifacts": sorted(artifacts, key=lambda a: a["path"]), "jobs": jobs}
    _write_if_changed(target / "manifest.json", mf.dumps(manifest), paths.manifest)
    return manifest


def _place(src: Path, current: Path, dest: Path) -> None:
    """Reuse the current file (same inode, same time stamp) when its bytes are unchanged."""
    if current.is_file() and (src == current or sha256_file(src) == sha256_file(current)):
        os.link(current, dest)
    else:
        shutil.copyfile(src, dest)


def _write_if_changed(dest: Path, text: str, current: Path) -> None:
    data = text.encode("utf-8")
    if current.is_file() and current.read_bytes() == data:
        os.link(current, dest)
    else:
        dest.write_bytes(data)


def tree_files(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_size)
            for p in folder.rglob("*") if p.is_file()}


def publish(paths: Paths, pipeline: Pipeline, plans: list[Plan]) -> list[str]:
    """Replace results/ by the assembled tree in one swap; return what changed."""
    nxt, old = paths.build / "results.next", paths.build / "results.old"
    paths.build.mkdir(exist_ok=True)
    assemble(paths, pipeline, plans, nxt)
    now, new = tree_files(paths.results), tree_files(nxt)
    changes = sorted(
        [f"added   results/{p}" for p in new if p not in now]
        + [f"removed results/{p}" for p in now if p not in new]
        + [f"changed results/{p}" for p in new if p in now and now[p][0] != new[p][0]])
    if not changes:
        shutil.rmtree(nxt)
        return []
    if paths.results.exists():
        os.replace(paths.results, old)
    os.replace(nxt, paths.results)
    if old.exists():
        shutil.rmtree(old)
    return changes
