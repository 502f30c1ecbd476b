"""Every bad input in the catalogue gives a clear problem naming file, row, column and rule."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from reprobook.testing import invoke, tree_hashes
from reprobook import validate

REPO = Path(__file__).resolve().parents[1]

CATALOGUE = yaml.safe_load((Path(__file__).parent / "bad_inputs" / "catalogue.yml").read_text())


def apply(path: Path, edit: dict) -> None:
    if edit.get("delete"):
        path.unlink()
        return
    if "write" in edit:
        path.write_text(edit["write"])
        return
    text = path.read_text(encoding="utf-8")
    if "replace" in edit:
        old, new = edit["replace"]
        assert old in text, f"catalogue case out of date: {old!r} not in {path.name}"
        text = text.replace(old, new, 1)
    if edit.get("truncate_last_line"):
        text = text.rstrip("\n")
        text = text[: text.rfind(",")]
    if edit.get("semicolons"):
        text = text.replace(",", ";")
    if edit.get("latin1"):
        path.write_bytes((text.rstrip("\n") + " caf\u00e9\n").encode("latin-1"))
        return
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def data_copy(tmp_path):
    shutil.copytree(REPO / "data", tmp_path / "data")
    return tmp_path


def test_the_real_data_is_valid():
    assert validate.validate(REPO / "data" / "datapackage.json", REPO) == []


@pytest.mark.parametrize("case", CATALOGUE, ids=[c["name"] for c in CATALOGUE])
def test_catalogue_case(data_copy, case):
    target = data_copy / case["file"]
    apply(target, case["edit"])
    problems = validate.validate(data_copy / "data" / "datapackage.json", data_copy)
    mine = [p for p in problems if p.file == case["file"]]
    assert mine, f"no problem reported for {case['name']}: {problems}"
    p = next((p for p in mine if p.rule == case["rule"]), None)
    assert p is not None, f"expected rule {case['rule']!r}, got {[x.rule for x in mine]}"
    if "column" in case:
        assert p.column == case["column"]
    if "row" in case:
        assert p.row == case["row"]
    elif case["rule"] not in ("file exists", "not empty", "comma delimiter"):
        assert p.row is not None and p.row >= 1
    if "message" in case:
        assert case["message"] in p.message + p.fix
    assert p.fix, "every problem says what to do"
    rendered = p.render()
    assert case["file"] in rendered and f"[rule: {case['rule']}]" in rendered


def test_all_problems_in_a_file_are_reported_at_once(data_copy):
    path = data_copy / "data/trade_flows.csv"
    text = path.read_text().replace("KAZ,export_to_eu,2024", "KAX,export_to_eu,2024", 1)
    text = text.replace(",33491165,", ",abc,", 1).replace("TJK,export_to_eu,2022", "TJK,export_to_eu,1900", 1)
    path.write_text(text)
    rules = {p.rule for p in validate.validate(data_copy / "data/datapackage.json", data_copy)}
    assert {"enum", "type number", "minimum"} <= rules


@pytest.mark.slow
def test_build_stops_on_bad_data_with_no_traceback_and_keeps_results(mini):
    invoke(mini, "build", "--no-book", check=True)
    before = tree_hashes(mini / "results")
    (mini / "data/numbers.csv").write_text("group,value\na,1\nz,-2\nb,five\n")
    proc = invoke(mini, "build")  # an exception the CLI did not handle would be raised here: a traceback
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "data/numbers.csv, line 3, column 'group'" in proc.stderr
    assert "data/numbers.csv, line 3, column 'value'" in proc.stderr
    assert "data/numbers.csv, line 4, column 'value'" in proc.stderr
    assert tree_hashes(mini / "results") == before
