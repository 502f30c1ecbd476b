"""Notebook views, links to the cell behind every result, claims and the values appendix, in real
in-process Sphinx builds (MyST-NB, as Jupyter Book loads it) of a small record."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from reprobook import provenance as prov
from reprobook.manifest import value_sha
from reprobook.testing import broken_links, html_links, sphinx_build

pytestmark = pytest.mark.xdist_group("sphinxprov")  # one worker shares the module's built project

CSV = "reporter,year,balance\nKAZ,2023,18\nKAZ,2024,22\n"
VALUES = {
    "kaz_balance": {"value": 22, "display": "22", "unit": "thousand EUR", "about": {"year": 2024}},
    "kaz_share": {"value": 95.3, "display": "95.3%", "unit": "percent"},
    "unused_count": {"value": 3, "display": "3", "unit": "rows"},
}
CLAIMS = {"kaz_most": {"holds": True, "statement": "Kazakhstan supplies most of the exports.", "values": ["kaz_share"]},
          "kaz_minor": {"holds": False, "statement": "Kazakhstan is a minor exporter.", "values": ["kaz_share"]}}
ROWS = {"data/flows.csv": {"columns": ["reporter", "year"], "keys": [["KAZ", 2024]]}}
CHAPTER = """# Trade

Kazakhstan's balance in {value}`kaz_balance.year` was {value}`kaz_balance` thousand EUR. It supplied
{value}`kaz_share` of the exports {claim}`kaz_most`.

```{result-table} balances
:caption: Balances in {value}`kaz_balance.unit`, last year {value}`kaz_balance.year`.
:name: tbl-balances
```

Again, {value}`kaz_share`.
"""


def record_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Balances notebook"),
                nbformat.v4.new_code_cell("start_year = 2004", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("nb.save_table('balances', df)\ndf",
                                          outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "   a\n0  1"},
                                                                          execution_count=2)]),
                nbformat.v4.new_code_cell("nb.save_value('kaz_balance', 22)\nnb.save_claim('kaz_most', True, '...')")]
    for c in nb.cells[1:]:
        c.execution_count = nb.cells.index(c)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    saved = {"table:balances": {"cell": "cell-3"}, "value:kaz_balance": {"cell": "cell-4", "rows": ROWS},
             "value:kaz_share": {"cell": "cell-4"}, "value:unused_count": {"cell": "cell-4"},
             "claim:kaz_most": {"cell": "cell-4"}, "claim:kaz_minor": {"cell": "cell-4"}}
    return prov.record_notebook(nb, "balances", saved, Path("/nowhere"))


def make_project(root: Path, chapter: str = CHAPTER, claims: dict | None = None) -> None:
    (root / "results/tables").mkdir(parents=True)
    (root / "results/notebooks").mkdir()
    (root / "results/tables/balances.csv").write_text(CSV)
    (root / "results/values.json").write_text(json.dumps(VALUES))
    claims = CLAIMS if claims is None else claims
    (root / "results/claims.json").write_text(json.dumps(claims))
    (root / "results/notebooks/balances.ipynb").write_text(prov.dumps(record_notebook()))
    common = {"job": "balances", "notebook": "notebooks/balances.py", "parameters": {"start_year": 2004},
              "inputs": {"data/flows.csv": "0" * 64}}
    arts = [{"path": "results/tables/balances.csv", "kind": "table", "name": "balances", "sha256": "a" * 64,
             "cell": "cell-3", **common},
            {"path": "results/notebooks/balances.ipynb", "kind": "notebook", "name": "balances", "sha256": "b" * 64,
             **common}]
    arts += [{"path": f"results/values.json#{n}", "kind": "value", "name": n, "sha256": value_sha(e),
              "cell": "cell-4", **({"rows": ROWS} if n == "kaz_balance" else {}), **common} for n, e in VALUES.items()]
    arts += [{"path": f"results/claims.json#{n}", "kind": "claim", "name": n, "sha256": value_sha(e),
              "cell": "cell-4", **common} for n, e in claims.items()]
    (root / "results/manifest.json").write_text(json.dumps({"format": 2, "artifacts": arts, "jobs": {}}))
    # the project excludes results/ as the study does: the views must come through all the same
    (root / "conf.py").write_text("extensions = ['myst_nb', 'reprobook.sphinxext']\n"
                                  "exclude_patterns = ['_build', 'results']\nnumfig = True\n"
                                  "nb_execution_mode = 'off'\nmyst_enable_extensions = ['dollarmath']\n"
                                  "latex_documents = [('index', 'book.tex', 'T', 'A', 'manual')]\n")
    (root / "index.md").write_text("# Book\n\n```{toctree}\nchapter\nvalues\n```\n")
    (root / "chapter.md").write_text(chapter)
    (root / "values.md").write_text("# In-text values\n\n```{result-values}\n```\n")


def build(root: Path, builder: str = "html") -> str:
    return sphinx_build(root, builder)


@pytest.fixture(scope="session")  # session: built once per worker even if tests interleave
def html_book(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("prov")
    make_project(root)
    warnings = build(root)
    assert [w for w in warnings.splitlines() if "WARNING" in w] == [
        w for w in warnings.splitlines() if "claim 'kaz_minor'" in w]  # no other warning
    return root


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_every_provenance_value_and_claim_link_resolves(html_book):
    html = html_book / "_build/html"
    assert broken_links(html) == []
    ids, links = html_links(html)
    chapter = (html / "chapter.html").resolve()
    classes = [cls for page, _, cls in links if page == chapter]
    assert sum("result-value" in c for c in classes) == 6  # every {value} role is a link, facets too
    assert sum("result-source" in c for c in classes) == 1 and sum("result-claim" in c for c in classes) == 1
    # the provenance line opens the view at the cell that saved the table
    source = [h for p, h, c in links if p == chapter and "result-source" in c]
    assert source == ["results/notebooks/balances.html#cell-3"]
    view_ids = ids[(html / "results/notebooks/balances.html").resolve()]
    assert {"cell-2", "cell-3", "cell-4"} <= view_ids and "cell-1" not in view_ids  # code cells only


def test_value_tooltip_names_job_notebook_cell_inputs_and_rows(html_book):
    page = (html_book / "_build/html/chapter.html").read_text()
    m = re.search(r'<a class="result-value[^"]*"[^>]*title="([^"]*)"[^>]*>22</a>', page)
    assert m, page
    tip = m.group(1)
    for words in ("kaz_balance = 22 thousand EUR (year 2024)", "job balances", "notebook notebooks/balances.py",
                  "cell 4", "data/flows.csv", "Data rows: data/flows.csv (reporter, year) = (KAZ, 2024)"):
        assert words in tip, tip
    claim = re.search(r'<a class="result-claim[^"]*"[^>]*href="([^"]*)"[^>]*title="([^"]*)"[^>]*>(.*?)</a>', page)
    assert claim.group(1) == "results/notebooks/balances.html#cell-4"
    assert "Kazakhstan supplies most of the exports." in claim.group(2) and "kaz_share = 95.3%" in claim.group(2)
    assert "\u2713" in claim.group(3) and "claim checked: Kazakhstan supplies most" in claim.group(3)


def test_view_shows_outputs_and_says_what_it_is(html_book):
    view = text_of((html_book / "_build/html/results/notebooks/balances.html").read_text())
    assert "Balances notebook" in view and "nb.save_table" in view and "0 1" in view  # the output is shown
    assert "The executed notebook of job balances (notebooks/balances.py)" in view
    assert "Parameters: start_year = 2004" in view
    # a view is not a chapter: it is outside the table of contents
    assert "balances.html" not in (html_book / "_build/html/index.html").read_text().split("toctree-wrapper")[1]


def test_values_appendix_lists_every_value_with_its_pages(html_book):
    page = (html_book / "_build/html/values.html").read_text()
    text = text_of(page)
    for name in VALUES:
        assert name in text.replace("_<wbr>", "_") or name in re.sub(r"<wbr>", "", page)
    assert "Job balances: notebook notebooks/balances.py" in text
    assert "Trade (4 times)" in text  # kaz_balance: number and year in the prose, unit and year in the caption
    assert "not shown" in text  # unused_count
    assert "Data rows: data/flows.csv (reporter, year) = (KAZ, 2024)" in text
    assert 'href="chapter.html#value-' in page


def test_latex_labels_every_use_and_the_appendix_gives_its_page(tmp_path):
    make_project(tmp_path)
    build(tmp_path, "latex")
    tex = (tmp_path / "_build/latex/book.tex").read_text()
    assert "Balances notebook" not in tex  # the views are HTML pages only
    labels = set(re.findall(r"\\label\{\\detokenize\{(chapter:value-\d+)\}\}", tex))
    refs = set(re.findall(r"\\rbpage\{\\detokenize\{(chapter:[^}]+)\}\}", tex))
    # one label per value and paragraph (the balance and its year share one); uses in a caption
    # or a table cell give the page of the table
    assert labels == {"chapter:value-0", "chapter:value-2", "chapter:value-5"}
    assert refs - labels == {"chapter:tbl-balances"}
    assert r"\label{\detokenize{chapter:tbl-balances}}" in tex
    assert r"kaz\_\allowbreak{}balance" in tex and r"\begin{longtable}" in tex
    assert r"data/\allowbreak{}flows.csv" in tex  # the data rows may break after / and _
    assert r"\textsuperscript{\ensuremath{\checkmark}}" in tex


def test_a_claim_that_is_missing_is_an_error(tmp_path):
    make_project(tmp_path, CHAPTER.replace("kaz_most", "no_such_claim"))
    warnings = build(tmp_path)
    assert "claim 'no_such_claim' is not in results/claims.json" in warnings
