"""`build`: plan, check inputs, run stale jobs, publish results/ atomically, build the HTML book.

Every decision comes from the plan (`reprobook.plan`): the no-op short cut is "the plan has
nothing to do", so `build` and `status` cannot disagree. Functions here return data; the CLI
prints.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .paths import Paths
from .state import StateStore

NOOP_MESSAGE = "up to date: nothing to execute, the book is current"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class RunRecord:
    """What one build did (run facts, never part of the record): `_build/run.json`."""

    noop: bool = False
    executor: str = "local"
    jobs: dict[str, Any] = field(default_factory=dict)  # name -> {"state", "reasons"}
    executed: dict[str, float] = field(default_factory=dict)  # name -> seconds
    workers: int = 0  # workers started (local: processes; Dask: the cluster's); 0 when nothing ran
    changes: list[str] = field(default_factory=list)
    book: str = "skipped"  # built | current | skipped
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"noop": self.noop, "executor": self.executor, "jobs": self.jobs, "executed": self.executed,
                "workers": self.workers, "changes": self.changes, "book": self.book, "warnings": self.warnings,
                "seconds": self.seconds, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "host": platform.node()}


def load_plan(paths: Paths, store: StateStore, *, with_book: bool = True, use_record: bool = True):
    """(pipeline, plan) of the project as it is now."""
    from . import spec
    from .plan import make_plan

    pipeline = spec.load(paths.root)
    return pipeline, make_plan(paths, pipeline, store, with_book=with_book, use_record=use_record)


def run_checks(paths: Paths, plan, store: StateStore, on_event: Callable[[str], None] = say) -> None:
    """Run the data and bibliography checks whose inputs changed; record them when they pass.
    Raises DataError / BibliographyError (nothing run, results/ untouched)."""
    from .plan import BIB_STEP, CURRENT, DATA_STEP

    for step in plan.checks:
        if step.state == CURRENT:
            continue
        if step.name == DATA_STEP:
            from . import validate
            from .errors import DataError

            old = store.step(step.name)
            outcome = validate.validate_changed(paths.datapackage, paths.root, old.produced.get("passed", {}) if old else {})
            if outcome.problems:  # keep what passed, so that the next run re-checks only the rest
                store.record_step(step.name, {}, {"passed": outcome.digests})
                store.save()
                files = sorted({p.file for p in outcome.problems})
                raise DataError(f"{len(outcome.problems)} problem(s) in {', '.join(files)}; nothing was run and "
                                "results/ is unchanged", outcome.problems)
            store.record_step(step.name, step.deps, {"passed": outcome.digests})
            continue
        store.forget_step(step.name)
        if step.name == BIB_STEP:
            from . import bibcheck

            bibcheck.check(paths)
        store.record_step(step.name, step.deps)


def check_kernels(outcomes, store: StateStore) -> list[str]:
    """The kernels must have been this project's interpreter; record what they reported."""
    problems = []
    for o in outcomes:
        k = o.kernel or {}
        if not k:
            continue
        if os.path.realpath(k.get("executable", "")) != os.path.realpath(sys.executable):
            problems.append(f"job '{o.job}' ran in {k.get('executable')}, not in the project's interpreter "
                            f"{sys.executable}")
    reports = [o.kernel for o in outcomes if o.kernel]
    if reports:
        store.record_kernel(reports[-1])
    return problems


def _where(paths: Paths, job: str) -> str:
    """Where a failed job's executed notebook (when one was written: not after a time-out) and log are."""
    found = [f"executed notebook: {paths.rel(p)}" for p in [paths.executed / f"{job}.ipynb"] if p.is_file()]
    return "\n    " + ", ".join(found + [f"log: {paths.rel(paths.logs / f'{job}.log')}"])


def parallel_units(stale: list) -> int:
    """The most notebook executions a run could have going at once: one per stale job, one per
    point of a stale sweep (its chunks never outnumber its points). A local run starts no more
    workers than this: a worker with nothing to run would still start, and warm, its kernel parent."""
    return max(1, sum(len(jp.job.sweep.points) if jp.job.sweep is not None else 1 for jp in stale))


def run_pipeline(paths: Paths, *, executor: str | None = None, workers: int | None = None,
                 publish_report: bool = True, store: StateStore | None = None, plan=None, pipeline=None,
                 on_event: Callable[[str], None] = say) -> RunRecord:
    """Bring results/ up to date. Raises JobError (results/ untouched) if any job fails, and
    ConfigError/DataError/BibliographyError before anything runs when an input is wrong."""
    from . import executors, publish, schedule
    from .errors import JobError
    from .plan import STALE, read_values
    from .progress import job_progress
    from .strategies import RunContext

    t0 = time.perf_counter()
    store = store or StateStore(paths.state)
    publish.recover(paths)
    if plan is None:
        pipeline, plan = load_plan(paths, store, with_book=False)
    stamps = schedule.input_stamps(paths, [jp for jp in plan.jobs if jp.state == STALE])  # before anything reads them
    run_checks(paths, plan, store, on_event)
    scheduler = executors.choose(executor, os.environ.get("SCHEDULER"), paths.settings.scheduler)
    rec = RunRecord(executor=scheduler)
    rec.jobs = {jp.job.name: {"state": jp.state, "reasons": list(jp.reasons)} for jp in plan.jobs}
    for jp in plan.jobs:
        if jp.state == "cached":
            on_event(f"  cached {jp.job.name}: " + "; ".join(jp.reasons) + " (restored from _build/cache)")
    stale = [jp for jp in plan.jobs if jp.state == STALE]
    outcomes = []
    if stale:
        from .book import source_date_epoch
        from .warm import job_modules, preload_modules

        n = min(workers or paths.settings.workers or executors.default_workers(), parallel_units(stale))
        runner = executors.make(scheduler, n, paths.root, paths.lockfile)
        rec.workers = runner.workers
        ctx = RunContext(paths, {jp.job.name: jp for jp in plan.jobs}, pipeline.producer_of(), schedule.run_id(),
                         runner.workers, warm=paths.settings.warm_kernels,
                         preload=preload_modules(plan, stale), source_date_epoch=source_date_epoch(paths),
                         stamps=stamps)
        kernel_env = None
        if ctx.warm and not runner.ships:
            from .engine import kernel_environment

            kernel_env = kernel_environment(dict(os.environ), code_dirs=[str(d) for d in paths.code_dirs],
                                            kernel_home=paths.kernel_home, extra={})
        runner.warm(kernel_env, ctx.preload, tuple(dict.fromkeys(job_modules(jp) for jp in stale)))
        with runner, job_progress(len(stale), on_event) as event:
            outcomes = schedule.execute(ctx, pipeline, runner, event)
        schedule.inputs_unchanged(ctx, [o.job for o in outcomes])  # first: a failure may come of it too
        failed = [o for o in outcomes if not o.ok]
        if failed:
            detail = "\n".join(f"  {o.job}: {o.error}" + (_where(paths, o.job) if o.folder else "") for o in failed)
            store.save()
            raise JobError(f"{len(failed)} job(s) failed; results/ and the book were left unchanged (the "
                           f"{len(outcomes) - len(failed)} job(s) that succeeded are cached for the next run)\n{detail}")
        problems = check_kernels(outcomes, store)
        if problems:
            raise JobError("the jobs did not run in the project's own interpreter; nothing was published:\n  "
                           + "\n  ".join(problems))
        rec.executed = {o.job: round(o.seconds, 3) for o in outcomes}
    from .claims import check_claims

    check_claims(paths, plan)
    before = read_values(paths)["value"]  # what the book showed, for a build outside git
    rec.changes = publish.publish(paths, list(plan.jobs), plan.environment)
    if publish_report:
        for c in rec.changes:
            on_event(f"  {c}")
        report_findings(paths, pipeline, rec.changes, on_event)
        if rec.changes:
            from . import readme

            readme.update(paths, quiet=True)
            report_impact(paths, on_event, before)
    rec.seconds["pipeline"] = round(time.perf_counter() - t0, 3)
    store.save()
    return rec


def build(paths: Paths, *, executor: str | None = None, workers: int | None = None, with_book: bool = True,
          force_book: bool = False, on_event: Callable[[str], None] = say) -> RunRecord:
    """`reprobook build`: everything needed to make results/ and the book current, nothing more."""
    seen = _stamps(paths)
    store = StateStore(paths.state)
    pipeline, plan = load_plan(paths, store, with_book=with_book)
    if plan.up_to_date and not force_book:
        store.save()
        on_event(NOOP_MESSAGE if with_book else "up to date: nothing to execute")
        return RunRecord(noop=True)
    from .locking import project_lock

    with project_lock(paths.build_lock, say=on_event):
        t0 = time.perf_counter()
        from .publish import recover

        recover(paths)  # a crashed build's half-done publish, before the plan is trusted
        if _stamps(paths) != seen:  # another build (or the recovery) wrote the record or the state
            store = StateStore(paths.state)
            pipeline, plan = load_plan(paths, store, with_book=False)
        rec = run_pipeline(paths, executor=executor, workers=workers, store=store, plan=plan, pipeline=pipeline,
                           on_event=on_event)
        ran = len(rec.executed)
        on_event(f"pipeline: {ran} job(s) executed, {len(rec.jobs) - ran} up to date ({rec.seconds['pipeline']:.1f} s)")
        if with_book:
            from . import book
            from .plan import CURRENT, book_step

            t1 = time.perf_counter()
            step = book_step(paths, store, plan.environment)
            if step.state != CURRENT or force_book:
                rec.warnings = book.build_html(paths, step, store)
                rec.book = "built"
                for w in rec.warnings:
                    on_event(f"  book warning: {w}")
            else:
                rec.book = "current"
            rec.seconds["book"] = round(time.perf_counter() - t1, 3)
            on_event(f"book: {rec.book} -> {paths.rel(paths.html)}/index.html"
                     + (f" ({rec.seconds['book']:.1f} s)" if rec.book == "built" else ""))
        rec.seconds["total"] = round(time.perf_counter() - t0, 3)
        store.save()
        paths.build.mkdir(exist_ok=True)
        paths.run_record.write_text(json.dumps(rec.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return rec


def _stamps(paths: Paths) -> tuple:
    """Identity and time stamps of the record and the state store (to see whether another build
    wrote them while this one waited for the lock)."""
    out = []
    for p in (paths.manifest, paths.state):
        try:
            st = p.stat()
            out.append((st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


def moved_values(before: dict[str, Any], after: dict[str, Any], limit: int = 8) -> list[str]:
    """Lines naming the values (entries of values.json: reprobook.plan.read_values) whose shown text
    changed (old -> new), were added or removed; at most `limit`, then a count of the rest."""
    def shown(entry: Any) -> str:
        return str(entry.get("display", entry.get("value"))) if isinstance(entry, dict) else str(entry)

    old, new = ({k: shown(v) for k, v in d.items()} for d in (before, after))
    lines = [f"  value {k}: {old.get(k, '(new)')} -> {new.get(k, '(removed)')}"
             for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return lines[:limit] + ([f"  ... and {len(lines) - limit} more value(s)"] if len(lines) > limit else [])


def report_impact(paths: Paths, on_event: Callable[[str], None] = say, before: dict[str, Any] | None = None) -> None:
    """After a build that changed results/: the impact report against HEAD (`reprobook diff`),
    written to _build/diff/. When it cannot be written (outside a git repository, before the first
    commit), says why instead and, given `before` (the values of the record before the build),
    which values moved, so that a changed record is never left unexplained in silence."""
    from . import diff, impactreport
    from .errors import ReprobookError
    from .impact import NotInGit
    from .plan import read_values

    try:
        imp, _, page = diff.write_report(paths, "HEAD", with_status=False)
    except (ReprobookError, OSError) as exc:
        import shutil

        shutil.rmtree(paths.build / "diff", ignore_errors=True)  # an older report would describe other results
        if before is not None:
            for line in moved_values(before, read_values(paths)["value"]):
                on_event(line)
        on_event("no impact report: no git commit to compare with (commit the project to see, after a data edit, "
                 "which sentences and figures moved)" if isinstance(exc, NotInGit) else f"no impact report: {exc}")
        return
    on_event(f"impact against HEAD: {impactreport.summary_line(imp)} -> {paths.rel(page)}")


def report_findings(paths: Paths, pipeline, changes: list[str], on_event: Callable[[str], None] = say) -> None:
    """Print the rows of tables marked `report: true` (e.g. where the sources disagree with themselves)."""
    import csv

    for job in pipeline.jobs:
        for t in job.tables:
            rel = f"results/tables/{t.name}.csv"
            if not t.report or not any(c.endswith(rel) for c in changes):
                continue
            with open(paths.root / rel, encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            on_event(f"findings ({rel}, {len(rows)} row(s)):")
            for r in rows[:25]:
                on_event("  - " + "; ".join(f"{k}: {v}" for k, v in r.items() if v))


def status(paths: Paths):
    """The plan `build` would follow (nothing runs, nothing is written but the stat cache)."""
    store = StateStore(paths.state)
    _, plan = load_plan(paths, store, with_book=True)
    store.save()
    return plan
