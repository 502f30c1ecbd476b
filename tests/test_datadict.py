"""Unit tests for multivector.datadict on a tiny in-test data package."""
from __future__ import annotations

import pandas as pd

from multivector import datadict

RESOURCES = [
    {"name": "flows", "path": "flows.csv", "title": "Trade flows", "schema": "schemas/flows.schema.json"},
    {"name": "events", "path": "events.csv", "schema": "schemas/events.schema.json"},
]
SCHEMAS = {
    "flows": {
        "title": "Flows",
        "description": "One row = one flow of one reporter (e.g. KAZ) in one year. Covers goods only.",
        "fields": [
            {"name": "reporter", "type": "string", "constraints": {"required": True, "enum": ["KAZ", "UZB"]}},
            {"name": "year", "type": "integer", "constraints": {"required": True, "minimum": 2004, "maximum": 2024}},
            {"name": "value_keur", "type": "number", "unit": "thousand EUR", "description": "Value as  printed.",
             "constraints": {"minimum": 0}},
            {"name": "source", "type": "string"},
            {"name": "locator", "type": "string"},
        ],
        "primaryKey": ["reporter", "year"],
    },
    "events": {
        "title": "Events",
        "description": "One row per event listed in data/organisations.csv. kind is coarse.",
        "fields": [
            {"name": "event_id", "type": "string", "title": "Event id", "constraints": {"pattern": "A[0-9]{3}", "unique": True}},
            {"name": "ok", "type": "boolean"},
            {"name": "source", "type": "string"},
            {"name": "locator", "type": "string"},
        ],
        "primaryKey": "event_id",
    },
}
FRAMES = {
    "flows": pd.DataFrame({"reporter": ["KAZ", "KAZ", "UZB"], "year": ["2004", "2024", "2024"],
                           "value_keur": ["1", "", "3"], "source": ["a", "a", "a"],
                           "locator": ["Table 4", "Table 4; Table 6", "Table 10"]}),
    "events": pd.DataFrame({"event_id": ["A001", "A002"], "ok": ["true", "false"], "source": ["b", "a"],
                            "locator": ["p. 400; fn. 12", "fn. 2"]}),
}


def test_first_sentence_skips_abbreviations():
    assert datadict.first_sentence("One row = one flow (e.g. KAZ) in one year. More.") == \
        "One row = one flow (e.g. KAZ) in one year."
    assert datadict.first_sentence("Rows in data/x.csv. kind is coarse.") == "Rows in data/x.csv."
    assert datadict.first_sentence("See fn. 71 for units") == "See fn. 71 for units"
    assert datadict.first_sentence("As printed in Tables 4 and 6. Per-country rows.") == "As printed in Tables 4 and 6."
    assert datadict.first_sentence("By J. Smith. Done.") == "By J. Smith."


def test_data_files_counts_rows_and_sorts_by_file():
    out = datadict.data_files(RESOURCES, SCHEMAS, FRAMES)
    assert list(out["file"]) == ["events.csv", "flows.csv"]
    flows = out.set_index("file").loc["flows.csv"]
    assert flows["rows"] == 3 and flows["columns"] == 5
    assert flows["primary_key"] == "reporter, year"
    assert flows["title"] == "Trade flows"
    assert flows["row_is"] == "One row = one flow of one reporter (e.g. KAZ) in one year."
    events = out.set_index("file").loc["events.csv"]
    assert events["title"] == "Events" and events["primary_key"] == "event_id"


def test_allowed_values_render_enum_range_pattern():
    f = SCHEMAS["flows"]["fields"]
    assert datadict.allowed_values(f[0]) == "KAZ, UZB"
    assert datadict.allowed_values(f[1]) == "2004\u20132024"
    assert datadict.allowed_values(f[2]) == "\u2265 0"
    assert datadict.allowed_values(SCHEMAS["events"]["fields"][0]) == "pattern A[0-9]{3}; unique"
    assert datadict.allowed_values(SCHEMAS["events"]["fields"][1]) == "true, false"
    assert datadict.allowed_values({"name": "x", "type": "number", "constraints": {"maximum": 1.5}}) == "\u2264 1.5"
    assert datadict.allowed_values({"name": "y", "type": "integer", "constraints": {"minimum": 1989, "maximum": 1989}}) == "1989 only"


def test_data_dictionary_one_row_per_column_in_schema_order():
    out = datadict.data_dictionary(RESOURCES, SCHEMAS)
    assert len(out) == 9
    flows = out[out["file"] == "flows.csv"]
    assert list(flows["column"]) == ["reporter", "year", "value_keur", "source", "locator"]
    v = flows.set_index("column").loc["value_keur"]
    assert v["unit"] == "thousand EUR" and v["required"] == "no" and v["description"] == "Value as printed."
    ev = out[out["file"] == "events.csv"].set_index("column")
    assert ev.loc["event_id", "required"] == "yes"  # primary key implies required
    assert ev.loc["event_id", "description"] == "Event id"


def test_locator_parts_split_and_sort_naturally():
    assert datadict.locator_parts(["Table 10; fn. 2", "Table 4", "fn. 12; Table 4"]) == \
        ["fn. 2", "fn. 12", "Table 4", "Table 10"]


def test_data_sources_counts_rows_per_source():
    out = datadict.data_sources(RESOURCES, FRAMES)
    assert list(zip(out["file"], out["source"], out["rows"])) == [
        ("events.csv", "a", 1), ("events.csv", "b", 1), ("flows.csv", "a", 3)]
    flows = out[out["file"] == "flows.csv"].iloc[0]
    assert flows["locators"] == "Table 4; Table 6; Table 10" and flows["n_locators"] == 3
