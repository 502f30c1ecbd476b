"""How a job turns into notebook executions: once (`Single`), or over a grid in chunks (`Sweep`).

The scheduler knows only this interface: `units` (what to execute now; [] when nothing needs to
run), `accept` (one unit finished well: keep what it made), `complete` (all units finished well:
leave the job's outputs in its cache folder).
"""
from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import provenance, publish
from .execute import Outcome, Task
from .jobdir import JobDir
from .paths import Paths
from .plan import JobPlan
from .hashing import sha256_json

SAVED = "saved.json"  # in a sweep point's cache folder: which cell saved each table (reprobook.provenance)


def points_dir(paths: Paths, job: str) -> Path:
    """Where a sweep caches its points, one folder per point key."""
    return paths.cache / job / "points"


@dataclass
class RunContext:
    """What every unit of one run shares."""

    paths: Paths
    plans: dict[str, JobPlan]
    producer: dict[str, str]  # output path -> job name
    run_id: str
    workers: int
    warm: bool = False
    preload: tuple[str, ...] = ()  # what the run's warm parent imports (reprobook.warm.preload_modules)
    guard: bool = True
    source_date_epoch: str = "0"
    # the declared inputs' file stamps when the run began (schedule.input_stamps): a file written
    # while a job ran is noticed even when it was put back as it was
    stamps: dict[str, tuple | None] = field(default_factory=dict)

    def task(self, jp: JobPlan, folder: Path, parameters: dict[str, Any] | None = None) -> Task:
        from .warm import job_modules

        paths = self.paths
        inputs = {rel: str(paths.root / rel) for rel in jp.record["inputs"] if not jp.record["inputs"][rel].startswith("job:")}
        for rel in jp.job.inputs:
            if rel in self.producer:
                up = self.plans[self.producer[rel]]
                inputs[rel] = str(publish.source(paths, up) / Path(rel).relative_to("results"))
            else:
                inputs[rel] = str(paths.root / rel)
        timeout = jp.job.timeout or paths.settings.timeout
        return Task(job=jp.job.name, key=jp.key, notebook=str(paths.root / jp.job.notebook),
                    parameters=dict(jp.parameters if parameters is None else parameters), inputs=inputs,
                    expected=tuple(jp.job.output_files()), values=jp.job.values, claims=jp.job.claims,
                    root=str(paths.root), folder=str(folder), code_dirs=tuple(str(d) for d in paths.code_dirs),
                    kernel_home=str(paths.kernel_home), timeout=timeout, warm=self.warm, preload=self.preload,
                    modules=job_modules(jp) if self.warm else (),
                    guard=self.guard, source_date_epoch=self.source_date_epoch,
                    datapackage=paths.rel(paths.datapackage) if paths.datapackage.is_file() else "",
                    code_files=tuple(sorted(jp.record["code"])), run_id=self.run_id)


@dataclass
class Unit:
    """One notebook execution: a whole job, or one chunk of a sweep's points."""

    plan: JobPlan
    task: Task
    points: tuple = ()
    attempts: int = 0
    label: str = ""  # "" for a whole job, "-chunkN" for a chunk


class Single:
    """A job that runs its notebook once."""

    def units(self, ctx: RunContext, jp: JobPlan) -> list[Unit]:
        folder = ctx.paths.scratch / f"{jp.job.name}-{ctx.run_id}"
        return [Unit(jp, ctx.task(jp, folder))]

    def accept(self, ctx: RunContext, unit: Unit, out: Outcome) -> str:
        return ""

    def complete(self, ctx: RunContext, jp: JobPlan, outcomes: list[Outcome]) -> None:
        folder = Path(outcomes[-1].folder)
        provenance.write_record(folder, jp.job.name, ctx.paths.root)
        publish.store(jp, folder)


@dataclass
class Sweep:
    """A job that runs its notebook over a grid of points in chunks, caching every point, and
    gathers the points' rows, in grid order, into its tables."""

    def point_dir(self, ctx: RunContext, jp: JobPlan, point: Any) -> Path:
        sweep = jp.record["sweep"]
        key = sha256_json({**jp.record, "sweep": {"parameter": sweep["parameter"], "column": sweep["column"]},
                           "point": point})
        return points_dir(ctx.paths, jp.job.name) / key

    def units(self, ctx: RunContext, jp: JobPlan) -> list[Unit]:
        sweep = jp.job.sweep
        missing = [pt for pt in sweep.points if not self.point_dir(ctx, jp, pt).is_dir()]
        units = []
        for i, chunk in enumerate(chunks(missing, sweep.chunks or ctx.workers) if missing else []):
            params = {**jp.parameters, sweep.parameter: list(chunk)}
            folder = ctx.paths.scratch / f"{jp.job.name}-{ctx.run_id}-chunk{i}"
            units.append(Unit(jp, ctx.task(jp, folder, params), tuple(chunk), label=f"-chunk{i}"))
        return units

    def accept(self, ctx: RunContext, unit: Unit, out: Outcome) -> str:
        """Split a chunk's tables by point and cache each point; returns an error or ''."""
        sweep = unit.plan.job.sweep
        per_point: dict[Any, dict[str, list[list[str]]]] = {pt: {} for pt in unit.points}
        for t in unit.plan.job.tables:
            with open(JobDir(Path(out.folder)).out / "tables" / f"{t.name}.csv", encoding="utf-8", newline="") as fh:
                rows = list(csv.reader(fh))
            header, body = rows[0], rows[1:]
            if sweep.column not in header:
                return f"sweep table {t.name} has no column '{sweep.column}' naming the point of each row"
            col = header.index(sweep.column)
            for pt in unit.points:
                mine = [r for r in body if same_point(r[col], pt)]
                if not mine:
                    return f"sweep table {t.name} has no rows for {sweep.column} = {pt}"
                per_point[pt][t.name] = [header] + mine
        saved = self.saved_cells(JobDir(Path(out.folder)))
        for pt, tables in per_point.items():
            dest = self.point_dir(ctx, unit.plan, pt)
            tmp = dest.with_name(dest.name + ".tmp")
            if tmp.exists():
                shutil.rmtree(tmp)
            tmp.mkdir(parents=True)
            for name, rows in tables.items():
                with open(tmp / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
                    csv.writer(fh, lineterminator="\n").writerows(rows)
            (tmp / SAVED).write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(tmp, dest)
        return ""

    @staticmethod
    def saved_cells(jd: JobDir) -> dict[str, Any]:
        """Which cell of the notebook saved each table, from one chunk's run ({} if it cannot tell)."""
        try:
            import nbformat

            executed = nbformat.read(str(jd.executed), as_version=4)
        except (OSError, ValueError):
            return {}
        return provenance.saved_cells(executed, provenance.read_provenance(jd.provenance))

    def complete(self, ctx: RunContext, jp: JobPlan, outcomes: list[Outcome]) -> None:
        staging = JobDir(ctx.paths.scratch / f"{jp.job.name}-{ctx.run_id}-gather").create()
        (staging.out / "tables").mkdir()
        first = self.point_dir(ctx, jp, jp.job.sweep.points[0]) / SAVED
        saved = provenance.read_provenance(first)
        grid = {**jp.parameters, jp.job.sweep.parameter: list(jp.job.sweep.points)}
        provenance.write_sweep_record(staging.folder, jp.job.name, ctx.paths.root, ctx.paths.root / jp.job.notebook,
                                      grid, saved)
        for t in jp.job.tables:
            lines: list[str] = []
            for i, pt in enumerate(jp.job.sweep.points):
                text = (self.point_dir(ctx, jp, pt) / f"{t.name}.csv").read_text(encoding="utf-8")
                rows = text.splitlines(keepends=True)
                lines += rows if i == 0 else rows[1:]
            (staging.out / "tables" / f"{t.name}.csv").write_text("".join(lines), encoding="utf-8")
        publish.store(jp, staging.folder)


def strategy_for(jp: JobPlan):
    return Sweep() if jp.job.sweep is not None else Single()


def chunks(points: list, n: int) -> list[tuple]:
    """`points` split into at most n runs of consecutive points, as even as possible."""
    n = max(1, min(n, len(points)))
    size, extra = divmod(len(points), n)
    out, i = [], 0
    for c in range(n):
        step = size + (c < extra)
        out.append(tuple(points[i:i + step]))
        i += step
    return out


def same_point(cell: str, point: Any) -> bool:
    if isinstance(point, (int, float)) and not isinstance(point, bool):
        try:
            return abs(float(cell) - float(point)) <= 1e-9 * max(1.0, abs(float(point)))
        except ValueError:
            return False
    return cell == str(point)
