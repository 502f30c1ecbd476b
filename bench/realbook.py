"""Rows on the real book: cold, no-op and incremental builds, `make book`, verify.

Every row works in a copy of one snapshot of the project; nothing here touches the project tree.
"""
from __future__ import annotations

import csv
import io
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness import (Progress, Row, Sample, Workspace, clone, engine_env, make_flags, measure, measure_build,
                     repeat, reprobook, settle)
from settings import Settings

# the one-data-file change: a value whose change every check in data/ accepts (no total covers it)
DATA_FILE = "data/trade_flows.csv"
DATA_ROW = {"reporter": "CA5", "flow": "export_to_eu", "year": "2004"}
DATA_COLUMN = "value_keur"
DATA_STEP = 10_000  # thousand EUR added per run: a different value each run, visible in the results
PROSE_FILE = "book/conclusions.md"
PROSE_SENTENCE = "\nThis sentence was appended by the benchmark (run {run}) and changes no result.\n"


@dataclass
class RealBook:
    rows: dict[str, Row] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    built: list[Path] = field(default_factory=list)  # copies whose cold build succeeded, in order

    def add(self, row: Row) -> Row:
        self.rows[row.key] = row
        return row

    @property
    def warm(self) -> Path:
        """The copy the no-op, incremental and profile rows use."""
        return self.built[0]

    @property
    def for_verify(self) -> Path:
        return self.built[min(1, len(self.built) - 1)]

    @property
    def for_baseline(self) -> Path:
        """Whose results/ the baseline books include."""
        return self.built[-1]


# --- edits applied to a copy -------------------------------------------------------------------------

def bump_csv_value(path: Path, match: dict[str, str], column: str, delta: int) -> str:
    """Add `delta` to `column` of the first row matching `match` (or the last row); return 'old -> new'."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    col = header.index(column)
    target = next((r for r in rows[1:] if all(r[header.index(k)] == v for k, v in match.items())), rows[-1])
    old = target[col]
    target[col] = str(int(old) + delta)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return f"{old} -> {target[col]}"


def append_sentence(project: Path, run: int) -> str:
    path = project / PROSE_FILE
    if not path.is_file():  # the chapter was renamed: take the last chapter file
        path = sorted((project / "book").glob("*.md"))[-1]
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(PROSE_SENTENCE.format(run=run + 1))
    return path.relative_to(project).as_posix()


def dependent_jobs(project: Path, rel: str) -> list[str]:
    """Jobs that read `rel`, directly or through another job's results, from the copy's pipeline.yml."""
    jobs = yaml.safe_load((project / "pipeline.yml").read_text(encoding="utf-8"))["jobs"]

    def outputs(job: dict) -> set[str]:
        outs = job.get("outputs") or {}
        tables = outs.get("tables") or {}
        paths = {f"results/tables/{t}.csv" for t in tables}
        for f in outs.get("figures") or []:
            paths |= {f"results/figures/{f}.svg", f"results/figures/{f}.pdf"}
        return paths

    changed, found = {rel}, set()
    while True:
        new = {name for name, job in jobs.items() if name not in found and changed & set(job.get("inputs") or [])}
        if not new:
            return sorted(found)
        found |= new
        for name in new:
            changed |= outputs(jobs[name])


def git_commit_all(project: Path, env: dict[str, str]) -> None:
    """Make the copy a git repository whose HEAD holds results/ (what `verify` compares with)."""
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)
    git("init", "-q")
    (project / ".git" / "info").mkdir(exist_ok=True)
    (project / ".git" / "info" / "exclude").write_text(".venv\n", encoding="utf-8")
    git("add", "-A")
    git("-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "benchmark snapshot")


# --- the rows ----------------------------------------------------------------------------------------

def run(ws: Workspace, snap: Path, settings: Settings, progress: Progress) -> RealBook:
    rb = RealBook()
    progress("real book: cold builds (fresh copy without results/ and _build/ each run)")
    cold = rb.add(Row("cold", "cold build", "python -m reprobook build",
                      note="fresh copy without results/ and _build/"))

    def cold_once(attempt: int) -> Sample:
        copy = clone(snap, ws.fresh(f"real/cold{attempt}"))
        sample = measure_build(reprobook("build"), copy, engine_env(copy, ws), ws, f"cold{attempt}")
        rb.built.append(copy)
        return sample

    repeat(cold, settings.cold, cold_once, progress)
    if not cold.ok:
        rb.facts["fatal"] = "the cold build failed; the other real-book rows need a built copy"
        return rb
    warm = rb.warm
    env = engine_env(warm, ws)
    rb.facts["jobs"] = sorted(cold.samples[0].info["executed"])

    progress("real book: no-op builds")
    settle(warm, env, progress)
    repeat(rb.add(Row("noop", "no-op build", "python -m reprobook build", note="right after a build")),
           settings.noop, lambda i: measure_build(reprobook("build"), warm, env, ws, f"noop{i}"), progress)
    flags = make_flags(warm, env)
    rb.facts["make_stamp_note"] = ("" if not flags else "the snapshot's requirements.lock is newer than the venv stamp; "
                                   "make ran with `-o .venv/.installed-lock` so that it never reinstalls the shared venv")
    repeat(rb.add(Row("make_noop", "no-op `make book`", "make -C <copy> book",
                      note="make start-up + venv stamp check + no-op build")),
           settings.noop, lambda i: measure_build(["make", "-s", "-C", str(warm), *flags, "book"], warm, env, ws,
                                                  f"makenoop{i}"), progress)

    progress(f"real book: one-data-file change ({DATA_FILE}, {DATA_COLUMN})")
    rb.facts["data_change"] = {"file": DATA_FILE, "row": DATA_ROW, "column": DATA_COLUMN,
                               "expected_jobs": dependent_jobs(warm, DATA_FILE), "edits": []}
    original = (warm / DATA_FILE).read_text(encoding="utf-8")

    def data_once(attempt: int) -> Sample:
        (warm / DATA_FILE).write_text(original, encoding="utf-8")
        rb.facts["data_change"]["edits"].append(
            bump_csv_value(warm / DATA_FILE, DATA_ROW, DATA_COLUMN, DATA_STEP * (attempt + 1)))
        return measure_build(reprobook("build"), warm, env, ws, f"data{attempt}")

    repeat(rb.add(Row("incr_data", "one data file changed", "python -m reprobook build",
                      note=f"{DATA_FILE}: one value, a different one each run")),
           settings.incremental, data_once, progress)

    progress(f"real book: prose-only change ({PROSE_FILE})")
    settle(warm, env, progress)
    rb.facts["prose_change"] = {"files": []}

    def prose_once(attempt: int) -> Sample:
        rb.facts["prose_change"]["files"].append(append_sentence(warm, attempt))
        return measure_build(reprobook("build"), warm, env, ws, f"prose{attempt}")

    repeat(rb.add(Row("incr_prose", "prose-only change", "python -m reprobook build",
                      note="a sentence appended to a chapter; 0 jobs must run")),
           settings.incremental, prose_once, progress)

    verify_rows(rb, ws, settings, progress)
    return rb


def verify_rows(rb: RealBook, ws: Workspace, settings: Settings, progress: Progress) -> None:
    """`verify` in a cold-built copy made a git repository with results/ committed."""
    copy = rb.for_verify
    env = engine_env(copy, ws)
    progress("real book: verify (git repository with results/ committed)")
    try:
        git_commit_all(copy, env)
    except subprocess.CalledProcessError as exc:
        rb.add(Row("verify", "verify", "python -m reprobook verify", error=f"git commit failed: {exc.stderr}"))
        return

    def once(cmd: list[str], name: str):
        def f(i: int) -> Sample:
            sample, _ = measure(cmd, copy, env, ws, f"{name}{i}")
            return sample
        return f

    repeat(rb.add(Row("verify", "verify", "python -m reprobook verify",
                      note="re-executes every job in a clean room, compares with the record")),
           settings.verify, once(reprobook("verify"), "verify"), progress)
    flags = make_flags(copy, env)
    repeat(rb.add(Row("make_verify", "`make verify`", "make -C <copy> verify")),
           settings.make_verify, once(["make", "-s", "-C", str(copy), *flags, "verify"], "makeverify"), progress)
