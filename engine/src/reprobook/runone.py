"""`run JOB -p name=value`: one job, possibly with other parameters, into a scratch folder."""
from __future__ import annotations

import json
from typing import Any

from . import compare, execute
from .errors import JobError
from .hashing import content_sha256
from .paths import Paths


def run_one(paths: Paths, job_name: str, overrides: dict[str, Any]) -> int:
    """Run one job with `overrides` into `_build/runs/` and compare its outputs with the record.
    Raises ConfigError for an unknown job or a bad parameter, JobError when the notebook fails."""
    from .build import load_plan
    from .hashing import ordered_json, sha256_bytes
    from .state import StateStore
    from .strategies import RunContext

    store = StateStore(paths.state)
    pipeline, plan = load_plan(paths, store, with_book=False)
    job = pipeline.job(job_name)
    jp = plan.job(job_name)
    planner_keys = {p.job.name: p.key for p in plan.jobs}
    from .plan import Planner

    _, params = Planner(paths, pipeline, store).job_record(job, "", planner_keys, overrides)
    store.save()
    folder = paths.runs / f"{job_name}-{sha256_bytes(ordered_json(params))[:10]}"
    from .book import source_date_epoch

    ctx = RunContext(paths, {p.job.name: p for p in plan.jobs}, pipeline.producer_of(), "run", 1,
                     source_date_epoch=source_date_epoch(paths))
    task = ctx.task(jp, folder, params)
    print(f"running {job_name} with parameters {json.dumps(params)} (results/ is not touched)")
    out = execute.run(task)
    if not out.ok:
        raise JobError(f"job {job_name} failed: {out.error}\n  executed notebook: {out.jobdir.executed}\n"
                       f"  log: {out.jobdir.log}")
    out_dir = out.jobdir.out
    print(f"outputs in {out_dir}  (executed notebook: {out.jobdir.executed})")
    differs = 0
    for t in job.tables:
        rec, new = paths.results / "tables" / f"{t.name}.csv", out_dir / "tables" / f"{t.name}.csv"
        if not rec.is_file():
            print(f"  table {t.name}: no record to compare with")
            continue
        d = compare.diff_tables(rec.read_text(encoding="utf-8"), new.read_text(encoding="utf-8"), t.key, t.tolerance)
        if d.identical:
            print(f"  table {t.name}: same as the record")
        else:
            differs += 1
            print(f"  table {t.name}: differs from the record")
            for line in compare.describe(d):
                print(f"    {line}")
    for f in job.figures:
        rec, new = paths.results / "figures" / f"{f}.svg", out_dir / "figures" / f"{f}.svg"
        same = rec.is_file() and content_sha256(rec) == content_sha256(new)
        differs += not same
        print(f"  figure {f}: {'same as the record' if same else 'differs from the record'} ({new})")
    if job.values:
        rec_path = paths.results / "values.json"
        old = json.loads(rec_path.read_text(encoding="utf-8")) if rec_path.is_file() else {}
        new = json.loads((out_dir / "values.json").read_text(encoding="utf-8"))
        changes = compare.diff_values({k: old.get(k) for k in job.values if k in old}, new)
        for name, a, b in changes:
            differs += 1
            print(f"  value {name}: {a} -> {b}")
        if not changes:
            print("  values: same as the record")
    print(f"{differs} artifact(s) differ from the record" if differs else "all artifacts match the record")
    return 0
