"""Clean-room verification and the results diff, on a small project under git."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reprobook.testing import invoke

pytestmark = pytest.mark.slow


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def committed(built_mini):
    """The mini project, built, under git with its record committed."""
    (built_mini / ".gitignore").write_text("_build/\n")
    git(built_mini, "init", "-q")
    git(built_mini, "-c", "user.email=t@example.org", "-c", "user.name=t", "add", "-A")
    git(built_mini, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "record")
    return built_mini


def test_verify_reproduces_then_names_a_tampered_cell(committed):
    proc = invoke(committed, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = (committed / "_build/verify/report.md").read_text()
    assert "All 7 artifacts reproduced." in report  # with the two jobs' executed notebooks
    for path in ("results/tables/totals.csv", "results/figures/bars.svg", "results/values.json#grand_total",
                 "results/notebooks/sums.ipynb", "results/notebooks/words.ipynb"):
        assert f"`{path}` | " in report and "reproduced bit for bit" in report
    assert (committed / "_build/verify/report.html").is_file()

    t = committed / "results/tables/totals.csv"
    t.write_text(t.read_text().replace("b,5.0", "b,5.5"))
    proc = invoke(committed, "verify")
    assert proc.returncode == 1
    assert "MISMATCH: results/tables/totals.csv" in proc.stdout
    assert "group=b, column value: 5.5 -> 5.0" in proc.stdout
    assert "working tree differs from the last commit" in proc.stderr
    room = Path(re.search(r"clean room kept for inspection: (\S+)", proc.stdout).group(1))
    assert (room / "results/tables/totals.csv").is_file()  # kept to be looked at; this test has looked
    shutil.rmtree(room)


def test_tolerance_declared_in_spec(committed):
    spec = committed / "pipeline.yml"
    spec.write_text(spec.read_text().replace("totals: {key: [group]}", "totals: {key: [group], tolerance: 0.1}"))
    t = committed / "results/tables/totals.csv"
    t.write_text(t.read_text().replace("b,5.0", "b,5.05"))
    proc = invoke(committed, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reproduced within tolerance" in (committed / "_build/verify/report.md").read_text()


def test_diff_lists_moved_cells_values_and_pages(committed):
    (committed / "data/numbers.csv").write_text("group,value\na,1\na,2\nb,7\nc,1\n")
    build = invoke(committed, "build", "--no-book", check=True)
    assert "impact against HEAD: 1 data file(s) changed (2 row(s))" in build.stderr
    proc = invoke(committed, "diff", check=True)
    out = proc.stdout
    assert "table totals: 1 cell(s) changed, 1 row(s) added" in out
    assert "group=b, column value: 5.0 -> 7.0" in out
    assert "row added: group=c" in out
    assert "value grand_total: 8.0 -> 11.0 (used on: book/index.md)" in out
    assert "figure bars: changed" in out
    assert "word_lengths" not in out
    assert "data data/numbers.csv: changed, 2 row(s) (read by: sums)" in out  # no primary key: rows by position
    assert "    3: value: 5 -> 7" in out and "    4: added" in out
    assert "passage book/index.md:3: The grand total is 11.0." in out
    # a build that changes results writes the report too (against HEAD)
    assert (committed / "_build/diff/report.html").is_file()
    report = (committed / "_build/diff/report.md").read_text()
    assert "| group=b | value | 5.0 | 7.0 |" in report
    bad = invoke(committed, "diff", "no-such-ref")
    assert bad.returncode == 2 and "not a git revision" in bad.stderr


def test_diff_outside_git_or_before_the_first_commit_says_what_to_run(tmp_path):
    from reprobook import impact

    with pytest.raises(impact.NotInGit, match=r"is not in a git repository.*git init && git add -A"):
        impact.resolve(tmp_path, "HEAD")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    for ref in ("HEAD", "main", "HEAD~1"):  # whatever the revision asked for: there is none yet
        with pytest.raises(impact.NotInGit, match="has no commit yet"):
            impact.resolve(tmp_path, ref)
