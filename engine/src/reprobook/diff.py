"""`diff [REF]`: the impact report of the working tree against a git revision (default HEAD).

The data rows that changed, the jobs they fed, the table cells, figures and values that moved and
where the book uses them, every passage that shows a moved value with its old and new numbers,
each changed figure before and after, the claims whose truth changed and one line per chapter;
written to `_build/diff/report.md` and `report.html` (see reprobook.impact, reprobook.impactreport).
"""
from __future__ import annotations

from .paths import Paths


def write_report(paths: Paths, ref: str = "HEAD", *, with_status: bool = True):
    """Compute and write the impact report; returns (Impact, report.md, report.html)."""
    from . import impactreport
    from .impact import impact

    imp = impact(paths, ref, with_status=with_status)
    md, page = impactreport.write(paths, imp)
    return imp, md, page


def main(paths: Paths, ref: str = "HEAD") -> int:
    from . import impactreport

    imp, md, page = write_report(paths, ref)
    n = len(imp.data) + imp.n_results + len(imp.claims)
    print(f"impact of the working tree against {ref} ({imp.sha[:10]}): {impactreport.summary_line(imp)}")
    if imp.stale:
        print(f"  note: results/ does not yet follow the working tree ({len(imp.stale)} job(s) would run: "
              f"{', '.join(imp.stale)}); run `make book` first")
    for line in impactreport.terminal_lines(imp):
        print(f"  {line}")
    if n == 0:
        print("  no data file, table, figure, value or claim changed")
    print(f"report: {paths.rel(md)} and {page.name}")
    return 0
