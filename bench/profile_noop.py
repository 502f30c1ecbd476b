"""Where the no-op build's time goes: interpreter start, imports, hashing, the rest.

Runs in a copy whose last build left it up to date (so `reprobook build` takes the no-op path).
"""
from __future__ import annotations

import json
import pstats
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from harness import PY, Progress, Row, Sample, Workspace, engine_env, measure, measure_build, repeat, reprobook, settle
from settings import Settings

IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s+)(\S+)")
FINGERPRINT_PROBE = """
import json, sys
from pathlib import Path
from reprobook.build import NOOP_INPUTS
from reprobook.hashing import files_under
root = Path(sys.argv[1])
files = files_under(root, NOOP_INPUTS)
print(json.dumps({"files": len(files), "bytes": sum((root / f).stat().st_size for f in files)}))
"""


@dataclass
class Profile:
    rows: dict[str, Row] = field(default_factory=dict)
    imports: dict = field(default_factory=dict)
    cprofile: dict = field(default_factory=dict)
    fingerprint: dict = field(default_factory=dict)
    large: dict = field(default_factory=dict)  # the same for the largest synthetic project

    def to_json(self) -> dict:
        return {"rows": {k: r.to_json() for k, r in self.rows.items()}, "imports": self.imports,
                "cprofile": self.cprofile, "fingerprint": self.fingerprint, "large": self.large}


def parse_importtime(stderr: str) -> dict:
    """Total import time and the heaviest imports (cumulative), with their nesting depth."""
    entries = []
    for line in stderr.splitlines():
        m = IMPORT_LINE.match(line)
        if m:
            entries.append({"self_us": int(m.group(1)), "cumulative_us": int(m.group(2)),
                            "depth": (len(m.group(3)) - 1) // 2, "module": m.group(4)})
    top = [e for e in entries if e["depth"] == 0]
    return {"total_ms": round(sum(e["cumulative_us"] for e in top) / 1000, 1), "n_modules": len(entries),
            "reprobook_modules": sorted(e["module"] for e in entries if e["module"].startswith("reprobook.")),
            "top_level": sorted(top, key=lambda e: -e["cumulative_us"])[:8],
            "heaviest": sorted(entries, key=lambda e: -e["cumulative_us"])[:15]}


def _cum(st: pstats.Stats, filename_part: str, func: str) -> float:
    return max((v[3] for (fn, _, name), v in st.stats.items() if name == func and filename_part in fn), default=0.0)


def parse_cprofile(path: Path) -> dict:
    st = pstats.Stats(str(path))
    total = st.total_tt
    imports = _cum(st, "importlib._bootstrap", "_find_and_load")
    fingerprint = _cum(st, "reprobook/build.py", "fingerprint")
    parts = {
        "total_s": total,
        "imports_s": imports,
        "compile_s": _cum(st, "~", "<built-in method builtins.compile>"),
        "hashing_s": fingerprint,
        "hash_read_s": _cum(st, "reprobook/hashing.py", "tree_digest"),
        "file_walk_s": _cum(st, "reprobook/hashing.py", "files_under"),
    }
    parts["rest_s"] = max(0.0, total - imports - fingerprint)
    rows = sorted(st.stats.items(), key=lambda kv: -kv[1][3])
    parts["top"] = [{"function": f"{Path(fn).name}:{ln}({name})", "ncalls": v[1], "tottime_s": round(v[2], 4),
                     "cumtime_s": round(v[3], 4)} for (fn, ln, name), v in rows[:15]]
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in parts.items()}


def status_breakdown(project: Path, env: dict[str, str], out: Path) -> dict:
    """cProfile of one `reprobook status`: imports, reading notebooks, hashing, parsing the spec, the rest."""
    subprocess.run([PY, "-m", "cProfile", "-o", str(out), "-m", "reprobook", "status"], cwd=project, env=env,
                   capture_output=True, check=True)
    st = pstats.Stats(str(out))
    reads = [v for (fn, _, name), v in st.stats.items() if name == "read" and fn.endswith("jupytext/jupytext.py")]
    parts = {
        "total_s": st.total_tt,
        "imports_s": _cum(st, "importlib._bootstrap", "_find_and_load"),
        "jupytext_read_s": sum(v[3] for v in reads),
        "jupytext_reads": sum(v[0] for v in reads),  # primitive calls: read() recurses once
        "sha256_file_s": _cum(st, "reprobook/hashing.py", "sha256_file"),
        "code_closure_s": _cum(st, "reprobook/hashing.py", "project_code_closure"),
        "spec_load_s": _cum(st, "reprobook/spec.py", "load"),
        # PyYAML's pure-Python parser at work (its module is imported either way; CSafeLoader parses in C)
        "yaml_pure_python": any(fn.endswith("yaml/parser.py") and name == "parse_node" for fn, _, name in st.stats),
    }
    parts["rest_s"] = max(0.0, parts["total_s"] - sum(v for k, v in parts.items()
                                                      if k.endswith("_s") and k != "total_s"))
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in parts.items()}


def cprofile_noop(project: Path, env: dict[str, str], out: Path) -> dict:
    subprocess.run([PY, "-m", "cProfile", "-o", str(out), "-m", "reprobook", "build"], cwd=project, env=env,
                   capture_output=True, check=True)
    return parse_cprofile(out)


def fingerprint_volume(project: Path, env: dict[str, str]) -> dict:
    probe = subprocess.run([PY, "-c", FINGERPRINT_PROBE, str(project)], cwd=project, env=env, capture_output=True,
                           text=True, check=True)
    return json.loads(probe.stdout)


def run(project: Path, ws: Workspace, settings: Settings, progress: Progress,
        large: tuple[Path, Path] | None = None) -> Profile:
    """Profile the no-op build of `project`; `large` = (a built synthetic project, the src/ it runs with)."""
    prof = Profile()
    env = engine_env(project, ws)
    progress("profile: interpreter start-up (`python -c pass`)")

    def once(cmd: list[str], name: str):
        def f(i: int) -> Sample:
            sample, _ = measure(cmd, project, env, ws, f"{name}{i}")
            return sample
        return f

    prof.rows["interpreter"] = repeat(Row("interpreter", "python -c pass", "python -c pass"),
                                      settings.interpreter_runs, once([PY, "-c", "pass"], "pass"), progress)
    prof.rows["noop"] = repeat(Row("noop", "no-op build (bytecode cached)", "python -m reprobook build"),
                               settings.noop, lambda i: measure_build(reprobook("build"), project, env, ws, f"pnoop{i}"),
                               progress)
    progress("profile: -X importtime and cProfile of the no-op build")
    proc = subprocess.run([PY, "-X", "importtime", "-m", "reprobook", "build"], cwd=project, env=env,
                          capture_output=True, text=True)
    prof.imports = parse_importtime(proc.stderr)
    prof.cprofile = cprofile_noop(project, env, ws.tmp / "noop.prof")
    prof.fingerprint = fingerprint_volume(project, env)
    if large is not None:
        progress(f"profile: cProfile of the no-op build of the synthetic project {large[0].name}")
        lenv = engine_env(large[0], ws, PYTHONPATH=str(large[1]))
        settle(large[0], lenv, progress)  # the scale rows ended with `build --no-book`: rebuild the stamp
        prof.large = {"project": large[0].name, **fingerprint_volume(large[0], lenv),
                      **cprofile_noop(large[0], lenv, ws.tmp / "noop-large.prof")}

    progress("profile: no-op build without bytecode cache (PYTHONDONTWRITEBYTECODE=1, as in this environment)")
    for cache in (project / "src").rglob("__pycache__"):
        shutil.rmtree(cache)
    nopyc = engine_env(project, ws, PYTHONDONTWRITEBYTECODE="1")
    prof.rows["noop_nopyc"] = repeat(
        Row("noop_nopyc", "no-op build (no bytecode cache)", "PYTHONDONTWRITEBYTECODE=1 python -m reprobook build"),
        settings.noop, lambda i: measure_build(reprobook("build"), project, nopyc, ws, f"pnoopnopyc{i}"), progress)
    return prof
