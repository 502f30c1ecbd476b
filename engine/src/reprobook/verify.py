"""`verify`: re-execute every job from the data in a clean room and compare each artifact with the record."""
from __future__ import annotations

import html
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import compare, environment, manifest as mf, spec
from .errors import ReprobookError
from .build import say
from .hashing import content_sha256 as sha256_file
from .state import StateStore
from .paths import Paths

BIT = "reproduced bit for bit"
TOL = "reproduced within tolerance"
MISMATCH = "mismatch"
MISSING = "missing"
EXTRA = "not in the record"


@dataclass
class Verdict:
    path: str
    kind: str
    verdict: str
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict in (BIT, TOL)


def tracked_files(root: Path) -> tuple[list[str], bool]:
    """Tracked files as they are in the working tree, and whether the tree differs from HEAD."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                             capture_output=True, check=True).stdout
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True,
                               check=True).stdout.strip() != ""
        return [f for f in out.decode().split("\0") if f and (root / f).is_file()], dirty
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = [p.relative_to(root).as_posix() for p in root.rglob("*")
                 if p.is_file() and not any(part.startswith((".", "_build")) for part in p.relative_to(root).parts)]
        return files, False


def clean_room(paths: Paths) -> tuple[Path, bool]:
    """(room, dirty): a new temporary folder holding the project's files as the working tree has
    them (git's tracked files plus new ones it does not ignore), without results/ or _build/;
    dirty is True when the working tree differs from the last commit. Interrupted while copying
    (Ctrl-C, SIGTERM), it removes the room before the interruption goes on."""
    files, dirty = tracked_files(paths.root)
    room = Path(tempfile.mkdtemp(prefix="reprobook-verify-"))
    try:
        for rel in files:
            if rel.startswith(("results/", "_build/")):
                continue  # no prior outputs
            dest = room / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(paths.root / rel, dest)
    except BaseException:
        remove_room(room)
        raise
    return room, dirty


def remove_room(room: Path) -> None:
    """Delete a clean room with Ctrl-C and SIGTERM held back meanwhile (in the main thread): a
    signal that arrives while it is deleted (a second one, during the first one's cleanup) would
    leave it half removed. The first signal held back is raised again once the room is gone."""
    import signal
    import threading

    held = (signal.SIGINT, signal.SIGTERM) if threading.current_thread() is threading.main_thread() else ()
    got: list[int] = []
    saved = {s: signal.signal(s, lambda signum, frame: got.append(signum)) for s in held}
    try:
        shutil.rmtree(room, ignore_errors=True)
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
    if got:
        signal.raise_signal(got[0])


def compare_outputs(record_paths: Paths, pipeline: spec.Pipeline, new_results: Path) -> list[Verdict]:
    record = mf.read(record_paths.manifest)
    if not record:
        raise ReprobookError(f"{record_paths.rel(record_paths.manifest)} is missing: there is no record to verify "
                             "against; run `make book` and commit results/ first")
    arts = mf.artifacts_by_path(record)
    new_manifest = mf.read(new_results / "manifest.json")
    new_arts = mf.artifacts_by_path(new_manifest)
    old_entries = {k: _values(record_paths.results / f"{k}s.json") for k in ("value", "claim")}
    new_entries = {k: _values(new_results / f"{k}s.json") for k in ("value", "claim")}
    verdicts = []
    for path, art in sorted(arts.items()):
        kind = art["kind"]
        if path not in new_arts:
            verdicts.append(Verdict(path, kind, MISSING, ["the re-execution did not produce it"]))
            continue
        if kind in ("value", "claim"):
            name = art["name"]
            old, new = old_entries[kind].get(name), new_entries[kind].get(name)
            notes = ([] if old is None or mf.value_sha(old) == art["sha256"]
                     else [f"results/{kind}s.json differs from the manifest"])
            if old == new and not notes:
                verdicts.append(Verdict(path, kind, BIT))
            else:
                show = (lambda e: None if e is None else e.get("display")) if kind == "value" else \
                    (lambda e: None if e is None else ("holds" if e.get("holds") else "does not hold"))
                verdicts.append(Verdict(path, kind, MISMATCH, notes + [f"record {show(old)} -> re-executed {show(new)}"]))
            continue
        committed = record_paths.root / path
        fresh = new_results / Path(path).relative_to("results")
        notes = []
        if not committed.is_file():
            verdicts.append(Verdict(path, kind, MISMATCH, ["the committed file is missing"]))
            continue
        if sha256_file(committed) != art["sha256"]:
            notes.append("the committed file differs from its sha256 in the manifest")
        if sha256_file(committed) == sha256_file(fresh) and not notes:
            verdicts.append(Verdict(path, kind, BIT))
            continue
        if kind == "table":
            try:
                _, t = pipeline.table(art["name"])
                key, tol = t.key, t.tolerance
            except KeyError:
                key, tol = (), 0.0
            d = compare.diff_tables(committed.read_text(encoding="utf-8"), fresh.read_text(encoding="utf-8"), key, tol)
            if d.identical:
                verdicts.append(Verdict(path, kind, TOL if d.within_tolerance else BIT,
                                        [f"{d.within_tolerance} numeric cell(s) differ within the tolerance {tol:g}"] if d.within_tolerance else []))
            else:
                verdicts.append(Verdict(path, kind, MISMATCH, notes + compare.describe(d, limit=5)))
        else:
            verdicts.append(Verdict(path, kind, MISMATCH, notes + [f"sha256 {sha256_file(fresh)[:12]} differs from the record {art['sha256'][:12]}"]))
    for path in sorted(set(new_arts) - set(arts)):
        verdicts.append(Verdict(path, new_arts[path]["kind"], EXTRA, ["produced now but absent from the manifest"]))
    return verdicts


def _values(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def current_environment(paths: Paths) -> dict:
    """The environment jobs run in here, as the record writes it (from the state store's cache)."""
    store = StateStore(paths.state)
    desc = environment.describe(store)
    store.save()
    return environment.record_form(desc)


def environment_notes(record: dict, now: dict) -> list[str]:
    then = record.get("environment", {})
    notes = []
    if now["python"] != then.get("python"):
        notes.append(f"Python {now['python']} here, {then.get('python')} in the record")
    for change in environment.package_changes(then.get("packages", {}), now["packages"]):
        notes.append(f"package {change} (record -> here)")
    return notes


def render_markdown(verdicts: list[Verdict], env_now: dict, env_notes: list[str], seconds: float, dirty: bool) -> str:
    ok = sum(v.ok for v in verdicts)
    lines = ["# Verification report", "",
             f"All {len(verdicts)} artifacts reproduced." if ok == len(verdicts) else
             f"**{len(verdicts) - ok} of {len(verdicts)} artifacts NOT reproduced.**", "",
             f"- re-executed every job from data/ in a clean room (no cache, no prior outputs) in {seconds:.1f} s",
             f"- environment: Python {env_now['python']}, {len(env_now['packages'])} packages",
             "- environment matches the record" if not env_notes else "- environment differs from the record: " + "; ".join(env_notes)]
    if dirty:
        lines.append("- warning: the working tree differs from the last commit; verified the working tree")
    lines += ["", "Equivalence rules: tables cell by cell (exact, or within the tolerance pipeline.yml declares "
              "for the table); figures by sha256; in-text values exactly.", "",
              "| artifact | kind | verdict | details |", "|---|---|---|---|"]
    for v in verdicts:
        det = "; ".join(v.details).replace("|", "\\|")
        lines.append(f"| `{v.path}` | {v.kind} | {v.verdict} | {det} |")
    return "\n".join(lines) + "\n"


def render_html(md_verdicts: list[Verdict], summary: str) -> str:
    rows = "\n".join(f"<tr class=\"{'ok' if v.ok else 'fail'}\"><td><code>{html.escape(v.path)}</code></td>"
                     f"<td>{html.escape(v.kind)}</td><td>{html.escape(v.verdict)}</td>"
                     f"<td>{html.escape('; '.join(v.details))}</td></tr>" for v in md_verdicts)
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>Verification report</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:4px}"
            "tr.fail{background:#fdd}tr.ok{background:#efe}table{border-collapse:collapse}</style></head><body>"
            f"<h1>Verification report</h1><p>{html.escape(summary)}</p>"
            "<table><tr><th>artifact</th><th>kind</th><th>verdict</th><th>details</th></tr>"
            f"{rows}</table></body></html>\n")


def main(paths: Paths, workers: int | None = None, executor: str | None = None) -> int:
    """Re-execute every job in a clean room, compare each artifact with the record, write the
    reports; 0 when every artifact was reproduced."""
    t0 = time.perf_counter()
    pipeline = spec.load(paths.root)
    room, dirty = clean_room(paths)
    try:
        if dirty:
            say("warning: the working tree differs from the last commit; verifying the working tree as it is")
        say(f"verify: re-executing every job in a clean room ({room})")
        rpaths = Paths.load(room)
        from .build import run_pipeline

        try:
            run_pipeline(rpaths, executor=executor, workers=workers, publish_report=False)
        except ReprobookError as exc:
            say(exc.render())
            say(f"verify: the re-execution failed; clean room kept at {room}")
            return 1
        seconds = time.perf_counter() - t0
        verdicts = compare_outputs(paths, pipeline, rpaths.results)
        env_now = current_environment(paths)
    except BaseException:  # Ctrl-C, or a fault of the engine: a half-made room shows nothing worth keeping
        remove_room(room)
        raise
    record = mf.read(paths.manifest)
    env_notes = environment_notes(record, env_now)
    out = paths.build / "verify"
    out.mkdir(parents=True, exist_ok=True)
    md = render_markdown(verdicts, env_now, env_notes, seconds, dirty)
    (out / "report.md").write_text(md, encoding="utf-8")
    failing = [v for v in verdicts if not v.ok]
    summary = (f"all {len(verdicts)} artifacts reproduced" if not failing
               else f"{len(failing)} of {len(verdicts)} artifacts not reproduced")
    (out / "report.html").write_text(render_html(verdicts, summary + f" ({seconds:.1f} s)"), encoding="utf-8")
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    print(f"verify: {summary} in {seconds:.1f} s (" + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ")")
    for note in env_notes:
        print(f"  environment: {note}")
    for v in failing:
        print(f"  {v.verdict.upper()}: {v.path}")
        for d in v.details[:5]:
            print(f"      {d}")
    print(f"report: {paths.rel(out / 'report.md')} and report.html")
    if not failing:
        remove_room(room)
        return 0
    print(f"clean room kept for inspection: {room}")
    return 1
