"""In-text values and their facets: nb.save_value(about=...) and what the book prints for name.facet."""
from __future__ import annotations

import json

import numpy as np
import pytest

from reprobook import nb
from reprobook.errors import ResultRefError
from reprobook.valueref import split_ref, value_text


@pytest.fixture
def out(tmp_path, monkeypatch):
    monkeypatch.setattr(nb, "_OUT", tmp_path)
    return tmp_path


def test_about_is_stored_with_the_value(out):
    nb.save_value("balance", 22049275.0, unit="thousand EUR", decimals=0,
                  about={"year": np.int64(2024), "reporter": "KAZ", "unknown": None})
    entry = json.loads((out / "values.json").read_text())["balance"]
    assert entry == {"value": 22049275, "display": "22,049,275", "unit": "thousand EUR",
                     "about": {"year": 2024, "reporter": "KAZ"}}  # None is left out, numpy made plain
    nb.save_value("count", 3)
    assert "about" not in json.loads((out / "values.json").read_text())["count"]


@pytest.mark.parametrize("about, words", [({"Year": 2024}, "facet name 'Year'"), ({"unit": "x"}, "facet name 'unit'"),
                                          ({"years": [2022, 2023]}, "is a list")])
def test_malformed_facets_are_refused(out, about, words):
    with pytest.raises(ValueError) as err:
        nb.save_value("balance", 1, about=about)
    assert words in str(err.value) and "balance" in str(err.value)


VALUES = {"balance": {"value": 5, "display": "5", "unit": "thousand EUR", "about": {"year": 2024, "reporter": "KAZ"}},
          "count": {"value": 3, "display": "3", "unit": ""}}


def test_the_book_prints_the_number_a_facet_or_the_unit():
    assert split_ref(" balance.year ") == ("balance", "year")
    assert value_text(VALUES, "balance") == "5"
    assert value_text(VALUES, "balance.year") == "2024"  # a year, not 2,024
    assert value_text(VALUES, "balance.unit") == "thousand EUR"


@pytest.mark.parametrize("ref, words", [("nothing", "'nothing' is not in results/values.json"),
                                        ("balance.month", "no facet 'month' (it has: reporter, year)"),
                                        ("count.year", "(it has: none)"), ("count.unit", "has no unit")])
def test_a_missing_value_or_facet_is_an_error_that_says_what_to_do(ref, words):
    with pytest.raises(ResultRefError) as err:
        value_text(VALUES, ref)
    assert words in str(err.value)


def test_a_facet_counts_as_a_use_of_its_value(tmp_path):
    from reprobook.usage import result_usage

    (tmp_path / "book").mkdir()
    (tmp_path / "book/a.md").write_text("In {value}`balance.year` it was {value}`balance`; {value}`count.unit`.\n")
    assert result_usage(tmp_path / "book", tmp_path) == {"value:balance": ["book/a.md"], "value:count": ["book/a.md"]}


def test_a_moved_facet_is_a_change_of_the_value():
    from reprobook.compare import diff_values

    moved = {"balance": {**VALUES["balance"], "about": {"year": 2023, "reporter": "KAZ"}}}
    assert diff_values(VALUES, {**VALUES, **moved}) == [("balance", "5 (reporter KAZ, year 2024)", "5 (reporter KAZ, year 2023)")]
    assert diff_values(VALUES, dict(VALUES)) == []


def test_a_number_that_moved_only_where_its_display_rounds_shows_both_unrounded():
    """The book prints both as 0.817: a report must not read "0.817 -> 0.817" and leave the
    maintainer wondering what moved."""
    from reprobook.compare import diff_values

    old = {"r": {"value": 0.81712, "display": "0.817"}}
    new = {"r": {"value": 0.81694, "display": "0.817"}}
    assert diff_values(old, new) == [("r", "0.817 (unrounded 0.81712)", "0.817 (unrounded 0.81694)")]
    assert diff_values(old, {"r": {"value": 0.8, "display": "0.800"}}) == [("r", "0.817", "0.800")]


def test_what_did_not_move_is_not_reported_as_unrounded():
    from reprobook.compare import diff_values

    nan = {"r": {"value": float("nan"), "display": "–"}}
    assert diff_values(nan, {"r": {"value": float("nan"), "display": "–"}}) == []  # missing stays missing
    old, new = {"b": {"value": 5, "display": "5", "about": {"year": 2024}}}, {"b": {"value": 5, "display": "5", "about": {"year": "2024"}}}
    assert diff_values(old, new) == [("b", "5 (year 2024) (about {'year': 2024})", "5 (year 2024) (about {'year': '2024'})")]
