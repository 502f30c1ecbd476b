"""`certify`: an unpacked replication package in, a certificate out.

`certify(paths)` runs in the top folder of an archive made by `reprobook package` (no git needed):

1. `check_archive`: every file against `SHA256SUMS`. Any altered, missing or added file is named
   and nothing runs (`IntegrityError`, exit 1). Hidden files and `package.EXCLUDED` paths (the
   environment, `_build/`, caches) are not part of the package and not checked.
2. A clean room: a copy of the package without `results/` and without caches, where every job is
   re-executed from the data in a child process, with the network switched off where the operating
   system allows (`network_isolation`: a new network namespace with only the loopback interface).
3. Every table, figure and value of `results/manifest.json` compared with its re-execution, by the
   rules of `reprobook verify` (tables cell by cell, within a declared tolerance; figures and
   values exactly).
4. `write(certificate, folder)`: `_build/certificate/certificate.json`, `.md` and `.html`: a row per
   exhibit (verdict, committed and reproduced sha256, job, run time), the environment, and a
   self-assessment against the ACM artifact badges (Available, Functional, Reproduced), each with
   its evidence.

`check_archive` needs only the standard library, so that the archive can be checked with the
system's Python before the environment is installed (`reprobook certify --check-only`).
"""
from __future__ import annotations

import html
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import IntegrityError, Problem, ReprobookError
from .paths import Paths

SUMS = "SHA256SUMS"
FOLDER = "certificate"  # under _build/
NET_FLAG = "REPROBOOK_CERTIFY_NETWORK_OFF"  # set for the child when it runs in a new network namespace
PARENT_ENV = "REPROBOOK_CERTIFY_PARENT"  # the pid of the certifying process, for its re-execution child
ACM = "https://www.acm.org/publications/policies/artifact-review-and-badging-current"
SUMS_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


# ------------------------------------------------------------------------------ archive check

def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_sums(root: Path) -> dict[str, str]:
    """Relative path -> sha256 from `root/SHA256SUMS`. Raises IntegrityError when it is absent or
    malformed."""
    path = root / SUMS
    if not path.is_file():
        raise IntegrityError(f"no {SUMS} in {root}: certify runs in the top folder of an unpacked replication "
                             "package; make one with `make package` (reprobook package) and unzip it")
    sums = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        m = SUMS_LINE.match(line)
        if not m:
            raise IntegrityError(f"{SUMS}, line {n}: not '<sha256>  <path>'; unpack the archive again")
        sums[m.group(2)] = m.group(1)
    return sums


def _present(root: Path) -> list[str]:
    from .package import excluded

    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and not excluded((rel_dir / d).as_posix())]
        out += [(rel_dir / f).as_posix() for f in filenames if not f.startswith(".")]
    return out


def check_archive(root: Path) -> int:
    """Check the package at `root` against its SHA256SUMS; return the number of files checked.
    Raises IntegrityError naming every altered, missing or added file (hidden files and
    environment, build and cache folders excepted)."""
    sums = read_sums(root)
    problems = []
    fix = "unzip the original archive again (or restore the file from it), then certify"
    for rel, expected in sorted(sums.items()):
        path = root / rel
        if not path.is_file():
            problems.append(Problem(rel, "missing: listed in SHA256SUMS but not in the package", SUMS, fix=fix))
        elif (found := _sha256(path)) != expected:
            problems.append(Problem(rel, f"altered: sha256 {found[:16]}…, SHA256SUMS says {expected[:16]}…", SUMS,
                                    fix=fix))
    for rel in sorted(set(_present(root)) - set(sums) - {SUMS}):
        problems.append(Problem(rel, "added: not in SHA256SUMS", SUMS, fix="remove it (or unzip the archive again)"))
    if problems:
        raise IntegrityError(f"the package differs from {SUMS} in {len(problems)} file(s); nothing was run", problems)
    return len(sums)


# ----------------------------------------------------------------------------- environment

def environment(paths: Paths | None = None) -> dict[str, Any]:
    """Where this process runs: OS, CPU, Python and every installed distribution with its version.
    Returns {'os', 'machine', 'cpu', 'cores', 'python', 'implementation', 'packages': {name: version},
    'kernel': {...}}. Read from the one environment record (`reprobook.environment`, cached in the
    project's state store, with what the last job kernel reported about itself)."""
    from . import environment as env_mod
    from .state import StateStore

    store = StateStore(paths.state) if paths is not None else None
    desc = env_mod.describe(store)
    m = env_mod.machine()
    out = {"os": m["os"], "machine": m["machine"], "cpu": m["cpu"], "cores": m["cores"], "python": desc["python"],
           "implementation": desc["implementation"], "packages": desc["packages"],
           "local": desc.get("local", {}), "kernel": store.kernel() if store is not None else {}}
    if store is not None:
        store.save()
    return out


def lock_check(lockfile: Path, installed: dict[str, str], local: dict[str, str] | None = None) -> dict[str, Any]:
    """Compare the pins of a requirements lock with the installed versions (reprobook.environment);
    `local` names the distributions installed from the project's own folders (never in a hashed lock).
    Returns {'file', 'pinned', 'differences': [text]}; {'file': None, ...} when there is no lock."""
    from . import environment as env_mod

    if not lockfile.is_file():
        return {"file": None, "pinned": 0, "differences": []}
    pins = env_mod.locked_versions(lockfile)
    diffs = env_mod.lock_differences({"packages": installed, "local": dict(local or {})}, lockfile)
    return {"file": lockfile.name, "pinned": len(pins), "differences": diffs}


# --------------------------------------------------------------------------- network isolation

@dataclass(frozen=True)
class Isolation:
    prefix: tuple[str, ...]  # command prefix that runs the child without network, or ()
    network_off: bool
    how: str  # a sentence for the certificate


def network_isolation(executor: str | None = None) -> Isolation:
    """How to run the jobs without network here: `unshare -n` as root, `unshare -r -n` (a user
    namespace) otherwise, on Linux; elsewhere, or when the system refuses, the network stays on and
    the sentence says why."""
    if executor not in (None, "", "local"):
        return Isolation((), False, f"network on: the jobs ran on the Dask scheduler {executor}, which needs it")
    if not sys.platform.startswith("linux"):
        return Isolation((), False, f"network on: {platform.system()} offers no network namespaces to switch it off")
    unshare = shutil.which("unshare")
    if not unshare:
        return Isolation((), False, "network on: `unshare` (util-linux) is not installed")
    tries = ([[unshare, "-n"]] if os.geteuid() == 0 else []) + [[unshare, "-r", "-n"]]
    for cmd in tries:
        try:
            ok = subprocess.run(cmd + ["true"], capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return Isolation(tuple(cmd), True, "network off: the jobs ran in a new network namespace (`"
                             + " ".join(["unshare", *cmd[1:]]) + "`) with only the loopback interface")
    return Isolation((), False, "network on: this system refuses new network namespaces (`unshare -n` failed; in a "
                     "container, grant CAP_SYS_ADMIN or allow user namespaces)")


def _loopback_up() -> None:
    """Bring up `lo` in a fresh network namespace (Jupyter kernels talk over 127.0.0.1)."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, siocgifflags, req))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


# ------------------------------------------------------------- coupling with verify and build
# The only place of the reviewer kit that calls into the verification, planning and execution
# layers (verify.clean_room, verify.compare_outputs and its Verdict records, spec.load,
# build.run_pipeline, build.status).

def stale_jobs(paths: Paths) -> list[str]:
    """'job: reasons' for every job whose results no longer follow from its inputs, or [] when the
    planner cannot tell (a warning for `package`, never a reason to stop)."""
    from . import build
    from .errors import ReprobookError

    try:
        plan = build.status(paths)
    except ReprobookError as exc:  # a warning only; packing does not depend on it
        return [f"(every job): cannot tell whether the results are current: {exc}"]
    return [f"{jp.job.name}: " + "; ".join(jp.reasons) for jp in plan.jobs if jp.state != "fresh"]


def _clean_room(paths: Paths) -> Path:
    from . import verify

    room, _dirty = verify.clean_room(paths)
    return room


def _compare(paths: Paths, room: Path) -> list:
    from . import spec, verify

    return verify.compare_outputs(paths, spec.load(paths.root), room / "results")


def _reexecute(room: Path, executor: str | None, workers: int | None) -> dict[str, Any]:
    """In the child process: run every job in the clean room. Returns run facts."""
    from .build import run_pipeline

    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()
    try:
        rec = run_pipeline(Paths.load(room), executor=executor, workers=workers, publish_report=False)
        return {"ok": True, "error": None, "executed": rec.executed, "started": started,
                "seconds": round(time.perf_counter() - t0, 3)}
    except ReprobookError as exc:
        return {"ok": False, "error": exc.render(), "executed": {}, "started": started,
                "seconds": round(time.perf_counter() - t0, 3)}


# ------------------------------------------------------------------------------ certificate

@dataclass(frozen=True)
class Row:
    """One exhibit file or value of the record and what its re-execution gave."""

    path: str  # results/... (values: results/values.json#name)
    kind: str  # table, figure, value
    name: str
    verdict: str  # reproduced bit for bit / reproduced within tolerance / mismatch / missing / not in the record
    ok: bool
    details: tuple[str, ...]
    committed_sha256: str | None
    reproduced_sha256: str | None
    job: str | None
    seconds: float | None  # run time of the job that made it


@dataclass
class Certificate:
    project: dict[str, Any]
    archive: dict[str, Any]
    run: dict[str, Any]
    environment: dict[str, Any]
    lock: dict[str, Any]
    rows: list[Row]
    jobs: list[dict[str, Any]]
    badges: list[dict[str, Any]] = field(default_factory=list)

    @property
    def certified(self) -> bool:
        """True only when the re-execution finished and every exhibit was reproduced."""
        return bool(self.rows) and self.run.get("error") is None and all(r.ok for r in self.rows)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        return {"format": 1, "certified": self.certified, "project": self.project, "archive": self.archive,
                "run": self.run, "summary": self.counts(), "exhibits": [asdict(r) for r in self.rows],
                "jobs": self.jobs, "environment": self.environment, "lock": self.lock, "badges": self.badges}


def certify(paths: Paths, *, workers: int | None = None, executor: str | None = None,
            say: Callable[[str], None] = lambda s: None) -> Certificate:
    """Check the package, re-execute it in a clean room and compare (see the module docstring).
    Returns the Certificate (not yet written; see `write`). Raises IntegrityError before running
    anything when the package differs from SHA256SUMS."""
    from . import manifest as mf
    from .package import CITATION, project_meta

    t0 = time.perf_counter()
    root = paths.root
    shutil.rmtree(paths.build / FOLDER, ignore_errors=True)  # never leave an older certificate beside a new run
    n_files = check_archive(root)
    say(f"certify: {n_files} files match {SUMS}")
    record = mf.read(paths.manifest)
    if not record.get("artifacts"):
        raise ReprobookError(f"{paths.rel(paths.manifest)} holds no record; this is not a replication package")
    meta = project_meta(root)
    iso = network_isolation(executor)
    room = _clean_room(paths)
    say(f"certify: re-executing every job in a clean room ({room}); {iso.how}")
    try:
        facts = _run_child(room, iso, executor, workers, say)
    except BaseException:  # interrupted: nothing to inspect in a half-run room
        from .verify import remove_room

        remove_room(room)
        raise
    verdicts = _compare(paths, room) if facts["ok"] else []
    seconds = {j: float(s) for j, s in facts.get("executed", {}).items()}
    rows = _rows(record, verdicts, room, seconds)
    env = environment(paths)
    cert = Certificate(
        project={"title": meta.title, "version": meta.version, "name": meta.name, "doi": meta.doi,
                 "license": meta.license, "citation": CITATION if (root / CITATION).is_file() else None},
        archive={"files_checked": n_files, "intact": True, "sums_sha256": _sha256(root / SUMS),
                 "folder": root.name},
        run={"started": facts["started"], "seconds_reexecution": facts["seconds"],
             "seconds_total": round(time.perf_counter() - t0, 3), "network_off": iso.network_off,
             "network": iso.how if facts.get("interfaces") in (None, ["lo"]) or not iso.network_off else
             f"{iso.how}, but the namespace had the interfaces {facts['interfaces']}",
             "interfaces": facts.get("interfaces"), "clean_room": None, "error": facts["error"],
             "executor": executor or "local"},
        environment=env, lock=lock_check(paths.lockfile, env["packages"], env.get("local")), rows=rows,
        jobs=[{"job": j, "notebook": (record.get("jobs", {}).get(j) or {}).get("notebook"), "seconds": seconds.get(j)}
              for j in sorted(record.get("jobs", {}))])
    cert.badges = badges(cert, paths)
    if cert.certified:
        from .verify import remove_room

        remove_room(room)
    else:
        cert.run["clean_room"] = str(room)
    return cert


def _rows(record: dict, verdicts: list, room: Path, seconds: dict[str, float]) -> list[Row]:
    """One row per artifact of the record (tables, then figures, then values), then any artifact the
    re-execution made that the record lacks. `verdicts` are verify's; none when the run failed."""
    from . import manifest as mf

    by_path = {v.path: v for v in verdicts}
    new_record = mf.artifacts_by_path(mf.read(room / "results" / "manifest.json"))
    kinds = {"table": 0, "figure": 1, "value": 2, "claim": 3, "notebook": 4}
    arts = sorted(record["artifacts"], key=lambda a: (kinds.get(a["kind"], 3), a["path"]))
    rows = []
    for a in arts:
        v = by_path.get(a["path"])
        verdict, ok, details = ((v.verdict, bool(v.ok), tuple(v.details)) if v is not None else
                                ("missing", False, ("the re-execution failed before producing it",)))
        rows.append(Row(a["path"], a["kind"], a["name"], verdict, ok, details, a.get("sha256"),
                        _reproduced_sha(room, a, new_record), a.get("job"), seconds.get(a.get("job"))))
    for path in sorted(set(by_path) - {a["path"] for a in arts}):
        v = by_path[path]
        rows.append(Row(path, v.kind, path.rsplit("/", 1)[-1], v.verdict, False, tuple(v.details), None,
                        _reproduced_sha(room, {"path": path, "kind": v.kind}, new_record), None, None))
    return rows


def _reproduced_sha(room: Path, art: dict, new_record: dict) -> str | None:
    if art["kind"] in ("value", "claim"):
        return (new_record.get(art["path"]) or {}).get("sha256")
    fresh = room / art["path"]
    return _sha256(fresh) if fresh.is_file() else None


def _run_child(room: Path, iso: Isolation, executor: str | None, workers: int | None,
               say: Callable[[str], None]) -> dict[str, Any]:
    out = room / "_build" / "certify-run.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "REPROBOOK_ROOT"}
    env["PYTHONPATH"] = str(room / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if iso.network_off:
        env[NET_FLAG] = "1"
    cmd = [*iso.prefix, sys.executable, "-m", "reprobook.certify", str(room), str(out)]
    if workers:
        cmd += ["--jobs", str(workers)]
    if executor:
        cmd += ["--scheduler", executor]
    env[PARENT_ENV] = str(os.getpid())  # the child dies with this process, even by SIGKILL
    proc = subprocess.Popen(cmd, cwd=room, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            say("  " + line.rstrip("\n"))
        code = proc.wait()
    except BaseException:  # Ctrl-C or SIGTERM here: end the re-execution (its workers and kernels die with it)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    try:
        facts = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        facts = {"ok": False, "error": f"the re-execution stopped (exit {code}) before reporting; its output is above",
                 "executed": {}, "started": None, "seconds": None}
    return facts


def _child_main(argv: list[str]) -> int:
    import argparse
    import socket

    ap = argparse.ArgumentParser(prog="python -m reprobook.certify")
    ap.add_argument("room")
    ap.add_argument("out")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--scheduler", default=None)
    args = ap.parse_args(argv)
    from .launcher import die_with_parent

    parent = os.environ.get(PARENT_ENV)
    die_with_parent(int(parent) if parent and parent.isdigit() else None)
    if os.environ.get(NET_FLAG) == "1":
        _loopback_up()
    interfaces = sorted(name for _, name in socket.if_nameindex())
    facts = _reexecute(Path(args.room), args.scheduler, args.jobs)
    facts["interfaces"] = interfaces if os.environ.get(NET_FLAG) == "1" else None
    Path(args.out).write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if facts["error"]:
        print(facts["error"], file=sys.stderr)
    return 0 if facts["ok"] else 1


# ---------------------------------------------------------------------------------- badges

def badges(cert: Certificate, paths: Paths) -> list[dict[str, Any]]:
    """Self-assessment against the ACM artifact badges (v1.1): for each badge, 'met' or 'not met'
    and the evidence found in the package and in this run."""
    root = paths.root
    n = len(cert.rows)
    ok = sum(r.ok for r in cert.rows)
    licence = [p.name for p in sorted(root.iterdir()) if p.is_file() and re.match(r"(?i)^(licen[cs]e|copying)", p.name)]
    doi = cert.project.get("doi")
    avail = [f"DOI {doi} (CITATION.cff)" if doi else
             "no DOI: CITATION.cff names none; deposit the archive in an archival repository (its .zenodo.json "
             "describes it for Zenodo) and add the DOI to CITATION.cff"]
    avail.append("licence: " + (", ".join(licence) if licence else "no licence file in the package")
                 + (f"; CITATION.cff: {cert.project['license']}" if cert.project.get("license") else ""))
    avail.append(f"the archive holds {cert.archive['files_checked']} files, each with its sha256 in {SUMS}"
                 + ("; ro-crate-metadata.json describes them" if (root / "ro-crate-metadata.json").is_file() else ""))
    lock = cert.lock
    env_ok = lock["file"] is not None and not lock["differences"]
    if not lock["file"]:
        env_line = "environment: no requirements lock in the package"
    elif env_ok:
        env_line = f"environment: all {lock['pinned']} packages pinned in {lock['file']} are installed at their locked versions"
    else:
        env_line = (f"environment: {len(lock['differences'])} package(s) differ from {lock['file']}: "
                    + "; ".join(lock["differences"][:10]))
    func = [f"all {cert.archive['files_checked']} files match {SUMS}",
            "README.md: " + ("present" if (root / "README.md").is_file() else "missing"), env_line]
    if paths.datapackage.is_file():
        func.append(f"data: checked against {paths.rel(paths.datapackage)} and its schemas before any job ran"
                    if cert.run["error"] is None else "data: see the error below")
    func.append(f"execution: all {len(cert.jobs)} job(s) ran to completion from the data in a clean room"
                if cert.run["error"] is None else f"execution failed: {cert.run['error'].splitlines()[0]}")
    func_met = env_ok and cert.run["error"] is None and (root / "README.md").is_file()
    counts = ", ".join(f"{k} {v}" for k, v in cert.counts().items())
    repro = [f"{ok} of {n} exhibits reproduced ({counts})",
             "re-executed from data/ in a clean room: no results/, no cache, no prior outputs",
             cert.run["network"],
             "ACM asks for reproduction by a person or team other than the authors: the certifier states whether "
             "that holds"]
    return [
        {"badge": "Artifacts Available", "status": "met" if doi else "not met", "evidence": avail},
        {"badge": "Artifacts Evaluated – Functional", "status": "met" if func_met else "not met", "evidence": func},
        {"badge": "Results Reproduced", "status": "met" if cert.certified else "not met", "evidence": repro},
    ]


# ---------------------------------------------------------------------------------- render

def _headline(cert: Certificate) -> str:
    n = len(cert.rows)
    if cert.certified:
        return f"Certified: all {n} exhibits of the record were reproduced."
    if cert.run.get("error"):
        return f"NOT certified: the re-execution failed; {sum(r.ok for r in cert.rows)} of {n} exhibits reproduced."
    return f"NOT certified: {n - sum(r.ok for r in cert.rows)} of {n} exhibits not reproduced."


def _title(project: dict[str, Any]) -> str:
    version = project.get("version")
    return f"Reproducibility certificate: {project['title']}" + (
        f" {version}" if version not in (None, "unversioned") else "")


def _secs(s: float | None) -> str:
    return "" if s is None else f"{s:.1f} s"


def render_markdown(cert: Certificate) -> str:
    p, r, e = cert.project, cert.run, cert.environment
    L = [f"# {_title(p)}", "",
         f"**{_headline(cert)}**", "",
         f"- package: `{cert.archive['folder']}/`, {cert.archive['files_checked']} files matching {SUMS} "
         f"(sha256 of {SUMS}: `{cert.archive['sums_sha256']}`)" + (f"; DOI {p['doi']}" if p.get("doi") else ""),
         f"- re-executed every job from `data/` in a clean room on {r['started']}: {_secs(r['seconds_reexecution'])}; "
         f"whole certification {_secs(r['seconds_total'])}",
         f"- {r['network']}",
         f"- environment: {e['os']}; {e['cpu']} ({e['cores']} cores); {e['implementation']} {e['python']}"]
    if r.get("error"):
        L += ["", "## The re-execution failed", "", "```", r["error"], "```"]
    if r.get("clean_room"):
        L += [f"- clean room kept for inspection: `{r['clean_room']}`"]
    L += ["", "Verdicts: tables cell by cell (exactly, or within the tolerance `pipeline.yml` declares), figures by "
          "sha256, values exactly.", "", "## Exhibits", "",
          "| exhibit | file | verdict | committed sha256 | reproduced sha256 | job | job run time | details |",
          "|---|---|---|---|---|---|---|---|"]
    for row in cert.rows:
        det = "; ".join(row.details).replace("|", "\\|")
        L.append(f"| {row.kind} `{row.name}` | `{row.path}` | {row.verdict} | `{row.committed_sha256 or ''}` | "
                 f"`{row.reproduced_sha256 or ''}` | {row.job or ''} | {_secs(row.seconds)} | {det} |")
    L += ["", "## Jobs", "", "| job | notebook | run time |", "|---|---|---|"]
    L += [f"| {j['job']} | `{j['notebook']}` | {_secs(j['seconds']) or 'not run'} |" for j in cert.jobs]
    L += ["", "## ACM artifact badges (self-assessment)", "", f"Badge definitions: {ACM}", "",
          "| badge | assessment | evidence |", "|---|---|---|"]
    for b in cert.badges:
        L.append(f"| {b['badge']} | **{b['status']}** | " + "<br>".join(x.replace("|", "\\|") for x in b["evidence"]) + " |")
    L += ["", "## Environment", "", f"- OS: {e['os']} ({e['machine']})", f"- CPU: {e['cpu']}, {e['cores']} cores",
          f"- Python: {e['implementation']} {e['python']}"]
    lock = cert.lock
    if lock["file"]:
        L += [f"- {lock['file']}: {lock['pinned']} pins, " + (
            "all installed at their locked versions" if not lock["differences"] else
            f"{len(lock['differences'])} differ: " + "; ".join(lock["differences"]))]
    L += ["- packages: " + ", ".join(f"{k} {v}" for k, v in e["packages"].items())]
    return "\n".join(L) + "\n"


def _inline(text: str) -> str:
    """HTML-escaped text with `code` spans."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def render_html(cert: Certificate) -> str:
    esc = html.escape
    p, r, e = cert.project, cert.run, cert.environment
    rows = "\n".join(
        f"<tr class=\"{'ok' if row.ok else 'fail'}\"><td>{esc(row.kind)} <code>{esc(row.name)}</code></td>"
        f"<td><code>{esc(row.path)}</code></td><td>{esc(row.verdict)}</td>"
        f"<td class=\"h\">{esc(row.committed_sha256 or '')}</td><td class=\"h\">{esc(row.reproduced_sha256 or '')}</td>"
        f"<td>{esc(row.job or '')}</td><td>{esc(_secs(row.seconds))}</td>"
        f"<td>{'<br>'.join(esc(d) for d in row.details)}</td></tr>" for row in cert.rows)
    badge_rows = "\n".join(
        f"<tr class=\"{'ok' if b['status'] == 'met' else 'no'}\"><td>{esc(b['badge'])}</td><td><b>{esc(b['status'])}</b></td>"
        f"<td><ul>{''.join(f'<li>{_inline(x)}</li>' for x in b['evidence'])}</ul></td></tr>" for b in cert.badges)
    jobs = "".join(f"<tr><td>{esc(j['job'])}</td><td><code>{esc(j['notebook'] or '')}</code></td>"
                   f"<td>{esc(_secs(j['seconds']) or 'not run')}</td></tr>" for j in cert.jobs)
    lock = cert.lock
    lock_line = "" if not lock["file"] else (
        f"<li>{esc(lock['file'])}: {lock['pinned']} pins, "
        + ("all installed at their locked versions" if not lock["differences"] else
           esc(f"{len(lock['differences'])} differ: " + "; ".join(lock["differences"]))) + "</li>")
    error = f"<h2>The re-execution failed</h2><pre>{esc(r['error'])}</pre>" if r.get("error") else ""
    title = _title(p)
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title><style>body{{font-family:sans-serif;margin:2em;max-width:110em}}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}"
        "tr.fail{background:#fdd}tr.ok{background:#efe}tr.no{background:#fff6dd}td.h{font-family:monospace;"
        "font-size:75%;word-break:break-all;max-width:18em}.verdict{font-size:130%}</style></head><body>"
        f"<h1>{esc(title)}</h1><p class=\"verdict\"><b>{esc(_headline(cert))}</b></p><ul>"
        f"<li>package <code>{esc(cert.archive['folder'])}/</code>: {cert.archive['files_checked']} files matching "
        f"{SUMS} (sha256 of {SUMS}: <code>{esc(cert.archive['sums_sha256'])}</code>)</li>"
        f"<li>re-executed every job from <code>data/</code> in a clean room on {esc(str(r['started']))}: "
        f"{esc(_secs(r['seconds_reexecution']))}; whole certification {esc(_secs(r['seconds_total']))}</li>"
        f"<li>{_inline(r['network'])}</li>"
        + (f"<li>clean room kept for inspection: <code>{esc(r['clean_room'])}</code></li>" if r.get("clean_room") else "")
        + f"</ul>{error}<h2>Exhibits</h2><table><tr><th>exhibit</th><th>file</th><th>verdict</th>"
        "<th>committed sha256</th><th>reproduced sha256</th><th>job</th><th>job run time</th><th>details</th></tr>"
        f"{rows}</table><h2>Jobs</h2><table><tr><th>job</th><th>notebook</th><th>run time</th></tr>{jobs}</table>"
        f"<h2>ACM artifact badges (self-assessment)</h2><p>Badge definitions: <a href=\"{ACM}\">{ACM}</a></p>"
        f"<table><tr><th>badge</th><th>assessment</th><th>evidence</th></tr>{badge_rows}</table>"
        f"<h2>Environment</h2><ul><li>OS: {esc(e['os'])} ({esc(e['machine'])})</li>"
        f"<li>CPU: {esc(e['cpu'])}, {e['cores']} cores</li><li>Python: {esc(e['implementation'])} {esc(e['python'])}</li>"
        f"{lock_line}<li>packages: {esc(', '.join(f'{k} {v}' for k, v in e['packages'].items()))}</li></ul>"
        "</body></html>\n")


def write(cert: Certificate, folder: Path) -> list[Path]:
    """Write certificate.json, .md and .html into `folder` (replaced as a whole); return the paths."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "certificate.json").write_text(json.dumps(cert.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    (tmp / "certificate.md").write_text(render_markdown(cert), encoding="utf-8")
    (tmp / "certificate.html").write_text(render_html(cert), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return [folder / n for n in ("certificate.html", "certificate.md", "certificate.json")]


def summary(cert: Certificate, written: list[Path], paths: Paths) -> list[str]:
    """Lines for the CLI: the verdict, what failed and where the certificate is."""
    lines = [f"certify: {_headline(cert)} (" + ", ".join(f"{n} {k}" for k, n in cert.counts().items()) + ")",
             f"  {cert.run['network']}"]
    if cert.run.get("error"):
        lines.append("  " + cert.run["error"].replace("\n", "\n  "))
    for r in cert.rows:
        if not r.ok:
            lines.append(f"  {r.verdict.upper()}: {r.path}")
            lines += [f"      {d}" for d in r.details[:5]]
    for b in cert.badges:
        lines.append(f"  {b['badge']}: {b['status']}")
    if cert.run.get("clean_room"):
        lines.append(f"  clean room kept for inspection: {cert.run['clean_room']}")
    lines.append("certificate: " + ", ".join(paths.rel(p) for p in written))
    return lines


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
