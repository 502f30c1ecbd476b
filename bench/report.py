"""The bench's report: the README's performance table, the issue's targets, every measurement.

Tables only: medians with their min-max range over the runs, ratios, and met / not met.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import asdict
from pathlib import Path


def cell(row, name: str = "seconds") -> str:
    """'12.3 s (11.9-13.0)': median and range of one figure of a row."""
    if row is None or not row.values(name):
        return "not measured"
    v = row.values(name)
    lo, hi = min(v), max(v)
    fmt = (lambda x: f"{x:.0f}") if hi >= 100 else (lambda x: f"{x:.1f}") if hi >= 10 else (lambda x: f"{x:.2f}")
    return f"{fmt(statistics.median(v))} s" + (f" ({fmt(lo)}–{fmt(hi)})" if len(v) > 1 else "")


def ratio(a, b, an: str = "seconds", bn: str = "seconds") -> tuple[float, float, float] | None:
    """a/b: pair by pair (median, min, max) when both were measured in the same rounds, else of the medians."""
    if a is None or b is None or not a.values(an) or not b.values(bn):
        return None
    x, y = a.values(an), b.values(bn)
    if a.part == b.part and len(x) == len(y):
        r = [p / q for p, q in zip(x, y)]
        return statistics.median(r), min(r), max(r)
    r = statistics.median(x) / statistics.median(y)
    return r, r, r


def rcell(r) -> str:
    if r is None:
        return "–"
    m, lo, hi = r
    f = (lambda v: f"{v:.3f}") if m < 0.1 else (lambda v: f"{v:.2f}")
    return f(m) + (f" ({f(lo)}–{f(hi)})" if hi > lo else "")


class Sum:
    """Two rows measured in the same rounds, added run by run (papermill CLI + jupyter-book build)."""

    def __init__(self, a, b):
        self.part = a.part if a else None
        self.samples = [{"seconds": p + q} for p, q in zip(a.values(), b.values())] if a and b else []

    def values(self, name: str = "seconds") -> list[float]:
        return [s[name] for s in self.samples]


def targets(rows: dict, meta: dict) -> list[tuple[str, str, str]]:
    """(target, measured, met / not met / not measured) for each target of the issue."""
    g = rows.get
    out = []

    def add(what: str, value: float | None, limit: float, shown: str) -> None:
        verdict = "not measured" if value is None else "met" if value <= limit else "**not met**"
        out.append((what, shown if value is not None else "–", verdict))

    for what, r, limit in (("cold execution phase ≤ 0.25 × papermill CLI one after another",
                            ratio(g("cold_warm"), g("papermill_cli"), "pipeline"), 0.25),
                           ("cold execution phase ≤ 0.5 × in-process sequential papermill",
                            ratio(g("cold_warm"), g("papermill_inproc"), "pipeline"), 0.5),
                           ("fresh-clone setup ≤ 0.35 × pip install -r requirements.lock",
                            ratio(g("setup_uv"), g("setup_pip")), 0.35),
                           ("`make test` ≤ 8 × a cold `make book`", ratio(g("make_test"), g("tests_cold_book")), 8),
                           ("no-op ≤ 2% of the cold build", ratio(g("noop"), g("cold_warm")), 0.02)):
        add(what, r[0] if r else None, limit, rcell(r))
    for what, key, limit, agg in (("`make test-fast` under a minute", "make_test_fast", 60, statistics.median),
                                  ("`make serve`: a prose edit served within 2 s", "serve_prose", 2, statistics.median),
                                  ("`status` at 200 notebooks under 1 s", "n_status", 1, statistics.median)):
        v = g(key).values() if g(key) else []
        add(what, agg(v) if v else None, limit, cell(g(key)))
    digests = {s.get("results") for k in ("cold_warm", "cold_cold", "record") if g(k) for s in g(k).samples}
    out.append(("results byte-identical (warm kernels, cold kernels, the record)",
                f"{len(digests)} distinct result tree(s)" if digests else "–",
                "not measured" if not digests else "met" if len(digests) == 1 else "**not met**"))
    flags = [s.get("only_dependents") for s in g("one_input").samples] if g("one_input") else []
    out.append(("one input changed: exactly its dependent jobs run", f"{sum(map(bool, flags))} of {len(flags)} runs",
                "not measured" if not flags else "met" if all(flags) else "**not met**"))
    minutes = meta.get("minutes")
    add("`make bench` under 10 minutes", None if meta.get("parts") != meta.get("default_parts") else minutes * 60,
        600, f"{minutes:.1f} min")
    return out


def readme_table(rows: dict) -> list[str]:
    g = rows.get
    jobs = g("cold_warm").samples[0].get("jobs") if g("cold_warm") else "?"
    naive_all = Sum(g("papermill_cli"), g("jb_cold"))
    one = g("one_input").samples[-1].get("jobs", []) if g("one_input") else []
    lines = ["| what | reprobook | the naive way | ratio |", "|---|---|---|---|"]

    def line(what, ours, theirs, r):
        lines.append(f"| {what} | {ours} | {theirs} | {rcell(r)} |")

    line(f"cold build, execution phase ({jobs} jobs)", cell(g("cold_warm"), "pipeline"),
         f"papermill CLI one after another: {cell(g('papermill_cli'))}",
         ratio(g("cold_warm"), g("papermill_cli"), "pipeline"))
    line("", "", f"in-process papermill one after another: {cell(g('papermill_inproc'))}",
         ratio(g("cold_warm"), g("papermill_inproc"), "pipeline"))
    line("cold `make book` (execution + book)", cell(g("cold_warm")),
         f"papermill CLI + `jupyter-book build`: {cell(naive_all)}", ratio(g("cold_warm"), naive_all))
    line("cold build, `warm_kernels: false`: execution phase", cell(g("cold_cold"), "pipeline"),
         f"warm kernels: {cell(g('cold_warm'), 'pipeline')}", ratio(g("cold_warm"), g("cold_cold"), "pipeline", "pipeline"))
    line("no-op `make book`", cell(g("noop")), f"`jupyter-book build`, nothing changed: {cell(g('jb_noop'))}",
         ratio(g("noop"), g("jb_noop")))
    line(f"one data file changed ({len(one)} jobs run)", cell(g("one_input")),
         f"papermill CLI + `jupyter-book build`: {cell(naive_all)}", ratio(g("one_input"), naive_all))
    line("prose only: `make book`", cell(g("prose")), f"`jupyter-book build`: {cell(g('jb_prose'))}",
         ratio(g("prose"), g("jb_prose")))
    line("prose only: `make serve`, save to served", cell(g("serve_prose")), f"`jupyter-book build`: {cell(g('jb_prose'))}",
         ratio(g("serve_prose"), g("jb_prose")))
    line("`make verify`", cell(g("verify")), f"papermill CLI one after another: {cell(g('papermill_cli'))}",
         ratio(g("verify"), g("papermill_cli")))
    line("`status` at 200 notebooks", cell(g("n_status")), "–", None)
    line("cold build at 200 notebooks", cell(g("n_cold")), "–", None)
    line("one input changed at 200 notebooks (`build --no-book`)", cell(g("n_input")), "–", None)
    line("fresh-clone setup (`make setup`, uv)", cell(g("setup_uv")),
         f"venv + `pip install -r requirements.lock`: {cell(g('setup_pip'))}", ratio(g("setup_uv"), g("setup_pip")))
    line("`make test`", cell(g("make_test")), f"cold `make book`: {cell(g('tests_cold_book'))}",
         ratio(g("make_test"), g("tests_cold_book")))
    line("`make test-fast`", cell(g("make_test_fast")), "–", None)
    return lines


def write(out: Path, meta: dict, rows: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps({"meta": meta, "rows": {k: asdict(r) for k, r in rows.items()}},
                                                indent=1) + "\n")
    md = ["# reprobook benchmark", "", "| | |", "|---|---|"]
    for k in ("commit", "date", "machine", "load", "parts", "minutes", "setup", "errors"):
        if meta.get(k) not in (None, "", []):
            md.append(f"| {k} | {meta[k]} |")
    md += ["", "## Performance", ""] + readme_table(rows)
    md += ["", "## Targets", "", "| target | measured | |", "|---|---|---|"]
    md += [f"| {a} | {b} | {c} |" for a, b, c in targets(rows, meta)]
    md += ["", "## Every measurement", "", "Wall seconds: median (min–max) over n runs.", "",
           "| row | n | seconds | measured | command |", "|---|---|---|---|---|"]
    for r in rows.values():
        if r.values():
            md.append(f"| {r.label} | {len(r.values())} | {cell(r)} | {r.date} | `{r.command[:90]}` |")
    path = out / "report.md"
    path.write_text("\n".join(md) + "\n")
    return path
