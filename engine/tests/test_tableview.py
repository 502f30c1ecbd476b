"""reprobook.tableview: long result tables shown wide, headers taken from the data."""
from __future__ import annotations

import pytest

from reprobook.errors import ResultRefError
from reprobook.tableview import pivot

HEADER = ["reporter", "label", "year", "printed", "computed"]
BODY = [["KAZ", "Kazakhstan", "2020", "5", ""], ["KAZ", "Kazakhstan", "2022", "7", "7"],
        ["UZB", "Uzbekistan", "2020", "-1", ""], ["UZB", "Uzbekistan", "2022", "-2", "-3"]]


def test_one_value_column_headed_by_the_pivot_values():
    labels, rows, sources = pivot(HEADER, BODY, ["label"], ["year"], ["printed"])
    assert labels == ["2020", "2022"]
    assert rows == [["Kazakhstan", "5", "7"], ["Uzbekistan", "-1", "-2"]]
    assert sources == ["label", "printed", "printed"]


def test_templates_label_each_value_column():
    labels, rows, _ = pivot(HEADER, BODY, ["label"], ["year"], ["computed", "printed"], ["{year}", "Printed"])
    assert labels == ["2020", "Printed", "2022", "Printed"]
    assert rows[1] == ["Uzbekistan", "", "-1", "-3", "-2"]


def test_a_pivot_value_without_any_cell_is_left_out():
    labels, _, _ = pivot(HEADER, BODY, ["label"], ["year"], ["computed"])
    assert labels == ["2022"]
    labels, _, _ = pivot(HEADER, BODY, ["label"], ["year"], ["printed", "computed"])
    assert labels == ["2020 printed", "2020 computed", "2022 printed", "2022 computed"]


def test_missing_combinations_stay_empty_and_order_is_first_appearance():
    body = [["B", "x", "2023", "1", ""], ["A", "y", "2021", "2", ""], ["A", "y", "2023", "3", ""]]
    labels, rows, _ = pivot(HEADER, body, ["reporter"], ["year"], ["printed"])
    assert labels == ["2023", "2021"]
    assert rows == [["B", "1", ""], ["A", "3", "2"]]


def test_several_pivot_columns_fill_a_template():
    header = ["row", "flow", "year", "v"]
    body = [["KAZ", "Imports", "2022", "1"], ["KAZ", "Exports", "2022", "2"]]
    labels, rows, _ = pivot(header, body, ["row"], ["flow", "year"], ["v"], ["{flow} {year}"])
    assert labels == ["Imports 2022", "Exports 2022"] and rows == [["KAZ", "1", "2"]]


@pytest.mark.parametrize("kwargs, words", [
    (dict(index=["label"], pivot_on=["yr"], values=["printed"]), "no column(s) ['yr']"),
    (dict(index=["label"], pivot_on=["year"], values=["printed"], templates=["{year}", "x"]), "1 :values:"),
    (dict(index=["label"], pivot_on=["year"], values=["printed"], templates=["{flow}"]), "not pivot columns"),
    (dict(index=["reporter"], pivot_on=["label"], values=["printed"]), "two rows have"),
])
def test_errors_name_the_table_and_the_fix(kwargs, words):
    with pytest.raises(ResultRefError) as err:
        pivot(HEADER, BODY, table="balances", **kwargs)
    assert words in str(err.value) and "balances" in str(err.value)
