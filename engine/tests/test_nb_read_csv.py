"""nb.read_csv: one missing-value rule, the one validation uses, and the schema's types."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from reprobook import nb, validate


def package(root: Path, name: str, text: str, schema: dict) -> Path:
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / f"{name}.csv").write_text(text, encoding="utf-8")
    pkg = {"name": "t", "resources": [{"name": name, "path": f"{name}.csv", "schema": schema}]}
    (data / "datapackage.json").write_text(json.dumps(pkg), encoding="utf-8")
    (root / "pipeline.yml").write_text("jobs: {}\n")
    return data / "datapackage.json"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setattr(nb, "_ROOT", tmp_path)
    monkeypatch.setattr(nb, "_DECLARED", None)
    return tmp_path


SPELLINGS = ["", "NA", "n/a", "N/A", "NULL", "null", "NaN", "-", "None", "#N/A", "x"]


def test_missing_exactly_where_validation_sees_missing(project):
    """For every cell, read_csv gives NA exactly when validation's cell reader gives null."""
    schema = {"fields": [{"name": "a"}, {"name": "b", "type": "string"}, {"name": "c", "type": "string", "missingValues": ["-", "n/a"]}],
              "missingValues": ["", "NULL"]}
    text = "a,b,c\n" + "".join(f"{s},{s},{s}\n" for s in SPELLINGS)
    package(project, "t", text, schema)
    df = nb.read_csv("data/t.csv")
    caster = validate._Caster(schema)
    for i, field in enumerate(schema["fields"]):
        for row, raw in enumerate(SPELLINGS):
            value, _ = caster.cast(i, raw)
            assert pd.isna(df.loc[row, field["name"]]) == (value is None), (field["name"], raw)
            if value is not None:
                assert df.loc[row, field["name"]] == raw  # text as written, never pandas' NA
    assert df["b"].isna().tolist() == [s in ("", "NULL") for s in SPELLINGS]
    assert df["c"].isna().tolist() == [s in ("-", "n/a") for s in SPELLINGS]


def test_a_required_na_text_cell_fails_validation_and_never_reads_as_empty(project):
    schema = {"fields": [{"name": "code", "type": "string", "constraints": {"required": True}}]}
    pkg = package(project, "t", "code\nn/a\nKAZ\n", schema)
    assert [p.rule for p in validate.validate(pkg, project)] == ["missing value spelled as text"]
    assert nb.read_csv("data/t.csv")["code"].tolist() == ["n/a", "KAZ"]
    assert pd.read_csv(project / "data/t.csv")["code"].isna().tolist() == [True, False], "what the rule prevents"


def test_types_from_the_schema(project):
    schema = {"fields": [
        {"name": "country", "type": "string", "constraints": {"enum": ["NA", "KAZ"]}},
        {"name": "year", "type": "integer"},
        {"name": "rate", "type": "number", "finite": False},  # NaN and infinities allowed, read as written
        {"name": "value", "type": "number", "groupChar": ",", "bareNumber": False},
        {"name": "share", "type": "number", "decimalChar": ",", "finite": False},
        {"name": "ok", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]},
        {"name": "day", "type": "date"},
        {"name": "when", "type": "date", "format": "%d/%m/%Y"},
        {"name": "t", "type": "time"}]}
    text = ('country,year,rate,value,share,ok,day,when,t\n'
            'NA,2020,-INF,"€1,234.5","12,5",yes,2024-01-26,26/01/2024,10:00:00\n'
            'KAZ,,1E3,2 %,NaN,no,,,\n')
    pkg = package(project, "t", text, schema)
    assert validate.validate(pkg, project) == []
    df = nb.read_csv("data/t.csv")
    assert df["country"].tolist() == ["NA", "KAZ"]  # Namibia stays Namibia
    assert str(df["year"].dtype) == "Int64" and df["year"].iloc[0] == 2020 and df["year"].isna().iloc[1]
    assert df["rate"].tolist() == [float("-inf"), 1000.0]
    assert df["value"].tolist() == [1234.5, 2.0]
    assert df["share"].iloc[0] == 12.5 and pd.isna(df["share"].iloc[1])
    assert df["ok"].dtype == "boolean" and df["ok"].tolist() == [True, False]
    assert df["day"].iloc[0] == pd.Timestamp("2024-01-26") and pd.isna(df["day"].iloc[1])
    assert df["when"].iloc[0] == pd.Timestamp("2024-01-26")
    assert df["t"].iloc[0] == "10:00:00"


def test_keyword_arguments_win(project):
    package(project, "t", "code,n\nA,1\nB,2\n", {"fields": [{"name": "code"}, {"name": "n", "type": "integer"}]})
    df = nb.read_csv("data/t.csv", dtype={"code": "category"}, usecols=["code"])
    assert list(df.columns) == ["code"] and df["code"].dtype == "category"


def test_a_file_outside_the_package_uses_the_default_rule(project):
    package(project, "t", "a\n1\n", {"fields": [{"name": "a", "type": "integer"}]})
    (project / "results").mkdir()
    (project / "results" / "r.csv").write_text("name,n\nNA,1\n,2\n")
    df = nb.read_csv("results/r.csv")
    assert df["name"].iloc[0] == "NA" and pd.isna(df["name"].iloc[1]) and df["n"].tolist() == [1, 2]


@pytest.mark.parametrize("cell", ["five", "99999999999999999999"])  # not a number; beyond Int64
def test_a_value_that_cannot_be_converted_is_a_clear_error(project, cell):
    from reprobook.errors import DataError

    package(project, "t", f"n\n{cell}\n", {"fields": [{"name": "n", "type": "integer"}]})
    with pytest.raises(DataError, match=r"data/t.csv, column 'n': cannot read it as integer"):
        nb.read_csv("data/t.csv")


def test_dialect_of_the_resource(project):
    data = project / "data"
    data.mkdir()
    (data / "t.csv").write_text("# a comment, not data\na;b\n1;x # kept\n;y\n", encoding="utf-8")
    pkg = {"name": "t", "resources": [{"name": "t", "path": "t.csv", "dialect": {"delimiter": ";", "commentChar": "#"},
                                       "schema": {"fields": [{"name": "a", "type": "integer"}, {"name": "b"}]}}]}
    (data / "datapackage.json").write_text(json.dumps(pkg), encoding="utf-8")
    assert validate.validate(data / "datapackage.json", project) == []
    df = nb.read_csv("data/t.csv")
    assert df["a"].tolist()[0] == 1 and pd.isna(df["a"].iloc[1]) and df["b"].tolist() == ["x # kept", "y"]
