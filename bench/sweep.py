"""Benchmark: the pathway threshold sweep on 1 local process, 2 local processes and a Dask
LocalCluster with 2 workers, in one run; reports the per-chunk overhead of the cluster path.

Run:  .venv/bin/python bench/sweep.py [--repeat N]
Writes _build/bench/sweep.md and sweep.json. Works on a copy of the project in a temp folder.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
JOB = "pathway_sweep"


def project_copy(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if rel.startswith(("results/", "bench/", "tests/")) or not (ROOT / rel).is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)
    spec = yaml.safe_load((dest / "pipeline.yml").read_text())
    spec["jobs"] = {JOB: spec["jobs"][JOB]}  # the sweep alone
    (dest / "pipeline.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return dest


def timed_build(project: Path, *args: str) -> tuple[float, dict]:
    for d in ("_build", "results"):
        shutil.rmtree(project / d, ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "reprobook", "build", "--no-book", *args], cwd=project,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"build {args} failed:\n{proc.stderr[-3000:]}")
    return seconds, json.loads((project / "_build" / "run.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from distributed import LocalCluster

    spec = yaml.safe_load((ROOT / "pipeline.yml").read_text())["jobs"][JOB]
    n_points = len(__import__("reprobook.spec", fromlist=["grid"]).grid(
        spec["sweep"]["values"]["start"], spec["sweep"]["values"]["stop"], spec["sweep"]["values"]["step"]))
    rows = {}
    with tempfile.TemporaryDirectory(prefix="reprobook-bench-sweep-") as tmp:
        project = project_copy(Path(tmp) / "project")
        workdir = Path(tmp) / "workers"
        workdir.mkdir()
        cwd = os.getcwd()
        os.chdir(workdir)
        try:
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, local_directory=str(workdir),
                              dashboard_address=None) as cluster:
                variants = {
                    "1 local process": ["-j", "1"],
                    "2 local processes": ["-j", "2"],
                    "LocalCluster, 2 workers": ["--scheduler", cluster.scheduler_address],
                }
                for name, extra in variants.items():
                    times = []
                    for i in range(args.repeat):
                        seconds, run = timed_build(project, *extra)
                        times.append(seconds)
                        print(f"  {name}: run {i + 1}: {seconds:.2f} s", flush=True)
                    rows[name] = {"median": statistics.median(times), "min": min(times), "max": max(times),
                                  "chunks": 1 if extra == ["-j", "1"] else 2}
        finally:
            os.chdir(cwd)
    local2, cluster2 = rows["2 local processes"], rows["LocalCluster, 2 workers"]
    overhead = (cluster2["median"] - local2["median"]) / cluster2["chunks"]
    out = ROOT / "_build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    md = [f"# Sweep benchmark: {JOB}, {n_points} thresholds", "",
          f"Whole `reprobook build --no-book` of the sweep alone, cold (no cache), {args.repeat} runs each.", "",
          "| executor | chunks | median s | min s | max s | ratio to 1 process |", "|---|---|---|---|---|---|"]
    base = rows["1 local process"]["median"]
    for name, r in rows.items():
        md.append(f"| {name} | {r['chunks']} | {r['median']:.2f} | {r['min']:.2f} | {r['max']:.2f} | {r['median'] / base:.2f} |")
    md += ["", f"Per-chunk overhead of the cluster path (shipping the notebook, inputs and code, "
               f"unpacking the outputs) against 2 local processes: {overhead:+.2f} s."]
    (out / "sweep.md").write_text("\n".join(md) + "\n")
    (out / "sweep.json").write_text(json.dumps({"points": n_points, "rows": rows, "cluster_overhead_per_chunk_s": overhead}, indent=2))
    print("\n".join(md))


if __name__ == "__main__":
    main()
