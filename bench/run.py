"""The reprobook benchmark suite: `make bench` (quick) or `make bench-full` (more repetitions).

    .venv/bin/python bench/run.py [--full] [--only real,scale,profile] [--keep]

Takes one snapshot of the project (the files git lists, as they are in the working tree) into a
temporary workspace, measures every row on copies of it, removes the workspace, and writes
_build/bench/report.md and report.json. The project tree itself is never modified.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline  # noqa: E402
import profile_noop  # noqa: E402
import realbook  # noqa: E402
import report  # noqa: E402
import scale  # noqa: E402
from harness import (PROJECT, Progress, QuietGate, Workspace, clone, engine_env, measure_build,  # noqa: E402
                     reprobook, snapshot)
from settings import FULL, QUICK, SMOKE  # noqa: E402

PARTS = ("real", "scale", "profile")  # run in this order (the profile looks at a scale project too)
ENV_NOTE = ("measured commands run with the copy's src/ first on PYTHONPATH (the snapshot's engine and study "
            "code, not the live tree the editable install points at), the real .venv symlinked into each copy, "
            "bytecode caching on (PYTHONDONTWRITEBYTECODE removed), TMPDIR inside the workspace, MPLBACKEND=Agg")


def machine() -> dict:
    mem = next((int(ln.split()[1]) for ln in open("/proc/meminfo") if ln.startswith("MemTotal")), 0)
    model = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    return {"cpus": len(os.sched_getaffinity(0)), "cpu_model": model, "mem_gib": mem / 2 ** 20,
            "python": platform.python_version(), "platform": platform.platform()}


def git_state(root: Path) -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout.strip()
    return {"head": git("rev-parse", "--short", "HEAD") or "?", "dirty": len(git("status", "--porcelain").splitlines())}


def warm_copy(ws: Workspace, snap: Path, progress: Progress) -> Path:
    """A built copy for the profile when the real-book rows are skipped."""
    progress("profile: building a copy first (not measured)")
    copy = clone(snap, ws.fresh("profile/warm"))
    measure_build(reprobook("build"), copy, engine_env(copy, ws), ws, "profile-warm")
    return copy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="reprobook benchmarks")
    ap.add_argument("--full", action="store_true", help="more repetitions (make bench-full)")
    ap.add_argument("--smoke", action="store_true", help="one run per row, small synthetic projects: tests the suite")
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    ap.add_argument("--keep", action="store_true", help="keep the temporary workspace (for debugging)")
    ap.add_argument("--out", type=Path, default=PROJECT / "_build" / "bench")
    args = ap.parse_args(argv)
    parts = set(args.only.split(","))
    if parts - set(PARTS):
        ap.error(f"--only takes {','.join(PARTS)}")
    settings = FULL if args.full else SMOKE if args.smoke else QUICK
    progress = Progress()
    rb = sc = prof = None
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "settings": asdict(settings),
            "machine": machine(), "env_note": ENV_NOTE, "parts": sorted(parts)}
    progress(f"reprobook benchmark ({settings.name}): {', '.join(p for p in PARTS if p in parts)}")
    try:
        with Workspace(keep=args.keep) as ws:
            ws.quiet = QuietGate(settings.quiet_budget_s)
            snap = ws.dir("snapshot")
            meta["snapshot"] = {"files": snapshot(PROJECT, snap), **git_state(PROJECT)}
            progress(f"snapshot: {meta['snapshot']['files']} files copied into {ws.root}")
            if "real" in parts:
                rb = realbook.run(ws, snap, settings, progress)
                if not rb.facts.get("fatal"):
                    baseline.run(rb, ws, snap, settings, progress)
            if "scale" in parts:
                sc = scale.run(ws, snap, settings, progress)
            if "profile" in parts and not (rb and rb.facts.get("fatal")):
                warm = rb.warm if rb else warm_copy(ws, snap, progress)
                large = (sc.projects[max(sc.projects)], snap / "src") if sc and sc.projects else None
                prof = profile_noop.run(warm, ws, settings, progress, large)
            meta["quiet_wait_s"] = round(ws.quiet.waited, 1)
            progress("removing the workspace")
    finally:
        meta["total_seconds"] = round(progress.elapsed, 1)
        meta.setdefault("snapshot", {"files": 0, "head": "?", "dirty": 0})
        md = report.write(args.out, meta, rb, sc, prof)
        progress(f"report: {md} and report.json (total {meta['total_seconds'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
