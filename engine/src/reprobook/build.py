"""`build`: validate, run stale jobs, publish results/ atomically, build the HTML book."""
from __future__ import annotations

import json
import platform
import sys
import time

from . import stamps
from .filecache import FileCache
from .hashing import files_under, sha256_file, tree_digest
from .paths import Paths

# Only what the no-op check needs is imported here; the pipeline, the executors and the book
# layer are imported once a build is known to be needed.

NOOP_INPUTS = ["data", "notebooks", "src", "engine/src", "book", "results", "pipeline.yml", "_config.yml", "_toc.yml",
               "references.bib", "requirements.lock", "pyproject.toml"]


def fingerprint(paths: Paths) -> str:
    """Everything a build reads; equal fingerprints mean the last build's outputs still hold.
    Content hashes, re-read only for files whose identity or time stamps changed (filecache)."""
    has_book = (paths.html / "index.html").is_file()
    cache = FileCache(paths.stamps / "filecache.json")
    digest = tree_digest(paths.root, files_under(paths.root, NOOP_INPUTS),
                         sha=lambda p: cache.get("sha256", p, sha256_file))
    cache.save()
    return digest + (":book" if has_book else ":nobook")


def is_noop(paths: Paths) -> bool:
    return stamps.read(paths.stamps, "noop") == fingerprint(paths)


def check_inputs(paths: Paths) -> None:
    """Data and bibliography checks, skipped when what they check is unchanged."""
    from . import validate

    digest = tree_digest(paths.root, files_under(paths.root, ["data"]))
    if stamps.read(paths.stamps, "data") != digest:
        stamps.clear(paths.stamps, "data")
        validate.check(paths.datapackage, paths.root)
        stamps.write(paths.stamps, "data", digest)
    if not paths.bib.is_file():
        return  # a project without a bibliography
    from . import bibcheck

    bdigest = tree_digest(paths.root, files_under(paths.root, ["references.bib", "book"]))
    if stamps.read(paths.stamps, "bib") != bdigest:
        stamps.clear(paths.stamps, "bib")
        bibcheck.check(paths)
        stamps.write(paths.stamps, "bib", bdigest)


def run_pipeline(paths: Paths, *, executor: str | None = None, workers: int | None = None,
                 publish_report: bool = True) -> dict:
    """Bring results/ up to date. Raises JobError (results/ untouched) if any job fails."""
    import os

    from . import pipeline as pl, spec
    from .errors import JobError
    from .executors import choose

    t0 = time.perf_counter()
    pipeline = spec.load(paths.root)
    executor = choose(executor, os.environ.get("SCHEDULER"), pipeline.settings.get("scheduler"))
    pl.recover(paths)
    check_inputs(paths)
    plans = pl.plan_jobs(paths, pipeline)
    for p in plans:
        if p.state != "fresh":
            pl.say(f"  {p.state:6} {p.job.name}: " + "; ".join(p.reasons))
    outcomes = pl.execute_plans(paths, pipeline, plans, executor=executor, workers=workers)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        detail = "\n".join(f"  {o.job}: {o.error}\n    executed notebook: {o.executed}" for o in failed)
        raise JobError(f"{len(failed)} job(s) failed; results/ and the book were left unchanged "
                       f"(the {len(outcomes) - len(failed)} job(s) that succeeded are cached for the next run)\n{detail}")
    changes = pl.publish(paths, pipeline, plans)
    if publish_report:
        for c in changes:
            pl.say(f"  {c}")
        report_findings(paths, pipeline, changes)
    if changes and publish_report:
        from . import readme

        readme.update(paths, quiet=True)
    record = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(), "executor": executor,
        "seconds_pipeline": round(time.perf_counter() - t0, 3),
        "jobs": {p.job.name: {"state": p.state, "reasons": p.reasons} for p in plans},
        "executed": {o.job: round(o.seconds, 3) for o in outcomes},
        "changes": changes,
    }
    return record


def build(paths: Paths, *, executor: str | None = None, workers: int | None = None, with_book: bool = True,
          force_book: bool = False) -> dict:
    if not force_book and is_noop(paths):
        print("up to date: nothing to execute, the book is current", file=sys.stderr)
        return {"noop": True}
    from . import book, pipeline as pl
    from .locking import project_lock

    with project_lock(paths.build_lock):
        t0 = time.perf_counter()
        record = run_pipeline(paths, executor=executor, workers=workers)
        ran = len(record["executed"])
        pl.say(f"pipeline: {ran} job(s) executed, {len(record['jobs']) - ran} up to date "
               f"({record['seconds_pipeline']:.1f} s)")
        if with_book:
            t1 = time.perf_counter()
            built = book.build_html(paths, force=force_book)
            record["seconds_book"] = round(time.perf_counter() - t1, 3)
            pl.say(f"book: {'built' if built else 'unchanged'} -> {paths.rel(paths.html)}/index.html"
                   + (f" ({record['seconds_book']:.1f} s)" if built else ""))
        record["seconds_total"] = round(time.perf_counter() - t0, 3)
        paths.build.mkdir(exist_ok=True)
        paths.run_record.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if with_book:
            stamps.write(paths.stamps, "noop", fingerprint(paths))
        return record


def report_findings(paths: Paths, pipeline, changes: list[str]) -> None:
    """Print the rows of tables marked `report: true` (e.g. where the sources disagree with themselves)."""
    import csv

    from . import pipeline as pl

    for job in pipeline.jobs:
        for t in job.tables:
            rel = f"results/tables/{t.name}.csv"
            if not t.report or not any(c.endswith(rel) for c in changes):
                continue
            with open(paths.root / rel, encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            pl.say(f"findings ({rel}, {len(rows)} row(s)):")
            for r in rows[:25]:
                pl.say("  - " + "; ".join(f"{k}: {v}" for k, v in r.items() if v))


def status(paths: Paths) -> list:
    from . import pipeline as pl, spec

    pipeline = spec.load(paths.root)
    return pl.plan_jobs(paths, pipeline)
