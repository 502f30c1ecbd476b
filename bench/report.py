"""Targets (PASS/FAIL) and the report: _build/bench/report.md and report.json."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness import Row, Stats
from profile_noop import Profile
from realbook import RealBook
from scale import KINDS, Scale

REAL_ORDER = ("cold", "noop", "make_noop", "incr_data", "incr_prose", "verify", "make_verify",
              "papermill", "jupyter_book", "baseline", "jb_force")
SCALE_KINDS = ("cold", "noop", "status", "incr")
NOOP_SHARE, DATA_SLACK, EXEC_SHARE, VERIFY_FACTOR, STATUS_MAX_S = 0.02, 1.20, 0.6, 1.1, 1.0


@dataclass
class Target:
    name: str
    limit: str
    measured: str
    verdict: str  # PASS | FAIL | n/a

    @classmethod
    def check(cls, name: str, limit: str, ok: bool | None, measured: str) -> "Target":
        return cls(name, limit, measured, "n/a" if ok is None else "PASS" if ok else "FAIL")


# --- small formatting helpers ------------------------------------------------------------------------

def s(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def mib(kb: float | None) -> str:
    return "–" if kb is None else f"{kb / 1024:,.0f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "–"
    r = a / b
    return f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"


def stats_cells(st: Stats | None, digits: int = 2) -> list[str]:
    return ["–"] * 3 if st is None else [s(st.median, digits), s(st.min, digits), s(st.max, digits)]


def cell(text: str) -> str:
    """One Markdown table cell: no line breaks, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows])


def med(row: Row | None) -> float | None:
    return row.median if row is not None and row.ok else None


def info_med(row: Row | None, name: str) -> float | None:
    st = row.info_stats(name) if row is not None and row.samples else None
    return st.median if st else None


# --- targets -----------------------------------------------------------------------------------------

def targets(rb: RealBook | None, scale: Scale | None) -> list[Target]:
    out: list[Target] = []
    r = rb.rows if rb else {}
    cold = med(r.get("cold"))
    mk = med(r.get("make_noop"))
    out.append(Target.check(
        "no-op `make book` ≤ 2% of the cold build", f"≤ {NOOP_SHARE * 100:.0f}% of cold",
        None if mk is None or cold is None else mk <= NOOP_SHARE * cold,
        "–" if mk is None or cold is None else
        f"{mk:.3f} s = {100 * mk / cold:.2f}% of {cold:.1f} s (limit {NOOP_SHARE * cold:.2f} s)"))
    out.append(data_change_target(rb))
    pipe = info_med(r.get("cold"), "seconds_pipeline")
    seq = info_med(r.get("papermill"), "notebook_sum_s")
    base = med(r.get("baseline"))
    out.append(Target.check(
        "cold execution phase ≤ 0.6 × sequential papermill (2 cores)", f"≤ {EXEC_SHARE}",
        None if pipe is None or seq is None else pipe <= EXEC_SHARE * seq,
        "–" if pipe is None or seq is None else
        f"seconds_pipeline {pipe:.1f} s / papermill {seq:.1f} s = {pipe / seq:.2f}; whole build "
        f"{s(cold, 1)} s vs baseline {s(base, 1)} s = {ratio(cold, base)}"))
    mv = med(r.get("make_verify"))
    out.append(Target.check(
        "`make verify` ≤ 1.1 × the cold build", f"≤ {VERIFY_FACTOR}×",
        None if mv is None or cold is None else mv <= VERIFY_FACTOR * cold,
        "–" if mv is None or cold is None else f"{mv:.1f} s / {cold:.1f} s = {mv / cold:.2f}×"))
    out.append(status_target(scale))
    return out


def data_change_target(rb: RealBook | None) -> Target:
    name, limit = "one data file changed: only dependents run, time ≤ (their execution + book) + 20%", \
        "jobs = dependents; wall ≤ 1.2 × (Σ exec + book)"
    row = rb.rows.get("incr_data") if rb else None
    if row is None or not row.ok:
        return Target.check(name, limit, None, "–" if row is None else f"error: {row.error.splitlines()[0][:160]}")
    expected = rb.facts["data_change"]["expected_jobs"]
    worst, all_ok, ran_ok = None, True, True
    for smp in row.samples:
        ran = sorted(smp.info["executed"])
        bound = DATA_SLACK * (smp.info.get("exec_sum_s", 0) + (smp.info.get("seconds_book") or 0))
        ran_ok &= ran == expected
        all_ok &= ran == expected and smp.seconds <= bound
        if worst is None or smp.seconds / bound > worst[0] / worst[1]:
            worst = (smp.seconds, bound, smp.info.get("exec_sum_s"), smp.info.get("seconds_book"))
    jobs = ", ".join(expected)
    measured = (f"jobs run: {'as expected' if ran_ok else 'NOT as expected'} ({jobs}); worst run {worst[0]:.1f} s vs "
                f"limit {worst[1]:.1f} s = 1.2 × ({s(worst[2], 1)} s exec + {s(worst[3], 1)} s book)")
    return Target.check(name, limit, all_ok, measured)


def status_target(scale: Scale | None) -> Target:
    name = "staleness check (`status`) grows ≤ linearly in N and < 1 s at N = 200"
    limit = "t(N₂)/t(N₁) ≤ N₂/N₁; t(200) < 1 s"
    if scale is None:
        return Target.check(name, limit, None, "not run")
    pts = [(n, med(scale.row(n, "status"))) for n in scale.ns]
    if any(t is None for _, t in pts):
        return Target.check(name, limit, None, "a status row failed")
    steps = [(t2 / t1, n2 / n1) for (n1, t1), (n2, t2) in zip(pts, pts[1:])]
    linear = all(tr <= nr for tr, nr in steps)
    last_n, last_t = pts[-1]
    fast = last_t < STATUS_MAX_S if last_n >= 200 else None
    growth = ", ".join(f"{n1}→{n2}: ×{tr:.2f} (N ×{nr:g})" for ((n1, _), (n2, _)), (tr, nr) in zip(zip(pts, pts[1:]), steps))
    return Target.check(name, limit, None if fast is None else linear and fast,
                        f"{growth}; t({last_n}) = {last_t:.2f} s")


def checks(rb: RealBook | None, scale: Scale | None) -> list[tuple[str, bool, str]]:
    """Correctness facts the timings rely on."""
    out = []
    r = rb.rows if rb else {}
    for key, want in (("noop", 0), ("make_noop", 0), ("incr_prose", 0)):
        row = r.get(key)
        if row is not None and row.samples:
            ran = [smp.info.get("n_executed") for smp in row.samples]
            out.append((f"{row.label}: {want} jobs run", all(x == want for x in ran), f"jobs run per run: {ran}"))
    if scale:
        for n in scale.ns:
            row = scale.row(n, "incr")
            if row is not None and row.samples:
                ran = [sorted(smp.info["executed"]) for smp in row.samples]
                out.append((f"N={n} one input changed: exactly its job runs",
                            all(len(x) == 1 and x[0] == Path(smp.info["changed"]).stem
                                for x, smp in zip(ran, row.samples)),
                            f"jobs run: {ran}"))
    return out


# --- markdown ----------------------------------------------------------------------------------------

def row_notes(row: Row) -> str:
    notes = [row.note] if row.note else []
    if row.failures:
        first = next((ln.strip() for ln in row.failures[0].splitlines() if "FAILED" in ln or "rror" in ln),
                     row.failures[0].splitlines()[0])
        notes.append(f"{len(row.failures)} failed attempt(s) retried, first: {first[:160]}")
    if row.error:
        notes.append("ERROR: " + row.error.splitlines()[0][:200])
    return "; ".join(notes)


def real_section(rb: RealBook) -> list[str]:
    r = rb.rows
    base, cold = med(r.get("baseline")), med(r.get("cold"))
    lines = ["## Real book", "",
             "Seconds of wall time over repeated runs; ratios use medians. CPU s: user + system seconds of the "
             "command's process tree (median). Peak MiB: the largest resident set of any one process in the tree. "
             "Other load: cores kept busy by other processes on the machine during the run (median; 0 = quiet).", ""]
    body = []
    for key in REAL_ORDER:
        row = r.get(key)
        if row is None:
            continue
        st = row.stats()
        cells = [("**" + row.label + "**") if key == "baseline" else row.label, str(len(row.samples)),
                 *stats_cells(st), ratio(row.median, base), ratio(row.median, cold),
                 s(row.stats("cpu_s").median if row.samples else None, 1),
                 mib(max((x.maxrss_kb for x in row.samples), default=None)),
                 s(row.load_stats().median if row.load_stats() else None, 1),
                 row_notes(row)]
        body.append(cells)
    lines += table(["row", "runs", "median s", "min s", "max s", "× baseline", "× cold", "CPU s", "peak MiB", "other load", "notes"], body)
    lines += ["", "Command per row: " + "; ".join(f"{r[k].label}: `{r[k].command}`" for k in REAL_ORDER if k in r), ""]
    if rb.facts.get("make_stamp_note"):
        lines += [f"Note: {rb.facts['make_stamp_note']}.", ""]
    lines += cold_details(rb) + data_details(rb) + prose_details(rb)
    return lines


def cold_details(rb: RealBook) -> list[str]:
    cold, pm = rb.rows.get("cold"), rb.rows.get("papermill")
    if not cold or not cold.samples:
        return []
    jobs = rb.facts.get("jobs", [])
    jb = rb.rows.get("jupyter_book")
    jb_cpu = jb.stats("cpu_s").median if jb and jb.samples else None
    lines = ["### Cold build: where the time goes", "",
             f"Pipeline (execution phase, 2 workers) median {s(info_med(cold, 'seconds_pipeline'), 1)} s, "
             f"book build {s(info_med(cold, 'seconds_book'), 1)} s, sum of the jobs' own execution "
             f"{s(info_med(cold, 'exec_sum_s'), 1)} s. Sequential papermill: notebooks "
             f"{s(info_med(pm, 'notebook_sum_s'), 1)} s + papermill import {s(info_med(pm, 'import_s'), 2)} s. "
             f"CPU seconds (whole process tree, median): cold build {s(cold.stats('cpu_s').median, 1)} s, sequential "
             f"papermill {s(pm.stats('cpu_s').median if pm and pm.samples else None, 1)} s + jupyter-book "
             f"{s(jb_cpu, 1)} s; each job's own time in the cold build against papermill alone is below.", ""]
    body = []
    for job in jobs:
        ours = Stats.of([smp.info["executed"][job] for smp in cold.samples if job in smp.info.get("executed", {})])
        theirs = Stats.of([smp.info["notebook_seconds"][job] for smp in (pm.samples if pm else [])
                           if job in smp.info.get("notebook_seconds", {})])
        body.append([job, s(ours.median if ours else None), s(theirs.median if theirs else None)])
    return lines + table(["job", "in our cold build (median s)", "papermill alone (median s)"], body) + [""]


def data_details(rb: RealBook) -> list[str]:
    row, facts = rb.rows.get("incr_data"), rb.facts.get("data_change")
    if not row or not facts:
        return []
    lines = ["### One data file changed", "",
             f"`{facts['file']}`, column `{facts['column']}` of the row {facts['row']}, a different value each run "
             f"(edits: {', '.join(facts['edits'])}). Jobs that depend on it per pipeline.yml: "
             f"{', '.join(facts['expected_jobs'])}.", ""]
    body = [[str(i + 1), ", ".join(f"{k} ({v:.1f} s)" for k, v in sorted(smp.info["executed"].items())) or "none",
             s(smp.info.get("exec_sum_s"), 1), s(smp.info.get("seconds_book"), 1), s(smp.seconds, 1),
             s(DATA_SLACK * ((smp.info.get("exec_sum_s") or 0) + (smp.info.get("seconds_book") or 0)), 1)]
            for i, smp in enumerate(row.samples)]
    return lines + table(["run", "jobs run (own seconds)", "Σ exec s", "book s", "wall s", "limit s"], body) + [""]


def prose_details(rb: RealBook) -> list[str]:
    row = rb.rows.get("incr_prose")
    if not row or not row.samples:
        return []
    body = [[str(i + 1), str(smp.info.get("n_executed")), s(smp.info.get("seconds_book"), 1), s(smp.seconds, 1)]
            for i, smp in enumerate(row.samples)]
    return (["### Prose-only change", "", f"Files: {', '.join(sorted(set(rb.facts['prose_change']['files'])))}.", ""]
            + table(["run", "jobs run", "book s", "wall s"], body) + [""])


def scale_section(scale: Scale) -> list[str]:
    big = scale.facts.get("big_table", {})
    lines = ["## Scale: synthetic projects", "",
             f"N small notebooks (each reads its own 200-row CSV, aggregates, saves a table and a value) plus one "
             f"large job that aggregates a {big.get('rows', 0):,}-row trade-like table "
             f"({big.get('bytes', 0) / 1e6:.0f} MB CSV) with pandas. The cold build is one run of `build` **with** a "
             "one-page book, so that it leaves the no-op stamp and the no-op row measures the fingerprint fast path. "
             "`status` is the full staleness check (hash every declared input, read every notebook, plan). "
             "The incremental row changes one small CSV and runs `build --no-book` (the book is left out to isolate "
             "the engine's cost; exactly 1 job must run). The large table is not listed in datapackage.json here, "
             "so it is hashed but not schema-validated (see the last row). Medians of "
             f"{max((len(r.samples) for (n, k), r in scale.rows.items() if k == 'status'), default=0)} runs except cold.", ""]
    body = []
    for n in scale.ns:
        f = scale.facts.get(f"n{n}", {})
        cells = [str(n)]
        for kind in SCALE_KINDS:
            row = scale.row(n, kind)
            cells.append(s(med(row), 3 if kind != "cold" else 1) if row and row.ok else ("FAILED" if row else "–"))
        cells.append(s(f.get("small_job_median_s"), 2))
        for kind in SCALE_KINDS:
            row = scale.row(n, kind)
            cells.append(mib(max((x.maxrss_kb for x in row.samples), default=None)) if row else "–")
        body.append(cells)
    lines += table(["N", "cold s", "no-op build s", "status s", "1 input changed s", "small job s (cold)",
                    "peak MiB: cold", "no-op", "status", "1 input"], body)
    lines += ["", "Growth per N step (ratio of medians; linear growth would equal the N ratio; fixed start-up "
              "costs make small-N steps look flat):", ""]
    growth = []
    for n1, n2 in zip(scale.ns, scale.ns[1:]):
        cells = [f"{n1} → {n2}", f"×{n2 / n1:g}"]
        for kind in SCALE_KINDS:
            a, b = med(scale.row(n1, kind)), med(scale.row(n2, kind))
            cells.append(ratio(b, a))
        per = [(med(scale.row(n2, k)) or 0) - (med(scale.row(n1, k)) or 0) for k in ("noop", "status")]
        cells.append(f"{1000 * per[0] / (n2 - n1):.2f} / {1000 * per[1] / (n2 - n1):.2f}")
        growth.append(cells)
    lines += table(["step", "N", *[KINDS[k][0].split(" (")[0] for k in SCALE_KINDS],
                    "marginal ms per added notebook (no-op / status)"], growth)
    sp = scale.facts.get("status_profile")
    if sp:
        tot = sp["total_s"] or 1
        lines += ["", f"Where `status` spends its time at N = {sp['n']} (cProfile of one run, profiler overhead "
                  "included):", ""]
        lines += table(["part", "seconds", "share"], [
            [label, s(sp[key], 3), f"{100 * sp[key] / tot:.0f}%"] for label, key in (
                ("imports", "imports_s"),
                (f"`jupytext.read` ({sp['jupytext_reads']} calls for {sp['n'] + 1} jobs)", "jupytext_read_s"),
                ("sha256 of inputs and code (`sha256_file`)", "sha256_file_s"),
                ("project code closure (AST of each notebook's imports)", "code_closure_s"),
                ("parsing pipeline.yml (`spec.load`)", "spec_load_s"),
                ("the rest", "rest_s"), ("total", "total_s"))])
        per_job = sp["jupytext_reads"] / (sp["n"] + 1)
        if per_job >= 2:
            note = (f"`jupytext.read` runs {per_job:.0f}× per job (`notebook_code_digest()` and `notebook_code()` in "
                    "reprobook/pipeline.py each parse the same notebook): parsing it once would save about half of "
                    "that row, and a cache keyed by the notebook file's identity would skip unchanged notebooks.")
        elif per_job >= 0.5:
            note = (f"`jupytext.read` runs {per_job:.0f}× per job: a cache keyed by the notebook file's identity "
                    "would skip parsing unchanged notebooks.")
        else:
            note = "Unchanged notebooks are not parsed again (`jupytext.read` ran for few or no jobs)."
        if sp.get("yaml_pure_python"):
            note += (" `spec.load` parses pipeline.yml with PyYAML's pure-Python parser; `yaml.CSafeLoader` "
                     "(libyaml, installed) gives the same result about 6× faster.")
        lines += ["", note]
    vb = [r for (n, k), r in scale.rows.items() if k == "validate_big"]
    if vb:
        row = vb[0]
        st = row.stats()
        n = next(n for (n, k), r in scale.rows.items() if r is row)
        plain = med(scale.row(n, "incr"))
        extra = f", {st.median - plain:+.1f} s over the same change without it" if st and plain else ""
        lines += ["", f"**Large table under schema validation** ({row.label}; {row.note}): "
                  + (f"median {st.median:.1f} s (min {st.min:.1f}, max {st.max:.1f}, {st.n} run(s)){extra}; peak "
                     f"{mib(max(x.maxrss_kb for x in row.samples))} MiB; jobs run "
                     f"{[sorted(x.info['executed']) for x in row.samples]}."
                     if st else f"failed: {row.error.splitlines()[0][:200]}")]
    return lines + [""]


def profile_section(prof: Profile, rb: RealBook | None) -> list[str]:
    r = prof.rows
    interp, noop, nopyc = med(r.get("interpreter")), med(r.get("noop")), med(r.get("noop_nopyc"))
    cp, imp, fp = prof.cprofile, prof.imports, prof.fingerprint
    cold = med(rb.rows.get("cold")) if rb else None
    lines = ["## Profile of the no-op path", "",
             f"- interpreter start (`python -c pass`): median {s(interp, 3)} s over {len(r['interpreter'].samples)} runs",
             f"- no-op `reprobook build`: median {s(noop, 3)} s (bytecode cached); {s(nopyc, 3)} s with "
             "PYTHONDONTWRITEBYTECODE=1 (set in this machine's environment: the engine's modules are compiled on every run)",
             f"- the no-op fingerprint hashes {fp.get('files', '?')} files, {fp.get('bytes', 0) / 1e6:.2f} MB "
             "(data, notebooks, src, book, results and the config files), every run",
             f"- `-X importtime`: {imp.get('total_ms', '?')} ms importing {imp.get('n_modules', '?')} modules", ""]
    if prof.large:
        lg = prof.large
        lines.insert(-1, f"- the no-op of the synthetic project {lg['project']} ({lg['files']} files, "
                         f"{lg['bytes'] / 1e6:.0f} MB fingerprinted): profiled {lg['total_s']:.3f} s, of which "
                         f"fingerprint {lg['hashing_s']:.3f} s and imports {lg['imports_s']:.3f} s")
    if cp:
        tot = cp["total_s"] or 1
        lines += ["cProfile of one no-op build (profiler overhead included; the shares are what matters):", ""]
        lines += table(["part", "seconds", "share"], [
            ["imports (`_find_and_load`)", s(cp["imports_s"], 3), f"{100 * cp['imports_s'] / tot:.0f}%"],
            ["  of which compiling source (no .pyc)", s(cp["compile_s"], 3), f"{100 * cp['compile_s'] / tot:.0f}%"],
            ["hashing: `fingerprint()` (walk + read + sha256)", s(cp["hashing_s"], 3), f"{100 * cp['hashing_s'] / tot:.0f}%"],
            ["  of which walking folders (`files_under`)", s(cp["file_walk_s"], 3), f"{100 * cp['file_walk_s'] / tot:.0f}%"],
            ["  of which reading + hashing (`tree_digest`)", s(cp["hash_read_s"], 3), f"{100 * cp['hash_read_s'] / tot:.0f}%"],
            ["the rest (argument parsing, stamps, interpreter teardown)", s(cp["rest_s"], 3), f"{100 * cp['rest_s'] / tot:.0f}%"],
            ["total (profiled)", s(cp["total_s"], 3), "100%"]])
        lines += ["", "Heaviest imports (`-X importtime`, cumulative):", ""]
        lines += table(["module", "depth", "cumulative ms", "self ms"],
                       [[f"`{e['module']}`", str(e["depth"]), f"{e['cumulative_us'] / 1000:.1f}", f"{e['self_us'] / 1000:.1f}"]
                        for e in imp.get("heaviest", [])[:12]])
        lines += ["", "Top functions by cumulative time (cProfile):", ""]
        lines += table(["function", "calls", "cumulative s"],
                       [[f"`{t['function']}`", str(t["ncalls"]), s(t["cumtime_s"], 4)] for t in cp["top"][:12]])
    lines += ["", "### Cheapest design to get closer to the limit", ""]
    lines += [x for note in design_notes(prof, noop, interp, cold) for x in (note, "")]
    return lines


def design_notes(prof: Profile, noop: float | None, interp: float | None, cold: float | None) -> list[str]:
    """The cheapest changes, each stated only when the measurements show it would help."""
    imp, large = prof.imports, prof.large
    heavy = {e["module"]: e["cumulative_us"] / 1000 for e in imp.get("heaviest", [])}
    on_path = [m for m in ("reprobook.pipeline", "reprobook.book") if m in imp.get("reprobook_modules", [])]
    nopyc = med(prof.rows.get("noop_nopyc"))
    limit = f"{0.02 * cold:.2f} s" if cold else "2% of the cold build"
    notes = [f"The floor is the interpreter start ({s(interp, 3)} s); the no-op build takes {s(noop, 3)} s; the "
             f"limit (2% of the cold build) is {limit}."]
    if on_path:
        ms = sum(heavy.get(m, 0) for m in on_path)
        notes.append(
            f"1. **Defer imports off the no-op path** (cheapest). The no-op imports {', '.join(f'`{m}`' for m in on_path)} "
            f"although `is_noop()` needs neither: about {ms:.0f} ms of the {imp.get('total_ms', '?')} ms of imports "
            "(`-X importtime`, cumulative; `pipeline` pulls in `execute`, `executors` with concurrent.futures and "
            "multiprocessing, `manifest` with importlib.metadata, `spec`). Importing them inside the functions of "
            "`reprobook/build.py` that use them, after the no-op check in `build()`, takes that off every `make book`.")
    else:
        notes.append("1. The no-op path already avoids importing `reprobook.pipeline` and `reprobook.book`; the "
                     f"remaining {imp.get('total_ms', '?')} ms of imports are the CLI's own (argparse, dataclasses).")
    if noop and nopyc and nopyc - noop > max(0.01, 0.1 * noop):
        notes.append(f"2. **Keep bytecode caching on.** With PYTHONDONTWRITEBYTECODE=1 the engine's modules are "
                     f"compiled on every run ({nopyc:.3f} s vs {noop:.3f} s). `python -m compileall -q src` in the "
                     "venv stamp rule gives the cached speed even where the variable is set.")
    else:
        notes.append(f"2. Bytecode caching hardly matters ({s(nopyc, 3)} s without, {s(noop, 3)} s with).")
    if large:
        share = large["hashing_s"] / (large["total_s"] or 1)
        what = (f"In the synthetic project {large['project']} ({large['files']} files, {large['bytes'] / 1e6:.0f} MB "
                f"under the fingerprinted folders) the fingerprint takes {1000 * large['hashing_s']:.0f} ms, "
                f"{100 * share:.0f}% of its profiled no-op")
        if share >= 0.25:
            notes.append(f"3. **Hashing grows with bytes, not files.** {what}: every no-op re-reads every byte. A stat "
                         "cache (path → inode, size, mtime_ns, ctime_ns → sha256, kept in _build/; re-hash only files "
                         "whose stat changed) makes the no-op O(files) and keeps decisions content-based.")
        else:
            notes.append(f"3. Hashing stays cheap: {what}.")
    return notes


def load_summary(rb: RealBook | None, scale: Scale | None) -> str:
    rows = list(rb.rows.values() if rb else []) + list(scale.rows.values() if scale else [])
    loads = [x.other_load for r in rows for x in r.samples if x.seconds >= 0.5]
    st = Stats.of(loads)
    if st is None:
        return "no run long enough to tell the load of other processes"
    busy = sum(x >= 0.3 for x in loads)
    return (f"other processes kept {st.median:.1f} cores busy in the median run (max {st.max:.1f}); "
            f"{busy} of {st.n} runs of ≥ 0.5 s saw ≥ 0.3 busy cores" + (" – times are inflated, re-run on a quiet machine"
                                                                    if st.median >= 0.3 else ""))


def render(meta: dict, rb: RealBook | None, scale: Scale | None, prof: Profile | None,
           tgts: list[Target], chk: list[tuple[str, bool, str]]) -> str:
    lines = ["# reprobook benchmark report", "",
             f"- date: {meta['date']}; profile: `{meta['settings']['name']}`; total run time: "
             f"{meta['total_seconds'] / 60:.1f} min",
             f"- machine: {meta['machine']['cpus']} CPUs ({meta['machine']['cpu_model']}), "
             f"{meta['machine']['mem_gib']:.0f} GiB; Python {meta['machine']['python']}; {meta['machine']['platform']}",
             f"- project snapshot: {meta['snapshot']['files']} files (git ls-files, working tree) at "
             f"{meta['snapshot']['head']} with {meta['snapshot']['dirty']} changed or new file(s); every row works on "
             "copies of this one snapshot in a temporary folder",
             f"- {meta['env_note']}",
             f"- shared machine: {load_summary(rb, scale)}; the runs waited {meta.get('quiet_wait_s', 0):.0f} s in "
             f"total (budget {meta['settings']['quiet_budget_s']:.0f} s) for other processes to calm down", ""]
    lines += ["## Targets", ""]
    lines += table(["target", "limit", "measured", "verdict"],
                   [[t.name, t.limit, t.measured, f"**{t.verdict}**"] for t in tgts])
    if chk:
        lines += ["", "Checks the timings rely on:", ""]
        lines += [f"- {'ok' if ok else 'FAILED'}: {name} ({detail})" for name, ok, detail in chk]
    lines.append("")
    if rb is not None:
        if rb.facts.get("fatal"):
            lines += [f"**{rb.facts['fatal']}**", ""]
        lines += real_section(rb)
    if scale is not None:
        lines += scale_section(scale)
    if prof is not None:
        lines += profile_section(prof, rb)
    lines += ["See bench/README.md for what each row measures and how to read this report.", ""]
    return "\n".join(lines)


def write(out_dir: Path, meta: dict, rb: RealBook | None, scale: Scale | None, prof: Profile | None) -> Path:
    tgts, chk = targets(rb, scale), checks(rb, scale)
    out_dir.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        **meta, "targets": [asdict(t) for t in tgts],
        "checks": [{"check": n, "ok": ok, "detail": d} for n, ok, d in chk],
        "real": None if rb is None else {"rows": {k: v.to_json() for k, v in rb.rows.items()}, "facts": rb.facts},
        "scale": None if scale is None else scale.to_json(),
        "profile": None if prof is None else prof.to_json(),
    }
    (out_dir / "report.json").write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    md = out_dir / "report.md"
    md.write_text(render(meta, rb, scale, prof, tgts, chk), encoding="utf-8")
    return md
