"""Scale rows: synthetic projects with N small notebooks plus one large table (see synthetic.py).

For each N: one cold build (with the one-page book, so that the build leaves the no-op stamp),
then no-op `build` (the fingerprint fast path), `status` (the full staleness check: hash every
input, read every notebook, plan), and an incremental `build --no-book` after changing one small
input (exactly 1 job must run; the book is left out to isolate the engine's cost).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from harness import Progress, Row, Sample, Workspace, engine_env, measure, measure_build, repeat, reprobook
from profile_noop import status_breakdown
from settings import Settings
from synthetic import BIG_REL, SyntheticSpec, change_small_input, datapackage, generate, write_big_table

KINDS = {  # key -> (label, command)
    "cold": ("cold build (1 run)", ("build",)),
    "noop": ("no-op build", ("build",)),
    "status": ("status (staleness check)", ("status",)),
    "incr": ("one input changed, build --no-book", ("build", "--no-book")),
    "validate_big": ("one input changed, large table validated", ("build", "--no-book")),
}


@dataclass
class Scale:
    ns: tuple[int, ...]
    rows: dict[tuple[int, str], Row] = field(default_factory=dict)  # (N, kind) -> row
    facts: dict = field(default_factory=dict)
    projects: dict[int, Path] = field(default_factory=dict)  # built projects, for the no-op profile

    def row(self, n: int, kind: str) -> Row | None:
        return self.rows.get((n, kind))

    def to_json(self) -> dict:
        return {"ns": list(self.ns), "facts": self.facts,
                "rows": {f"{n}:{k}": r.to_json() for (n, k), r in self.rows.items()}}


def _row(scale: Scale, n: int, kind: str, note: str = "") -> Row:
    label, cmd = KINDS[kind]
    r = Row(f"scale_{n}_{kind}", f"N={n} {label}", "python -m reprobook " + " ".join(cmd), note=note)
    scale.rows[(n, kind)] = r
    return r


def project_for(n: int, ws: Workspace, settings: Settings, big_csv: Path) -> tuple[Path, SyntheticSpec]:
    spec = SyntheticSpec(n, big_rows=settings.big_rows)
    return generate(ws.fresh(f"scale/n{n}"), spec, big_csv), spec


def measure_n(scale: Scale, n: int, ws: Workspace, settings: Settings, big_csv: Path, progress: Progress,
              snap_src: Path) -> Path | None:
    project, spec = project_for(n, ws, settings, big_csv)
    env = engine_env(project, ws, PYTHONPATH=str(snap_src))
    progress(f"scale N={n}: cold build ({n} small jobs + 1 large job, with the one-page book)")
    cold = repeat(_row(scale, n, "cold"), 1,
                  lambda i: measure_build(reprobook("build"), project, env, ws, f"n{n}-cold"), progress)
    if not cold.ok:
        return None
    executed = cold.samples[0].info["executed"]
    small = sorted(v for k, v in executed.items() if k != "trade_large")
    scale.facts[f"n{n}"] = {"small_job_median_s": small[len(small) // 2] if small else None,
                            "large_job_s": executed.get("trade_large")}
    repeat(_row(scale, n, "noop"), settings.scale_runs,
           lambda i: measure_build(reprobook("build"), project, env, ws, f"n{n}-noop{i}"), progress)

    def status_once(i: int) -> Sample:
        sample, _ = measure(reprobook("status"), project, env, ws, f"n{n}-status{i}")
        return sample

    repeat(_row(scale, n, "status"), settings.scale_runs, status_once, progress)
    if n == max(scale.ns):
        scale.facts["status_profile"] = {"n": n, **status_breakdown(project, env, ws.tmp / f"status-{n}.prof")}

    def incr_once(attempt: int) -> Sample:
        changed = change_small_input(project, spec, attempt % n, attempt)
        sample = measure_build(reprobook("build", "--no-book"), project, env, ws, f"n{n}-incr{attempt}")
        sample.info["changed"] = changed
        return sample

    repeat(_row(scale, n, "incr", note="1 job must run"), settings.scale_runs, incr_once, progress)
    return project


def validate_big_row(scale: Scale, project: Path, n: int, ws: Workspace, settings: Settings, progress: Progress,
                     snap_src: Path) -> None:
    """The same incremental change, with the large table listed in data/datapackage.json (so validated)."""
    spec = SyntheticSpec(n, big_rows=settings.big_rows, validate_big=True)
    (project / "data" / "datapackage.json").write_text(json.dumps(datapackage(spec), indent=2), encoding="utf-8")
    env = engine_env(project, ws, PYTHONPATH=str(snap_src))
    progress(f"scale N={n}: one small input changed, large table under schema validation")
    row = _row(scale, n, "validate_big",
               note=f"{BIG_REL} listed in datapackage.json, so schema-validated whenever data/ changes")

    def once(i: int) -> Sample:
        change_small_input(project, spec, (i + 1) % n, 100 + i)
        return measure_build(reprobook("build", "--no-book"), project, env, ws, f"n{n}-validatebig{i}")

    repeat(row, settings.validate_big_runs, once, progress)


def run(ws: Workspace, snap: Path, settings: Settings, progress: Progress) -> Scale:
    scale = Scale(settings.scale_ns)
    big = ws.dir("scale") / "trade_large.csv"
    progress(f"scale: writing the large table ({settings.big_rows:,} rows) once")
    size = write_big_table(big, settings.big_rows)
    scale.facts["big_table"] = {"rows": settings.big_rows, "bytes": size}
    first = None
    for n in settings.scale_ns:
        project = measure_n(scale, n, ws, settings, big, progress, snap / "src")
        if project is not None:
            scale.projects[n] = project
        first = first or (n, project)
    if first and first[1] is not None and settings.validate_big_runs:
        validate_big_row(scale, first[1], first[0], ws, settings, progress, snap / "src")
    return scale
