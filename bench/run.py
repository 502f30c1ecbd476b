"""`make bench`: the README's performance table, measured side by side with the naive way.

    .venv/bin/python bench/run.py [--parts exec,edits,status,setup] [--rounds 3] [--keep]
    .venv/bin/python bench/run.py --parts tests      # make test and make test-fast (make bench-tests)

Every command runs as a whole process in a copy of the project (the files git lists, as they are
in the working tree) inside one temporary folder; the project itself is only read, except that
`--parts tests` runs `make test` in it. Rows measured in rounds (A, B, C, A, B, C, ...) give
ratios pair by pair, so that a comparison holds when the shared machine's speed drifts. Writes
_build/bench/report.json (every sample) and report.md (tables only); a part not measured in this
run keeps its rows from the previous report.json, with their date.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import naive  # noqa: E402
import synthetic  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
PY = str(VENV / "bin" / "python")
STAMP = ".venv/.installed-lock"
OUT = ROOT / "_build" / "bench"
PARTS = ("exec", "edits", "status", "setup", "tests")
DEFAULT_PARTS = ("exec", "edits", "status", "setup")
# removed from every measured command's environment: the outer make's flags, project overrides, and
# PYTHONDONTWRITEBYTECODE (set in some shells; it makes every process compile every module it imports)
SCRUB = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "SCHEDULER")
# fresh-clone setup: no package cache and no local wheel mirror, on either side
NO_CACHE = {"UV_NO_CACHE": "1", "PIP_NO_CACHE_DIR": "1", "PIP_FIND_LINKS": "", "PIP_CONFIG_FILE": os.devnull}
PIP_SETUP = ("python3 -m venv .venv && .venv/bin/pip install -q --require-hashes -r requirements.lock && "
             ".venv/bin/pip install -q --no-deps --no-build-isolation -e engine -e .")
EDITED_INPUT = "data/trade_flows.csv"
EDITED_PAGE = "book/conclusions.md"


class BenchError(RuntimeError):
    pass


@dataclass
class Row:
    """One measured command: a sample per run (wall seconds and facts about the run)."""

    part: str
    label: str
    command: str
    samples: list[dict] = field(default_factory=list)
    date: str = ""

    def values(self, name: str = "seconds") -> list[float]:
        return [s[name] for s in self.samples if isinstance(s.get(name), (int, float))]

    def median(self, name: str = "seconds") -> float | None:
        v = self.values(name)
        return statistics.median(v) if v else None


# --- running and timing ------------------------------------------------------------------------

class Bench:
    """The temporary workspace, the logs, and every row measured so far."""

    def __init__(self, keep: bool):
        self.tmp = Path(tempfile.mkdtemp(prefix="reprobook-bench-"))
        self.keep = keep
        self.rows: dict[str, Row] = {}
        self.n_logs = 0
        (self.tmp / "logs").mkdir()
        (self.tmp / "tmp").mkdir()
        self.snapshot = self.tmp / "snapshot"
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, check=True).stdout.decode()
        for rel in filter(None, out.split("\0")):
            if (ROOT / rel).is_file():
                (self.snapshot / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / rel, self.snapshot / rel)

    def env(self, project: Path | None = None, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SCRUB and not k.startswith("REPROBOOK_")}
        env.update(TMPDIR=str(self.tmp / "tmp"), MPLBACKEND="Agg")
        if project is not None:  # the copy's engine and study code, not the live tree
            env["PYTHONPATH"] = f"{project / 'src'}{os.pathsep}{project / 'engine' / 'src'}"
        env.update(extra)
        return env

    def copy(self, name: str, results: bool = True, venv: bool = True) -> Path:
        """A fresh copy of the snapshot (without results/ unless asked), the real .venv linked in."""
        dest = self.tmp / name
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(self.snapshot, dest, ignore=None if results else shutil.ignore_patterns("results"))
        if venv:
            (dest / ".venv").symlink_to(VENV)
        return dest

    def run(self, cmd: list[str] | str, cwd: Path, env: dict[str, str] | None = None) -> dict:
        """Run one command to completion; returns its wall seconds. Raises BenchError if it fails."""
        self.n_logs += 1
        log = self.tmp / "logs" / f"{self.n_logs:03d}.log"
        env = env or self.env(cwd)
        with open(log, "w") as fh:
            fh.write(f"$ {cmd}\n")
            fh.flush()
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT, shell=isinstance(cmd, str))
            wall = time.perf_counter() - t0
        if proc.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise BenchError(f"exit {proc.returncode}: {cmd}\n(in {cwd}, log {log})\n{tail}")
        return {"seconds": round(wall, 3)}

    def measure(self, key: str, part: str, label: str, cmd, cwd: Path, env=None, **facts) -> dict:
        sample = self.run(cmd, cwd, env)
        sample.update(facts)
        shown = (cmd if isinstance(cmd, str) else " ".join(map(str, cmd))).replace(str(self.tmp), "$TMP")
        row = self.rows.setdefault(key, Row(part, label, shown.replace(str(ROOT) + "/", "")))
        row.samples.append(sample)
        print(f"  {label}: {sample['seconds']:.2f} s", flush=True)
        return sample


def make(*target: str) -> list[str]:
    """make in a copy, never reinstalling the shared .venv (-o: its stamp counts as current)."""
    return ["make", "-s", "-o", STAMP, *target]


def run_record(project: Path) -> dict:
    p = project / "_build" / "run.json"
    return json.loads(p.read_text()) if p.is_file() else {"noop": True, "executed": {}, "seconds": {}}


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def set_setting(project: Path, name: str, value) -> None:
    import yaml

    spec = yaml.safe_load((project / "pipeline.yml").read_text())
    spec.setdefault("settings", {})[name] = value
    (project / "pipeline.yml").write_text(yaml.safe_dump(spec, sort_keys=False))


def edit_input(project: Path, run: int) -> None:
    """Change the value of the first row of EDITED_INPUT (CA5 exports, 2004), differently on each run."""
    path = project / EDITED_INPUT
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[3] = str(int(cells[3]) + 1 + run)
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


def dependents(project: Path, rel: str) -> set[str]:
    """Jobs that read `rel`, directly or through another job's outputs."""
    from reprobook import spec

    pipeline = spec.load(project)
    producer, out = pipeline.producer_of(), set()
    for name in spec.order(pipeline):
        job = pipeline.job(name)
        if rel in job.inputs or any(producer.get(i) in out for i in job.inputs):
            out.add(name)
    return out


# --- the parts -----------------------------------------------------------------------------------

def part_exec(b: Bench, rounds: int) -> Path:
    """Cold builds (warm and cold kernels) against papermill one after another and jupyter-book build."""
    print("exec: a first build, not measured (it compiles bytecode and fills caches; the edits part uses it)")
    built = b.copy("built", results=False)
    b.run(make("book"), built)
    prep = b.tmp / "naive"
    (prep / "out").mkdir(parents=True)
    naive_project = b.copy("naive-project")
    plan, script = naive.prepare(naive_project, prep, str(VENV / "bin" / "papermill"))
    book = b.copy("jb-book")
    for i in range(rounds):
        print(f"exec: round {i + 1}/{rounds}", flush=True)
        for variant, label, cmd in (("warm", "cold make book", make("book")),
                                    ("cold", "cold build --no-book, warm_kernels: false",
                                     [PY, "-m", "reprobook", "build", "--no-book"])):
            copy = b.copy(f"cold-{variant}", results=False)
            if variant == "cold":
                set_setting(copy, "warm_kernels", False)
            s = b.measure(f"cold_{variant}", "exec", label, cmd, copy)
            rec = run_record(copy)
            s.update(pipeline=rec["seconds"]["pipeline"], jobs=len(rec["executed"]),
                     results=tree_digest(copy / "results"))
        b.measure("papermill_cli", "exec", "papermill CLI, one notebook after another", ["bash", str(script)],
                  naive_project)
        b.measure("papermill_inproc", "exec", "papermill in-process, one after another",
                  [PY, str(Path(__file__).parent / "naive.py"), str(plan), str(naive_project)], naive_project)
        shutil.rmtree(book / "_build", ignore_errors=True)
        b.measure("jb_cold", "exec", "jupyter-book build, from scratch", [str(VENV / "bin" / "jupyter-book"), "build",
                                                                           "."], book)
    b.rows["record"] = Row("exec", "results/ of record", "", [{"results": tree_digest(b.snapshot / "results")}])
    return built


def part_edits(b: Bench, built: Path | None, runs: int) -> None:
    """No-op, one input changed, prose only, verify; the naive way's no-op and prose edit."""
    if built is None:
        built = b.copy("built", results=False)
        b.run(make("book"), built)
    expected = dependents(built, EDITED_INPUT)
    book = b.tmp / "jb-book"
    if not (book / "_build" / "html").is_dir():
        book = b.copy("jb-book")
        b.run([str(VENV / "bin" / "jupyter-book"), "build", "."], book)
    jb = [str(VENV / "bin" / "jupyter-book"), "build", "."]
    for i in range(5):
        (built / "_build" / "run.json").unlink(missing_ok=True)
        s = b.measure("noop", "edits", "no-op make book", make("book"), built)
        s.update(noop=run_record(built)["noop"])
    for i in range(runs):
        print(f"edits: round {i + 1}/{runs}", flush=True)
        (built / "_build" / "run.json").unlink(missing_ok=True)
        edit_input(built, i)
        s = b.measure("one_input", "edits", f"make book after editing {EDITED_INPUT}", make("book"), built)
        ran = set(run_record(built)["executed"])
        s.update(jobs=sorted(ran), only_dependents=ran == expected)
        with open(built / EDITED_PAGE, "a") as fh:
            fh.write(f"\nA sentence added by the bench, run {i}.\n")
        (built / "_build" / "run.json").unlink(missing_ok=True)
        s = b.measure("prose", "edits", f"make book after editing {EDITED_PAGE}", make("book"), built)
        s.update(jobs=len(run_record(built)["executed"]))
        b.measure("jb_noop", "edits", "jupyter-book build, nothing changed", jb, book)
        with open(book / EDITED_PAGE, "a") as fh:
            fh.write(f"\nA sentence added by the bench, run {i}.\n")
        b.measure("jb_prose", "edits", f"jupyter-book build after editing {EDITED_PAGE}", jb, book)
        b.measure("verify", "edits", "make verify", make("verify"), built)
    serve_rows(b, built, runs)


def serve_rows(b: Bench, built: Path, runs: int) -> None:
    """`reprobook serve` on the built copy: seconds from saving a page to its new text being served."""
    import re

    log_path = b.tmp / "logs" / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([PY, "-m", "reprobook", "serve", "--port", "0"], cwd=built, env=b.env(built),
                                stdout=log, stderr=subprocess.STDOUT)
    page = Path(EDITED_PAGE).with_suffix(".html").as_posix()
    row = b.rows.setdefault("serve_prose", Row("edits", f"make serve: {EDITED_PAGE} saved, new text served",
                                               "reprobook serve"))
    try:
        found = []
        wait_for(lambda: found.extend(re.findall(r"http://\S+/", log_path.read_text())) or found, 120,
                 "serve printed no address")
        url = found[0] + page
        for i in range(runs):
            marker = f"Bench serve marker {i} {time.time_ns()}"
            t0 = time.perf_counter()
            with open(built / EDITED_PAGE, "a") as fh:
                fh.write(f"\n{marker}.\n")
            wait_for(lambda: marker in (fetch(url) or ""), 60, "the edit was not served")
            row.samples.append({"seconds": round(time.perf_counter() - t0, 3)})
            print(f"  {row.label}: {row.samples[-1]['seconds']:.2f} s", flush=True)
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(10)


def fetch(url: str) -> str | None:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return None


def wait_for(ok, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not ok():
        if time.monotonic() > end:
            raise BenchError(f"{what} within {timeout:.0f} s")
        time.sleep(0.05)


def part_status(b: Bench, runs: int, n: int = 200) -> None:
    """A synthetic project of n notebooks: cold build, status, one input changed."""
    project = synthetic.generate(b.tmp / f"synthetic-{n}", n)
    print(f"status: synthetic project of {n} notebooks", flush=True)
    env = b.env(None)
    rb = [PY, "-m", "reprobook"]
    s = b.measure("n_cold", "status", f"cold build at {n} notebooks", rb + ["build"], project, env)
    s.update(jobs=len(run_record(project)["executed"]))
    for i in range(5):
        b.measure("n_status", "status", f"status at {n} notebooks", rb + ["status"], project, env)
    for i in range(runs):
        (project / "_build" / "run.json").unlink(missing_ok=True)
        synthetic.change_input(project, 7, i)
        s = b.measure("n_input", "status", f"build --no-book at {n} notebooks after editing one input",
                      rb + ["build", "--no-book"], project, env)
        s.update(jobs=len(run_record(project)["executed"]))


def part_setup(b: Bench, runs: int) -> None:
    """A fresh clone's setup: `make setup` (uv) against plain pip, no package cache on either side."""
    env = {**b.env(None), **NO_CACHE}
    for i in range(runs):
        print(f"setup: round {i + 1}/{runs}", flush=True)
        clone = b.copy("setup-uv", venv=False)
        b.measure("setup_uv", "setup", "make setup (uv, no cache)", ["make", "-s", "setup"], clone, env)
        clone = b.copy("setup-pip", venv=False)
        b.measure("setup_pip", "setup", "python -m venv + pip install -r requirements.lock (no cache)", PIP_SETUP,
                  clone, env)


def part_tests(b: Bench) -> None:
    """make test and make test-fast in the project, and a cold make book to compare with, before
    and after them (the ratio divides by the median of the two: on a shared machine one cold
    build alone can be 30% off), after a first build that fills the machine's caches as part_exec
    does."""
    def cold_book(when: str) -> None:
        copy = b.copy(f"tests-cold-{when}", results=False)
        b.measure("tests_cold_book", "tests", "cold make book (beside make test)", make("book"), copy)

    print("tests: a first build, not measured (it fills what a machine keeps between builds: bytecode, "
          "matplotlib's list of the machine's fonts)")
    b.run(make("book"), b.copy("tests-first", results=False))
    cold_book("before")
    env = b.env(None)
    b.measure("make_test", "tests", "make test", make("test"), ROOT, env)
    if subprocess.run(["make", "-n", "test-fast"], cwd=ROOT, capture_output=True).returncode == 0:
        b.measure("make_test_fast", "tests", "make test-fast", make("test-fast"), ROOT, env)
    cold_book("after")


# --- main ------------------------------------------------------------------------------------------

def previous_rows(parts: set[str]) -> dict[str, Row]:
    """Rows of the parts not measured in this run, from the last report.json."""
    try:
        old = json.loads((OUT / "report.json").read_text())["rows"]
    except (OSError, ValueError, KeyError):
        return {}
    return {k: Row(**r) for k, r in old.items() if r["part"] not in parts}


def commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = len(git("status", "--porcelain").splitlines())
    return git("rev-parse", "--short", "HEAD") + (f" with {dirty} uncommitted file(s)" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    import report

    ap = argparse.ArgumentParser(description="the reprobook benchmark")
    ap.add_argument("--parts", default=",".join(DEFAULT_PARTS), help=f"comma-separated, of {','.join(PARTS)}")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each timed row (no-op and status: 5)")
    ap.add_argument("--setup-rounds", type=int, default=1, help="runs of each setup row")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (copies and logs)")
    args = ap.parse_args(argv)
    parts = [p for p in PARTS if p in args.parts.split(",")]
    if set(args.parts.split(",")) - set(PARTS):
        ap.error(f"--parts takes {','.join(PARTS)}")
    t0 = time.perf_counter()
    b = Bench(args.keep)
    loads = []
    print(f"bench: {', '.join(parts)} in {b.tmp}", flush=True)
    errors = []
    built = None
    steps = {"exec": lambda: part_exec(b, args.rounds), "edits": lambda: part_edits(b, built, args.rounds),
             "status": lambda: part_status(b, args.rounds), "setup": lambda: part_setup(b, args.setup_rounds),
             "tests": lambda: part_tests(b)}
    try:
        for part in parts:
            load0 = os.getloadavg()[0]
            try:
                result = steps[part]()
                built = result if part == "exec" else built
            except BenchError as exc:
                errors.append(f"{part}: {str(exc).splitlines()[0]}")
                print(f"bench: part {part} failed: {exc}", flush=True)
            loads.append(f"{part} {load0:.1f} to {os.getloadavg()[0]:.1f}")
            for r in b.rows.values():
                r.date = r.date or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    finally:
        minutes = (time.perf_counter() - t0) / 60
        meta = {"commit": commit(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "machine": f"{len(os.sched_getaffinity(0))} cores, Python {sys.version.split()[0]}",
                "load": "1-minute load average at the start and end of each part: " + ", ".join(loads),
                "parts": ",".join(parts), "default_parts": ",".join(DEFAULT_PARTS), "minutes": round(minutes, 2),
                "setup": "no package cache on either side (UV_NO_CACHE=1, PIP_NO_CACHE_DIR=1), no local wheel "
                         "mirror or pip configuration (PIP_FIND_LINKS empty, PIP_CONFIG_FILE=/dev/null)"
                         if "setup" in parts else "", "errors": "; ".join(errors)}
        merged = {**previous_rows(set(parts)), **b.rows}
        rows = dict(sorted(merged.items(), key=lambda kv: PARTS.index(kv[1].part)))  # stable: measured order
        path = report.write(OUT, meta, rows)
        print(f"bench: {path} ({minutes:.1f} min)", flush=True)
        if args.keep:
            print(f"bench: kept {b.tmp}")
        else:
            shutil.rmtree(b.tmp, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
