"""Parameters typed as written: checked against the notebook's default, with a message that says what to write."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml

from reprobook.errors import ConfigError
from reprobook.notebook import UNREPRESENTABLE
from reprobook.params import coerce, parse_cli, typed


def y(text: str):
    return yaml.safe_load(text)


@pytest.mark.parametrize("written, default, expected", [
    ("6e-1", 0.6, 0.6),          # YAML 1.1 reads 6e-1 as a string
    ("5e-2", 0.05, 0.05),
    ("1", 0.6, 1.0),             # a whole number where a float is expected
    ("2004", 2004, 2004),
    ("'2004'", 2004, 2004),
    ("2004-01-01", "2004", "2004-01-01"),  # a date where text is expected
    ("[UZB, KAZ]", ["KAZ"], ["UZB", "KAZ"]),
    ("{KAZ: 1e-1, UZB: 2}", {"KAZ": 0.5}, {"KAZ": 0.1, "UZB": 2.0}),
    ("anything", UNREPRESENTABLE, "anything"),
    ("true", False, True),
])
def test_values_are_typed_against_the_default(written, default, expected):
    assert coerce("p", y(written), default, "job 'j'") == expected


@pytest.mark.parametrize("written, default, fragment", [
    ("2004-01-01", 2004, "YAML read 2004-01-01 as a date"),
    ("2004-01-01", 2004, "write a whole number such as 2004"),
    ("abc", 0.6, "write a number such as 0.6"),
    ("2004.5", 2004, "write a whole number"),
    ("yes", 0.6, "YAML read True as a boolean"),
    ("5", "text", "write it in quotes"),
    ("2004-01-01", None, "YAML read it as a date"),
])
def test_values_that_cannot_be_typed_say_what_to_write(written, default, fragment):
    with pytest.raises(ConfigError) as err:
        coerce("start_year", y(written), default, "pipeline.yml: job 'trade'")
    assert fragment in str(err.value) and "start_year" in str(err.value) and "job 'trade'" in str(err.value)


def test_the_order_of_a_mapping_is_kept():
    out = typed({"m": {"UZB": 1, "KAZ": 2}}, {"m": {"KAZ": 0, "UZB": 0}}, True, "nb.py", "job")
    assert list(out["m"]) == ["UZB", "KAZ"]


def test_unknown_parameter_and_missing_cell_are_errors():
    with pytest.raises(ConfigError, match=r"\['scael'\] are not declared"):
        typed({"scael": 1}, {"scale": 1}, True, "nb.py", "job 'a'")
    with pytest.raises(ConfigError, match="no cell tagged 'parameters'"):
        typed({"scale": 1}, {}, False, "nb.py", "job 'a'")


def test_cli_values_are_yaml_literals_never_code():
    assert parse_cli(["a=7e-1", "b=2004-01-01", "c=__import__('os')", "d="]) == {
        "a": "7e-1", "b": dt.date(2004, 1, 1), "c": "__import__('os')", "d": ""}
    with pytest.raises(ConfigError, match="name=value"):
        parse_cli(["novalue"])
