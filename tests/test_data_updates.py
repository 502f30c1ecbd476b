"""Data updates in a copy of the repository, end to end: a consistent update is explained by the
impact report (the data rows, every sentence with its old and new numbers, each figure before and
after); an update that makes a claim of the book false stops the build, names the claim, and
leaves results/ as it was."""
from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest

from reprobook.testing import tree_hashes

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("data_updates")]  # one worker shares the module's built project


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args], cwd=root, check=True,
                   capture_output=True)


def edit_csv(path: Path, key: list[str], column: str, changes: dict[tuple[str, ...], int]) -> None:
    """Set `column` of the rows with the given keys: an int is added (a delta), as data curators do."""
    text = path.read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    rows = list(csv.DictReader(io.StringIO(text)))
    seen = set()
    for r in rows:
        k = tuple(r[c] for c in key)
        if k in changes:
            r[column] = str(int(r[column]) + changes[k])
            seen.add(k)
    assert seen == set(changes), f"rows not found in {path.name}: {set(changes) - seen}"
    out = io.StringIO()
    w = csv.DictWriter(out, header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="session")  # session: built once per worker even if tests interleave
def repo(study_copy):
    """A copy of the repository under git, its record committed (the record is fresh: no job runs)."""
    copy = study_copy("updates")
    copy.cli("build", "--no-book", check=True, timeout=1200)
    git(copy.root, "init", "-q")
    git(copy.root, "add", "-A")
    git(copy.root, "commit", "-qm", "record")
    return copy


FLOWS, PUBLISHED = ("reporter", "flow", "year"), ("value_id",)


def test_a_consistent_update_is_explained_sentence_by_sentence_with_figures(repo):
    # Kazakhstan's exports in the share year +100,000 thousand EUR, Uzbekistan's -100,000 (the regional
    # total stays), and the printed Tables 5 and 6 of the source updated to match
    edit_csv(repo.root / "data/trade_flows.csv", list(FLOWS), "value_keur",
             {("KAZ", "export_to_eu", "2024"): 100_000, ("UZB", "export_to_eu", "2024"): -100_000})
    edit_csv(repo.root / "data/published_values.csv", list(PUBLISHED), "value",
             {("t5_balance_KAZ_2024",): 100_000, ("t6_export_to_eu_KAZ_2024",): 100_000,
              ("t5_balance_UZB_2024",): -100_000, ("t6_export_to_eu_UZB_2024",): -100_000})
    build = repo.cli("build", "--no-book", check=True, timeout=600)
    assert "impact against HEAD: 2 data file(s) changed (6 row(s))" in build.stderr  # written after the build

    proc = repo.cli("diff", check=True)
    assert "data data/trade_flows.csv: changed, 2 row(s) (read by: data_dictionary, trade)" in proc.stdout
    report = (repo.root / "_build/diff/report.md").read_text(encoding="utf-8")
    assert ("| KAZ, export_to_eu, 2024 | changed | value_keur | 33491165 | 33591165 | "
            "`trade_kaz_balance`, `trade_kaz_export_share` |") in report
    assert ("- before: Kazakhstan's balance in 2024 was **22,049,275** thousand EUR, whereas Uzbekistan "
            "(**−3,086,408**)") in report
    assert ("- after: Kazakhstan's balance in 2024 was **22,149,275** thousand EUR, whereas Uzbekistan "
            "(**−3,186,408**)") in report
    assert "Kazakhstan supplied **95.6%** of regional exports to the EU in 2024" in report
    assert "- The EU and Central Asia in three hedging dimensions (`book/eu-hedging.md`): 5 values" in report
    html = (repo.root / "_build/diff/report.html").read_text(encoding="utf-8")
    for name in ("trade_balances", "trade_flows_series"):
        for side in ("before", "after"):
            assert f'<img src="figures/{name}.{side}.svg"' in html
        before = (repo.root / f"_build/diff/figures/{name}.before.svg").read_bytes()
        assert before == subprocess.run(["git", "show", f"HEAD:results/figures/{name}.svg"], cwd=repo.root,
                                        capture_output=True, check=True).stdout
        assert (repo.root / f"_build/diff/figures/{name}.after.svg").read_bytes() == (
            repo.root / f"results/figures/{name}.svg").read_bytes() != before
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-qm", "consistent update")


def test_an_update_that_falsifies_a_claim_stops_the_build_and_names_it(repo):
    # Kazakhstan a minor exporter in 2024: its exports and the regional total both fall by the same amount
    cut = -33_000_000  # 0.6 of 2.1 billion EUR
    edit_csv(repo.root / "data/trade_flows.csv", list(FLOWS), "value_keur",
             {("KAZ", "export_to_eu", "2024"): cut, ("CA5", "export_to_eu", "2024"): cut})
    before = tree_hashes(repo.root / "results")
    try:
        proc = repo.cli("build", "--no-book", timeout=600)
    finally:
        git(repo.root, "checkout", "--", "data")  # the shared copy as it was, whatever runs after
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr
    assert "claim(s) the book makes are false with the new data; nothing was published" in err
    assert ("claim 'trade_kaz_most_exports' no longer holds: Kazakhstan supplied most (more than half) of the "
            "region's exports to the EU in 2024.") in err
    assert "values: trade_kaz_export_share = " in err and "book/eu-hedging.md, line " in err
    assert 'the sentence "By Table trade-kaz-shares, Kazakhstan supplied ' in err
    assert "Traceback" not in err
    assert tree_hashes(repo.root / "results") == before
