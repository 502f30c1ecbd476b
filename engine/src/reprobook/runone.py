"""`run JOB -p name=value`: one job, possibly with other parameters, into a scratch folder."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import compare, execute, pipeline as pl, spec
from .errors import JobError
from .hashing import sha256_file, sha256_json
from .paths import Paths


def run_one(paths: Paths, job_name: str, overrides: dict[str, Any]) -> int:
    pipeline = spec.load(paths.root)
    job = pipeline.job(job_name)
    params = {**job.parameters, **overrides}
    plans = {p.job.name: p for p in pl.plan_jobs(paths, pipeline)}
    plan = plans[job_name]
    folder = paths.build / "runs" / f"{job_name}-{sha256_json(params)[:10]}"
    producer = pipeline.producer_of()
    task = pl._task(paths, plan, plans, producer, "run", parameters=params, scratch=folder)
    task = execute.Task(**{**task.__dict__, "executed": str(folder.parent / f"{folder.name}.ipynb"),
                           "log": str(folder.parent / f"{folder.name}.log")})
    print(f"running {job_name} with parameters {json.dumps(params, sort_keys=True)} (results/ is not touched)")
    out = execute.run(task)
    if not out.ok:
        raise JobError(f"job {job_name} failed: {out.error}\n  executed notebook: {out.executed}")
    out_dir = Path(out.output_dir)
    print(f"outputs in {out_dir}  (executed notebook: {out.executed})")
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
        same = rec.is_file() and sha256_file(rec) == sha256_file(new)
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
