"""The impact report of a data change, in-process, on a small project under git whose record is
written by hand (what a build would have written): data rows by primary key, the jobs they fed,
moved results, passages with old and new numbers, figures before and after, claims, chapters."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reprobook import impactreport
from reprobook.errors import ReprobookError
from reprobook.impact import impact
from reprobook.manifest import value_sha
from reprobook.paths import Paths

PIPELINE = """jobs:
  flows:
    notebook: notebooks/flows.py
    inputs: [data/flows.csv]
    outputs:
      tables: {balances: {key: [reporter]}}
      figures: [bars]
      values: [kaz_balance, uzb_balance]
      claims: [kaz_surplus]
  summary:
    notebook: notebooks/summary.py
    inputs: [results/tables/balances.csv]
    outputs:
      values: [n_surplus]
"""
BOOK = """# Trade

Kazakhstan's balance in {value}`kaz_balance.year` was {value}`kaz_balance` thousand EUR.{claim}`kaz_surplus` Uzbekistan
ran a deficit ({value}`uzb_balance`).

- Surpluses: {value}`n_surplus`.

```{result-table} balances
:caption: Balances, {value}`kaz_balance.year`.
```

```{result-figure} bars
:caption: Balances as bars in {value}`kaz_balance.year`.
```
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args], cwd=root, check=True,
                   capture_output=True)


def write_record(root: Path, kaz_export: int, kaz: int, holds: bool) -> None:
    """data/flows.csv and the results a build would make of it."""
    (root / "data/flows.csv").write_text(f"reporter,flow,year,value\nKAZ,export,2024,{kaz_export}\n"
                                         "KAZ,import,2024,10\nUZB,export,2024,3\nUZB,import,2024,5\n")
    (root / "results/tables/balances.csv").write_text(f"reporter,balance\nKAZ,{kaz}\nUZB,-2\n")
    (root / "results/figures/bars.svg").write_text(f"<svg xmlns='http://www.w3.org/2000/svg'><text>{kaz}</text></svg>")
    values = {"kaz_balance": {"value": kaz, "display": f"{kaz:,}", "unit": "thousand EUR", "about": {"year": 2024}},
              "uzb_balance": {"value": -2, "display": "\u22122", "unit": "thousand EUR", "about": {"year": 2024}},
              "n_surplus": {"value": 1, "display": "1"}}
    claims = {"kaz_surplus": {"holds": holds, "statement": "Kazakhstan runs a surplus.", "values": ["kaz_balance"]}}
    (root / "results/values.json").write_text(json.dumps(values))
    (root / "results/claims.json").write_text(json.dumps(claims))
    common = {"job": "flows", "notebook": "notebooks/flows.py", "parameters": {}, "inputs": {"data/flows.csv": ""}}
    rows = {"data/flows.csv": {"columns": ["reporter", "flow", "year"],
                               "keys": [["KAZ", "export", 2024], ["KAZ", "import", 2024]]}}
    arts = [{"path": "results/tables/balances.csv", "kind": "table", "name": "balances", "sha256": str(kaz), **common},
            {"path": "results/figures/bars.svg", "kind": "figure", "name": "bars", "sha256": str(kaz), **common},
            {"path": "results/values.json#kaz_balance", "kind": "value", "name": "kaz_balance", "rows": rows,
             "sha256": value_sha(values["kaz_balance"]), **common},
            {"path": "results/values.json#uzb_balance", "kind": "value", "name": "uzb_balance",
             "sha256": value_sha(values["uzb_balance"]), **common},
            {"path": "results/claims.json#kaz_surplus", "kind": "claim", "name": "kaz_surplus",
             "sha256": value_sha(claims["kaz_surplus"]), **common}]
    (root / "results/manifest.json").write_text(json.dumps({"format": 2, "artifacts": arts, "jobs": {}}))


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "p"
    for d in ("data/schemas", "notebooks", "book", "results/tables", "results/figures"):
        (root / d).mkdir(parents=True)
    (root / "pipeline.yml").write_text(PIPELINE)
    (root / "notebooks/flows.py").write_text("x = 1\n")
    (root / "notebooks/summary.py").write_text("x = 1\n")
    (root / "data/datapackage.json").write_text(json.dumps({"name": "p", "resources": [
        {"name": "flows", "path": "flows.csv", "schema": "schemas/flows.schema.json"}]}))
    (root / "data/schemas/flows.schema.json").write_text(json.dumps({
        "fields": [{"name": n, "type": "string"} for n in ("reporter", "flow", "year", "value")],
        "primaryKey": ["reporter", "flow", "year"]}))
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/index\nchapters:\n  - file: book/trade\n")
    (root / "_config.yml").write_text("title: P\n")
    (root / "book/index.md").write_text("# P\n\nNothing here.\n")
    (root / "book/trade.md").write_text(BOOK)
    write_record(root, 30, 20, True)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "record")
    return root


def test_a_data_update_is_explained_row_by_row_and_sentence_by_sentence(project):
    write_record(project, 130, 120, True)
    imp = impact(Paths.load(project), "HEAD", with_status=False)
    (data,) = imp.data
    assert data.path == "data/flows.csv" and data.jobs == ["flows"] and data.downstream == ["summary"]
    (row,) = data.rows.rows
    assert row.key_text == "KAZ, export, 2024" and row.cells == (("value", "30", "130"),)
    assert data.values_fed == {("KAZ", "export", "2024"): ["kaz_balance"]}
    assert [(t.name, [(c.row, c.old, c.new) for c in t.diff.changed]) for t in imp.tables] == [
        ("balances", [("reporter=KAZ", "20", "120")])]
    assert [(v.name, v.old, v.new) for v in imp.values] == [("kaz_balance", "20", "120")]
    write_record(project, 130, 120, True)
    (project / "book/trade.md").write_text(BOOK.replace("Balances, {value}`kaz_balance.year`.",
                                                        "Balances; Kazakhstan {value}`kaz_balance`."))
    imp = impact(Paths.load(project), "HEAD", with_status=False)  # a caption that shows the number itself
    assert [(p.where, "".join(t for t, _ in p.after)) for p in imp.passages][1] == (
        "caption of result-table balances", "Balances; Kazakhstan 120.")
    git(project, "checkout", "book/trade.md")
    imp = impact(Paths.load(project), "HEAD", with_status=False)
    assert [(f.name, f.before is not None, f.after is not None, f.caption) for f in imp.figures] == [
        ("bars", True, True, "Balances as bars in 2024.")]
    before = ["".join(t for t, _ in p.before) for p in imp.passages]
    after = ["".join(t for t, _ in p.after) for p in imp.passages]
    # only passages whose numbers moved: the captions show the moved value's year, which did not
    assert before == ["Kazakhstan's balance in 2024 was 20 thousand EUR."]
    assert after == ["Kazakhstan's balance in 2024 was 120 thousand EUR."]
    assert imp.claims == []
    assert [(c.page, c.summary) for c in imp.chapters] == [
        ("book/index.md", "nothing moved"),
        ("book/trade.md", "1 value, 1 table and 1 figure moved; 1 passage to re-read")]

    md, page = impactreport.write(Paths.load(project), imp)
    text = md.read_text()
    assert "| KAZ, export, 2024 | changed | value | 30 | 130 | `kaz_balance` |" in text
    assert "- before: Kazakhstan's balance in 2024 was **20** thousand EUR." in text
    assert "- after: Kazakhstan's balance in 2024 was **120** thousand EUR." in text
    html = page.read_text()
    for label in ("before", "after"):
        assert f'<img src="figures/bars.{label}.svg"' in html
        assert (project / f"_build/diff/figures/bars.{label}.svg").is_file()
    assert (project / "_build/diff/figures/bars.before.svg").read_text().count(">20<") == 1
    assert '<mark class="new">120</mark>' in html


def test_claims_whose_truth_changed_are_listed(project):
    write_record(project, 1, -9, False)
    imp = impact(Paths.load(project), "HEAD", with_status=False)
    (c,) = imp.claims
    assert (c.name, c.before, c.after, c.pages) == ("kaz_surplus", True, False, ["book/trade.md"])
    assert "claim(s) changed: kaz_surplus" in imp.chapters[1].summary
    md = impactreport.render_markdown(imp, {})
    assert "- `kaz_surplus`: holds -> **does not hold**: Kazakhstan runs a surplus. (cited on: book/trade.md)" in md


def test_no_change_and_a_wrong_revision(project):
    imp = impact(Paths.load(project), "HEAD", with_status=False)
    assert not (imp.data or imp.n_results or imp.claims or imp.passages)
    assert "No data file, table, figure, value or claim changed." in impactreport.render_markdown(imp, {})
    with pytest.raises(ReprobookError, match="not a git revision"):
        impact(Paths.load(project), "no-such-ref")


def test_a_cited_claim_that_is_false_stops_the_build_naming_claim_values_and_sentence(project):
    from types import SimpleNamespace

    from reprobook import spec
    from reprobook.claims import check_claims
    from reprobook.errors import ClaimError

    paths = Paths.load(project)
    plan = SimpleNamespace(jobs=[SimpleNamespace(job=j, state="fresh", cache_dir=project / "none")
                                 for j in spec.load(project).jobs])
    assert [c.claim for c in check_claims(paths, plan)] == ["kaz_surplus"]  # holds: nothing to say
    write_record(project, 1, -9, False)
    with pytest.raises(ClaimError) as err:
        check_claims(paths, plan)
    text = err.value.render()
    assert "book/trade.md, line 3: claim 'kaz_surplus' no longer holds: Kazakhstan runs a surplus." in text
    assert "(values: kaz_balance = -9)" in text
    assert 'the sentence "Kazakhstan\'s balance in 2024 was -9 thousand EUR." says otherwise' in text
    (project / "book/trade.md").write_text(BOOK.replace("{claim}`kaz_surplus`", "{claim}`kaz_deficit`"))
    with pytest.raises(ReprobookError, match="cites claim 'kaz_deficit', which no job states"):
        check_claims(paths, plan)


def test_the_summary_names_results_new_at_the_revision():
    """After a first build the revision has no record: what the build made is new, not only moved."""
    from reprobook.impact import FigureChange, Impact, TableChange, ValueChange
    from reprobook.impactreport import summary_line

    imp = Impact("HEAD", "0" * 40, tables=[TableChange("t", "added", None, [])],
                 figures=[FigureChange("f", "changed", [], "", b"", b"")],
                 values=[ValueChange("v", None, "1.0", []), ValueChange("w", "2.0", "3.0", [])])
    assert "1 table(s), 1 figure(s) and 2 value(s) moved, 2 of them new;" in summary_line(imp)
    imp.tables, imp.values = [], imp.values[1:]
    assert "0 table(s), 1 figure(s) and 1 value(s) moved;" in summary_line(imp)
