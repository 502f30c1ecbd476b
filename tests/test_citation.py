"""Citation metadata and bibliography checks."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from reprobook import bibcheck
from reprobook.errors import BibliographyError
from reprobook.paths import Paths

REPO = Path(__file__).resolve().parents[1]

SCHEMA = Path(__file__).parent / "schemas" / "citation-file-format-1.2.0.schema.json"


def test_citation_cff_is_valid_and_consistent():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    jsonschema.validate(cff, json.loads(SCHEMA.read_text()))
    version = re.search(r'^version = "(.+)"', (REPO / "pyproject.toml").read_text(), re.M).group(1)
    assert cff["version"] == version
    assert f"Version {version}" in (REPO / "book/how-to-cite.md").read_text()


def test_invalid_cff_is_rejected():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    del cff["authors"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(cff, json.loads(SCHEMA.read_text()))


def test_real_bibliography_passes_and_lists_incomplete_entries():
    rep = bibcheck.analyse(REPO / "references.bib", REPO / "book", REPO)
    assert rep.problems == []
    keys = dict(rep.incomplete)
    assert "kjis_identity" in keys and keys["kjis_identity"]
    assert len(rep.cited) >= 10, "the book cites its sources"


def make_project(tmp_path: Path, bib: str, page: str) -> Paths:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "ch.md").write_text(page)
    (tmp_path / "references.bib").write_text(bib)
    return Paths(tmp_path)


GOOD = "@article{a2020,\n  author = {A, B},\n  title = {T},\n  journal = {J},\n  year = {2020}\n}\n"


def test_missing_cited_key_names_key_file_and_line(tmp_path):
    paths = make_project(tmp_path, GOOD, "# Ch\n\nText {cite:p}`a2020,b2021`.\n")
    with pytest.raises(BibliographyError) as err:
        bibcheck.check(paths)
    text = err.value.render()
    assert "book/ch.md, line 3" in text and "cites 'b2021', which is not in references.bib" in text


def test_duplicate_key_and_missing_fields_and_bad_doi(tmp_path):
    bib = GOOD + GOOD + ("@article{c2020,\n  author = {C, D},\n  title = {T},\n  year = {2020},\n"
                         "  doi = {https://doi.org/10.1/x}\n}\n"
                         "@misc{d1999,\n  author = {D},\n  year = {1999},\n  incomplete = {cited as (D 1999) only}\n}\n")
    paths = make_project(tmp_path, bib, "# Ch\n\n{cite:p}`a2020` {cite:p}`c2020`\n")
    rep = bibcheck.analyse(paths.bib, paths.book, tmp_path)
    rules = {(p.rule, p.row) for p in rep.problems}
    assert ("unique keys", 7) in rules
    assert ("required fields", 13) in rules  # c2020 lacks journal
    assert ("DOI syntax", 13) in rules
    assert rep.incomplete == [("d1999", "cited as (D 1999) only")]
    assert rep.uncited == ["d1999"]
