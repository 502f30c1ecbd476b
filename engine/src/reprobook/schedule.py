"""Run the stale jobs of a plan along their dependencies, in parallel, through a Runner.

Jobs others wait for start first, then the largest notebooks (a short tail on the cores). A unit
whose worker was lost is retried once; a failing job never stops the others, but the jobs that
read its outputs are skipped. Every event is reported through `event(message, advance)`.
"""
from __future__ import annotations

import itertools
import os
import shutil
import time
from pathlib import Path
from concurrent.futures import BrokenExecutor, Future, wait
from typing import Callable

from . import publish
from .errors import JobError
from .execute import Outcome
from .hashing import content_sha256
from .plan import STALE, JobPlan
from .spec import Pipeline, upstream
from .strategies import RunContext, Unit, points_dir, strategy_for


_RUNS = itertools.count(1)


def run_id() -> str:
    """An identifier of a run, unique on the machine: this process's id, the time in seconds and
    the run's number in this process (`reprobook serve` may start two runs within a second)."""
    return f"{os.getpid()}-{int(time.time())}-{next(_RUNS)}"


def execute(ctx: RunContext, pipeline: Pipeline, runner, event: Callable[..., None]) -> list[Outcome]:
    """Run every stale job of `ctx.plans`; returns one Outcome per job that ran (or was skipped)."""
    plans = ctx.plans
    deps = upstream(pipeline)
    todo = [jp for jp in plans.values() if jp.state == STALE]
    outcomes: list[Outcome] = []
    if not todo:
        return outcomes
    failed: set[str] = set()
    finished: set[str] = {name for name, jp in plans.items() if jp.state != STALE}
    pending = {jp.job.name for jp in todo}
    open_units: dict[str, list[Outcome]] = {}
    n_units: dict[str, int] = {}
    running: dict[Future, Unit] = {}
    counter = [0]
    waited_for = {d for ds in deps.values() for d in ds}

    def priority(name: str) -> tuple:
        size = (ctx.paths.root / plans[name].job.notebook).stat().st_size
        return (name not in waited_for, -size, name)

    def launch(unit: Unit) -> None:
        unit.attempts += 1
        running[runner.submit(unit.task)] = unit

    def finish(jp: JobPlan, out: Outcome) -> None:
        counter[0] += 1
        finished.add(jp.job.name)
        n = f"[{counter[0]}/{len(todo)}]"
        if out.ok:
            event(f"  {n} done {jp.job.name} in {out.seconds:.1f} s", advance=True)
        else:
            failed.add(jp.job.name)
            cell = f", cell {out.cell}" if out.cell is not None else ""
            event(f"  {n} FAILED {jp.job.name} ({jp.job.notebook}{cell}): {out.error}", advance=True)
        outcomes.append(out)

    while pending or running:
        for name in sorted(pending, key=priority):
            if not deps[name] <= finished | failed:
                continue
            jp = plans[name]
            pending.discard(name)
            if deps[name] & failed:
                event(f"  skip {name}: a job it reads from failed", advance=True)
                failed.add(name)
                outcomes.append(Outcome(name, jp.key, False, 0.0, error="skipped: a job it reads from failed"))
                continue
            strategy = strategy_for(jp)
            units = strategy.units(ctx, jp)
            if not units:  # a sweep whose every point is cached
                strategy.complete(ctx, jp, [])
                finish(jp, Outcome(name, jp.key, True, 0.0))
                continue
            what = f" ({len(units)} chunk(s) of {sum(len(u.points) for u in units)} point(s))" if jp.job.sweep else ""
            event(f"  run  {name}{what}: {'; '.join(jp.reasons[:3])}")
            open_units[name], n_units[name] = [], len(units)
            for u in units:
                launch(u)
        if not running:
            continue
        done, _ = wait(list(running), return_when="FIRST_COMPLETED")
        for fut in done:
            unit = running.pop(fut)
            jp = unit.plan
            try:
                out = runner.finish(fut, unit.task)
            except runner.lost_errors + (BrokenExecutor,) as exc:
                if unit.attempts < 2 and not isinstance(exc, BrokenExecutor):
                    event(f"  lost {jp.job.name} (worker gone: {type(exc).__name__}); retrying once")
                    launch(unit)
                    continue
                out = Outcome(jp.job.name, jp.key, False, 0.0, unit.task.folder,
                              error=f"the worker running it was lost twice ({exc})")
            except Exception as exc:  # noqa: BLE001 - reported as the job's failure
                out = Outcome(jp.job.name, jp.key, False, 0.0, unit.task.folder, error=f"{type(exc).__name__}: {exc}")
            publish.keep_latest(ctx.paths, jp.job.name, Path(unit.task.folder), unit.label)
            if jp.job.name in failed:
                continue  # another chunk of this sweep already failed
            strategy = strategy_for(jp)
            if out.ok:
                problem = strategy.accept(ctx, unit, out)
                if problem:
                    out = Outcome(out.job, out.key, False, out.seconds, out.folder, problem, None, out.kernel)
            if not out.ok:
                finish(jp, out)
                continue
            open_units[jp.job.name].append(out)
            if len(open_units[jp.job.name]) == n_units[jp.job.name]:
                strategy.complete(ctx, jp, open_units[jp.job.name])
                seconds = sum(o.seconds for o in open_units[jp.job.name])
                finish(jp, Outcome(jp.job.name, jp.key, True, seconds, str(jp.cache_dir), kernel=out.kernel))
    return outcomes


def file_stamp(path: Path) -> tuple | None:
    """(inode, ctime_ns, size) of a file, None when it is missing. The change time moves with every
    write (and with a chmod or a new hard link), and no program can set it back, unlike the
    modification time, which `cp -p` and `touch -r` restore."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_ctime_ns, st.st_size)


def input_stamps(paths, plans) -> dict[str, tuple | None]:
    """{input: file_stamp} of every declared input of the plans that is a file of the project (not
    another job's output), taken before the run checks and reads them."""
    rels = {rel for jp in plans for rel, digest in jp.record["inputs"].items() if not digest.startswith("job:")}
    return {rel: file_stamp(paths.root / rel) for rel in sorted(rels)}


def changed_inputs(ctx: RunContext, executed: list[str]) -> list[str]:
    """What happened, in words, to each declared input of the jobs that ran (succeeded or not)
    whose content differs from the plan's, or that was touched during the run (its stamp moved)
    even if it ends as it began: a job may have read another version. [] when none was."""
    root = ctx.paths.root
    found: dict[str, str] = {}
    for name in executed:
        for rel, digest in ctx.plans[name].record["inputs"].items():
            if digest.startswith("job:") or rel in found:
                continue
            p = root / rel
            now = content_sha256(p) if p.is_file() else "<missing>"
            if now != digest:
                found[rel] = f"{rel} changed"
            elif rel in ctx.stamps and file_stamp(p) != ctx.stamps[rel]:
                found[rel] = f"{rel} was touched (its change time moved: a write put back, a chmod or a link)"
    return [found[rel] for rel in sorted(found)]


def forget_runs(ctx: RunContext, executed: list[str]) -> None:
    """Remove from _build/cache what the jobs of this run left there (their runs, a sweep's points):
    their cache keys name the inputs the plan saw, which they may not have read."""
    for name in executed:
        jp = ctx.plans[name]
        shutil.rmtree(jp.cache_dir, ignore_errors=True)
        shutil.rmtree(points_dir(ctx.paths, name), ignore_errors=True)


def inputs_unchanged(ctx: RunContext, executed: list[str]) -> None:
    """Raise JobError when a declared input of a job that ran changed or was touched during the
    run (`changed_inputs`), after removing every run of this build from the cache (`forget_runs`):
    a job downstream of one that read another version is no better."""
    changed = changed_inputs(ctx, executed)
    if changed:
        forget_runs(ctx, executed)
        raise JobError("during the run, " + "; ".join(changed) + ". Nothing was published or cached: the jobs may "
                       "have read another version than the one the record would name. Run the build again.")
