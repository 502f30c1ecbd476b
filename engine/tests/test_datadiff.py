"""Data rows that changed, by the primary key of the data package."""
from __future__ import annotations

import json

from reprobook.datadiff import diff_rows, primary_keys, text_of

OLD = "reporter,year,value\nKAZ,2023,1\nKAZ,2024,2\nUZB,2024,3\n"
NEW = "reporter,year,value\nKAZ,2024,20\nUZB,2024,3\nTJK,2024,4\n"  # KAZ 2023 gone, KAZ 2024 moved, TJK new


def test_rows_by_primary_key_whatever_their_order():
    d = diff_rows(OLD, NEW, ["reporter", "year"])
    assert [(r.key_text, r.change, r.cells) for r in d.rows] == [
        ("KAZ, 2024", "changed", (("value", "2", "20"),)),
        ("TJK, 2024", "added", (("reporter", "", "TJK"), ("year", "", "2024"), ("value", "", "4"))),
        ("KAZ, 2023", "removed", (("reporter", "KAZ", ""), ("year", "2023", ""), ("value", "1", "")))]


def test_without_a_primary_key_rows_are_compared_by_position():
    d = diff_rows(OLD, NEW, [])
    assert d.primary_key == ["row"] and [r.key_text for r in d.rows][:2] == ["1", "2"]
    assert diff_rows(OLD, NEW, ["no_such_column"]).primary_key == ["row"]


def test_primary_keys_from_the_data_package(tmp_path):
    (tmp_path / "data/schemas").mkdir(parents=True)
    (tmp_path / "data/schemas/a.json").write_text(json.dumps({"fields": [], "primaryKey": "id"}))
    (tmp_path / "data/datapackage.json").write_text(json.dumps({"resources": [
        {"name": "a", "path": "a.csv", "schema": "schemas/a.json"},
        {"name": "b", "path": ["b1.csv", "b2.csv"], "schema": {"fields": [], "primaryKey": ["x", "y"]}},
        {"name": "c", "path": "c.csv", "schema": "schemas/missing.json"}]}))
    assert primary_keys(tmp_path / "data/datapackage.json", tmp_path) == {
        "data/a.csv": ["id"], "data/b1.csv": ["x", "y"], "data/b2.csv": ["x", "y"]}
    assert text_of(b"a,b\r\n1,2\r\n") == "a,b\n1,2\n" and text_of(None) is None
