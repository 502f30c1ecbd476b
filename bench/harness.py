"""Shared pieces of the benchmark: samples and rows, measuring one command, project copies, progress.

Every measured command runs under bench/rss.py (wall time and peak memory of its process tree),
in a copy of the project inside one temporary workspace that is removed at the end.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from rss import machine_busy_seconds

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
VENV = PROJECT / ".venv"
PY = str(VENV / "bin" / "python")
JUPYTER_BOOK = str(VENV / "bin" / "jupyter-book")
RSS = BENCH / "rss.py"
STAMP = ".venv/.installed-lock"  # the Makefile's venv stamp
# removed from the environment of measured commands: the outer make's flags, project overrides,
# and PYTHONDONTWRITEBYTECODE (its effect on the no-op path is measured separately in the profile)
SCRUB = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE",
         "PYTHONPYCACHEPREFIX", "SCHEDULER")


# --- results -------------------------------------------------------------------------------------

@dataclass
class Sample:
    """One measured run: wall seconds, peak RSS of the process tree, CPU seconds, and facts about it."""

    seconds: float
    maxrss_kb: int
    cpu_s: float
    other_load: float = 0.0  # cores kept busy by other processes on the machine during the run
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stats:
    median: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> "Stats | None":
        return cls(statistics.median(values), min(values), max(values), len(values)) if values else None


@dataclass
class Row:
    """One line of the report: a command measured `len(samples)` times."""

    key: str
    label: str
    command: str
    samples: list[Sample] = field(default_factory=list)
    note: str = ""
    error: str = ""
    failures: list[str] = field(default_factory=list)  # failed attempts that were retried

    @property
    def ok(self) -> bool:
        return bool(self.samples) and not self.error

    def stats(self, attr: str = "seconds") -> Stats | None:
        return Stats.of([getattr(s, attr) for s in self.samples])

    def load_stats(self, min_seconds: float = 0.5) -> Stats | None:
        """Other load during the runs long enough for /proc/stat's 10 ms ticks to tell."""
        return Stats.of([x.other_load for x in self.samples if x.seconds >= min_seconds])

    def info_stats(self, name: str) -> Stats | None:
        return Stats.of([s.info[name] for s in self.samples if isinstance(s.info.get(name), (int, float))])

    @property
    def median(self) -> float | None:
        st = self.stats()
        return st.median if st else None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for attr in ("seconds", "maxrss_kb", "cpu_s", "other_load"):
            st = self.stats(attr)
            d[attr] = asdict(st) if st else None
        return d


class CommandFailed(RuntimeError):
    pass


# --- progress ------------------------------------------------------------------------------------

class Progress:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def __call__(self, msg: str) -> None:
        m, s = divmod(int(self.elapsed), 60)
        print(f"[{m:02d}:{s:02d}] {msg}", flush=True)


# --- the temporary workspace -----------------------------------------------------------------------

class Workspace:
    """One temporary folder for every copy, log and scratch file; removed on exit unless kept."""

    def __init__(self, keep: bool = False) -> None:
        self.keep = keep
        self.root = Path(tempfile.mkdtemp(prefix="reprobook-bench-"))
        self.tmp = self.dir("tmp")  # TMPDIR of measured commands (verify's clean rooms land here)
        self.logs = self.dir("logs")
        self.quiet = QuietGate(0.0)
        self._n = 0

    def dir(self, name: str) -> Path:
        p = self.root / name
        p.mkdir(parents=True, exist_ok=True)
        return p

    def fresh(self, name: str) -> Path:
        """A path inside the workspace that does not exist yet."""
        p = self.root / name
        if p.exists():
            shutil.rmtree(p)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def log_path(self, name: str) -> Path:
        self._n += 1
        return self.logs / f"{self._n:04d}-{name}.log"

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        if self.keep:
            print(f"workspace kept: {self.root}", flush=True)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


# --- project copies --------------------------------------------------------------------------------

def project_files(root: Path) -> list[str]:
    """What git would hand over: tracked and untracked-but-not-ignored files, as in the working tree."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                         capture_output=True, check=True).stdout
    return sorted(f for f in out.decode().split("\0") if f and (root / f).is_file())


def snapshot(root: Path, dest: Path) -> int:
    """Copy the project's files once (time stamps kept, so make sees the venv stamp as it is)."""
    files = project_files(root)
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)
    return len(files)


def clone(src: Path, dest: Path, skip: Iterable[str] = ("results", "_build")) -> Path:
    """Copy a project folder, leaving out the top-level entries in `skip`; link the real .venv."""
    top = set(skip) | {".venv"}
    shutil.copytree(src, dest, symlinks=True,
                    ignore=lambda d, names: [n for n in names if (Path(d) == src and n in top) or n == "__pycache__"])
    (dest / ".venv").symlink_to(VENV)
    return dest


def engine_env(project: Path, ws: Workspace, **extra: str) -> dict[str, str]:
    """Environment for a command in a copy: the copy's src/ first on the path (engine and study code
    of the snapshot, not the live tree the editable install points at), scratch files in the workspace."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUB and not k.startswith("REPROBOOK_")}
    env.update(PYTHONPATH=str(project / "src"), TMPDIR=str(ws.tmp), MPLBACKEND="Agg")
    env.setdefault("SOURCE_DATE_EPOCH", "946684800")
    env.update(extra)
    return env


def make_flags(project: Path, env: dict[str, str]) -> list[str]:
    """`-o STAMP` if make would otherwise reinstall the (real, shared) venv; [] if the stamp is current."""
    rc = subprocess.run(["make", "-s", "-C", str(project), "-q", STAMP], env=env, capture_output=True).returncode
    return [] if rc == 0 else ["-o", STAMP]


# --- measuring -------------------------------------------------------------------------------------

class QuietGate:
    """Before each run, wait (within a budget) while other processes keep the machine busy.

    The machine is shared: a test suite started by someone else inflates every time measured
    meanwhile. Each run waits up to `per_run` seconds for other load below `threshold` cores;
    all waits together stop at `budget` seconds, after which runs go ahead regardless (their
    other load is reported either way)."""

    def __init__(self, budget: float, per_run: float = 10.0, threshold: float = 0.5) -> None:
        self.budget, self.per_run, self.threshold = budget, per_run, threshold
        self.waited = 0.0

    @staticmethod
    def load(interval: float = 0.5) -> float:
        b0 = machine_busy_seconds()
        time.sleep(interval)
        return (machine_busy_seconds() - b0) / interval

    def wait(self) -> None:
        t0 = time.perf_counter()
        while self.waited + (time.perf_counter() - t0) < self.budget and time.perf_counter() - t0 < self.per_run:
            if self.load() < self.threshold:
                break
        self.waited += time.perf_counter() - t0


def measure(cmd: Sequence[str], cwd: Path, env: dict[str, str], ws: Workspace, name: str,
            check: bool = True) -> tuple[Sample, Path]:
    """Run `cmd` under the rss wrapper; return the sample and the log file (stdout + stderr)."""
    log = ws.log_path(name)
    result = ws.tmp / f"rss-{log.stem}.json"
    with open(log, "w", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(map(str, cmd)) + "\n")
        fh.flush()
        ws.quiet.wait()
        subprocess.run([PY, str(RSS), str(result), "--", *map(str, cmd)], cwd=cwd, env=env, stdout=fh,
                       stderr=subprocess.STDOUT, check=True)
    r = json.loads(result.read_text(encoding="utf-8"))
    result.unlink()
    if check and r["returncode"] != 0:
        raise CommandFailed(f"`{' '.join(map(str, cmd))}` exited with {r['returncode']} in {cwd}:\n"
                            + tail(log) + f"\n(full log: {log.name})")
    cpu = r["user_s"] + r["sys_s"]
    # /proc/stat counts in 10 ms ticks: the load of runs shorter than ~0.5 s is coarse
    other = min(float(os.cpu_count() or 1), max(0.0, r["machine_busy_s"] - cpu) / max(r["seconds"], 1e-3))
    return Sample(round(r["seconds"], 4), int(r["maxrss_kb"]), round(cpu, 3), round(other, 2),
                  {"returncode": r["returncode"]}), log


def tail(path: Path, lines: int = 15) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join("    " + ln for ln in text[-lines:])


def run_record(project: Path) -> dict[str, Any] | None:
    p = project / "_build" / "run.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None


def build_info(project: Path) -> dict[str, Any]:
    """Facts from _build/run.json after a build (the caller deletes it before): no record = no-op."""
    rec = run_record(project)
    if rec is None:
        return {"noop": True, "n_executed": 0, "executed": {}}
    executed = rec.get("executed", {})
    return {"noop": False, "n_executed": len(executed), "executed": executed,
            "exec_sum_s": round(sum(executed.values()), 3),
            "seconds_pipeline": rec.get("seconds_pipeline"), "seconds_book": rec.get("seconds_book"),
            "seconds_total": rec.get("seconds_total")}


def measure_build(cmd: Sequence[str], project: Path, env: dict[str, str], ws: Workspace, name: str) -> Sample:
    (project / "_build" / "run.json").unlink(missing_ok=True)
    sample, _ = measure(cmd, project, env, ws, name)
    sample.info.update(build_info(project))
    return sample


def repeat(row: Row, runs: int, once: Callable[[int], Sample], progress: Progress, retries: int = 1) -> Row:
    """Call `once(attempt) -> Sample` until `runs` samples are in `row`.

    `attempt` counts every call (0, 1, ...), so an edit made per attempt differs on a retry. A failed
    attempt (e.g. a kernel that died on start-up while other processes started theirs) is recorded in
    `row.failures` and retried up to `retries` times in all; after that the row stops with its error."""
    attempt = 0
    while len(row.samples) < runs:
        i = len(row.samples)
        try:
            s = once(attempt)
        except (CommandFailed, subprocess.CalledProcessError, OSError, ValueError, KeyError) as exc:
            attempt += 1
            row.failures.append(str(exc))
            if len(row.failures) > retries:
                row.error = str(exc)
                progress(f"  {row.label}: run {i + 1}/{runs} FAILED, giving up on this row\n{exc}")
                break
            progress(f"  {row.label}: run {i + 1}/{runs} FAILED, retrying once\n{exc}")
            continue
        attempt += 1
        row.samples.append(s)
        extra = f", {s.info['n_executed']} job(s) ran" if "n_executed" in s.info else ""
        load = f", other load {s.other_load:.1f} cores" if s.other_load >= 0.3 and s.seconds >= 0.5 else ""
        progress(f"  {row.label}: run {i + 1}/{runs} {s.seconds:.2f} s, peak {s.maxrss_kb / 1024:.0f} MiB{extra}{load}")
    return row


def settle(project: Path, env: dict[str, str], progress: Progress, tries: int = 2) -> None:
    """Bring a copy up to date, unmeasured, so that a row starts from a built state even if the
    previous row's last run failed half-way."""
    for _ in range(tries):
        proc = subprocess.run(reprobook("build"), cwd=project, env=env, capture_output=True, text=True)
        if proc.returncode == 0:
            if "up to date" not in proc.stderr:
                progress(f"  ({project.name} was not up to date: built it, unmeasured, before the next row)")
            return
    progress(f"  could not bring {project.name} up to date: {proc.stderr.strip().splitlines()[-1:]}")


def reprobook(*args: str) -> list[str]:
    return [PY, "-m", "reprobook", *args]


if __name__ == "__main__":  # a quick self-check of the wrapper
    with Workspace() as w:
        s, _ = measure([sys.executable, "-c", "x = bytearray(50_000_000)"], Path.cwd(), dict(os.environ), w, "selfcheck")
        print(s)
