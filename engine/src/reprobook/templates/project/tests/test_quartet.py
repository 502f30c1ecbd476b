"""The project's own tests: the notebook builds from the data alone, and its results say what
the chapter says. Run with `make test`.

Each test builds a fresh copy of the project (without results/ and _build/) with the real
engine (`invoke` runs the command line inside the test process: the same code as
`reprobook build` in a terminal, without starting Python again), so the project's own results/
are never touched.
"""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from reprobook.testing import invoke, tree_hashes

ROOT = Path(__file__).resolve().parents[1]
NOT_COPIED = shutil.ignore_patterns("_build", "results", ".venv", ".git", "__pycache__", ".pytest_cache")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A copy of the project whose results/ were built from data/ (no book: `make book` builds it)."""
    copy = tmp_path_factory.mktemp("project") / "copy"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED)
    invoke(copy, "build", "--no-book", check=True)
    return copy


def test_the_four_datasets_share_their_statistics(built):
    with open(built / "results/tables/quartet_summary.csv", encoding="utf-8", newline="") as fh:
        rows = {r["dataset"]: r for r in csv.DictReader(fh)}
    assert sorted(rows) == ["I", "II", "III", "IV"]
    assert all(r["n"] == "11" for r in rows.values())
    # Anscombe's point: the statistics agree to two or three decimals in all four datasets
    for column, spread in (("mean_x", 0), ("variance_x", 0), ("mean_y", 0.001), ("variance_y", 0.005),
                           ("correlation", 0.001), ("slope", 0.001), ("intercept", 0.0025)):
        got = [float(r[column]) for r in rows.values()]
        assert max(got) - min(got) <= spread + 1e-9, f"{column} differs between the datasets: {got}"


def test_the_values_in_the_text_bound_every_correlation(built):
    values = json.loads((built / "results/values.json").read_text(encoding="utf-8"))
    with open(built / "results/tables/quartet_summary.csv", encoding="utf-8", newline="") as fh:
        correlations = [float(r["correlation"]) for r in csv.DictReader(fh)]
    assert values["correlation_min"]["value"] == pytest.approx(min(correlations), abs=5e-4)
    assert values["correlation_max"]["value"] == pytest.approx(max(correlations), abs=5e-4)


def test_a_second_build_changes_nothing(built):
    before = tree_hashes(built / "results")
    proc = invoke(built, "build", "--no-book", check=True)
    assert "up to date" in proc.stderr
    assert tree_hashes(built / "results") == before
