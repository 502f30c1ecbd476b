"""The Sphinx extension in a real, in-process Sphinx build of a one-page MyST project."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from reprobook.testing import sphinx_build

CSV = ("reporter,label,year,printed,computed\n"
       "KAZ,Kazakhstan,2020,5,\nKAZ,Kazakhstan,2022,7,8\nUZB,Uzbekistan,2020,-1,\nUZB,Uzbekistan,2022,-2000,-2000\n")
VALUES = {"kaz_balance": {"value": 8, "display": "8", "unit": "thousand EUR", "about": {"year": 2022}}}


def build(tmp_path: Path, page: str) -> tuple[str, str]:
    """Build `page` as index.md next to results/; returns (HTML of the page, warnings)."""
    (tmp_path / "results/tables").mkdir(parents=True)
    (tmp_path / "results/tables/balances.csv").write_text(CSV)
    (tmp_path / "results/values.json").write_text(json.dumps(VALUES))
    (tmp_path / "conf.py").write_text("extensions = ['myst_parser', 'reprobook.sphinxext']\n"
                                      "exclude_patterns = ['results', '_build']\nnumfig = True\n")
    (tmp_path / "index.md").write_text(page)
    warnings = sphinx_build(tmp_path)
    return (tmp_path / "_build/html/index.html").read_text(encoding="utf-8"), warnings


def cells(html: str, tag: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", html, re.S)]


def test_pivot_headers_from_data_and_value_facets(tmp_path):
    html, warnings = build(tmp_path, """# Page

Kazakhstan's balance in {value}`kaz_balance.year` was {value}`kaz_balance` {value}`kaz_balance.unit`.

```{result-table} balances
:caption: Printed balances, by year.
:columns: label
:headers: Reporter
:pivot: year
:values: printed
```

```{result-table} balances
:caption: Recomputed, with a header from a value: {value}`kaz_balance.year`.
:columns: label, computed
:headers: Reporter|Computed in {value}`kaz_balance.year`
```

```{result-table} balances
:caption: Computed and printed side by side.
:columns: label
:headers: Reporter
:pivot: year
:values: computed, printed
:pivot-headers: {year}|Printed
```
""")
    assert warnings == ""
    text = re.sub(r"<[^>]+>", "", html)
    assert "balance in 2022 was 8 thousand EUR" in text
    heads = cells(html, "th")
    assert heads[:3] == ["Reporter", "2020", "2022"]  # years from the data, printed as years
    assert heads[3:5] == ["Reporter", "Computed in 2022"]  # a role inside a header label
    assert heads[5:] == ["Reporter", "2020", "Printed", "2022", "Printed"]
    body = cells(html, "td")
    assert body[:6] == ["Kazakhstan", "5", "7", "Uzbekistan", "\u22121", "\u22122,000"]  # numbers in the book's format


@pytest.mark.parametrize("page, words", [
    ("{value}`kaz_balance.month`", "value 'kaz_balance' has no facet 'month' (it has: year)"),
    ("```{result-table} balances\n:pivot: year\n:values: printed\n:pivot-headers: {flow}\n```",
     "not pivot columns"),
    ("```{result-table} balances\n:columns: label\n:headers: Reporter|Extra\n:pivot: year\n:values: printed\n```",
     "2 headers given for 1 row columns"),
])
def test_wrong_references_are_reported(tmp_path, page, words):
    _, warnings = build(tmp_path, "# Page\n\n" + page + "\n")
    assert words in warnings


def test_pybtex_plugins_are_found_from_one_scan():
    import pybtex.plugin as plugin

    from reprobook.sphinxext import cache_pybtex_plugins

    cache_pybtex_plugins()
    cache_pybtex_plugins()  # idempotent
    assert plugin.find_plugin("pybtex.style.formatting", "plain").__module__ == "pybtex.style.formatting.plain"
    assert plugin.find_plugin("pybtex.database.input", filename="refs.bib").__module__ == "pybtex.database.input.bibtex"
    assert plugin.entry_points.cache_info().currsize >= 2


def test_numref_reads_each_target_page_once_and_numbers_as_sphinx_does(tmp_path, monkeypatch):
    """reprobook.numref: ten references to tables on another page load that page's doctree once
    (Sphinx alone loads it for every reference, sphinx-doc/sphinx#12611: 11 times here); the
    numbers and links are Sphinx's own."""
    from sphinx.environment import BuildEnvironment

    (tmp_path / "conf.py").write_text("extensions = ['myst_parser', 'reprobook.numref']\n"
                                      "exclude_patterns = ['_build']\nnumfig = True\n")
    (tmp_path / "index.md").write_text("# Text\n\n```{toctree}\ntables\n```\n\n"
                                       + "".join(f"See {{numref}}`t{i % 2}`.\n\n" for i in range(10)))
    (tmp_path / "tables.md").write_text("# Tables\n\n" + "".join(
        f"```{{table}} Table {i}.\n:name: t{i}\n\n| a |\n|---|\n| {i} |\n```\n\n" for i in range(2)))
    loads = []
    real = BuildEnvironment.get_doctree
    monkeypatch.setattr(BuildEnvironment, "get_doctree", lambda env, name: loads.append(name) or real(env, name))
    assert sphinx_build(tmp_path) == ""
    html = (tmp_path / "_build/html/index.html").read_text(encoding="utf-8")
    assert html.count('href="tables.html#t0"') == 5 and html.count('href="tables.html#t1"') == 5
    assert "Table 1" in html and "Table 2" in html
    assert loads.count("tables") == 2  # to write the page itself, and once for the ten references


def test_numref_with_the_servers_cache_of_doctrees(tmp_path):
    """`reprobook serve` keeps its own cache of doctrees across builds (reprobook.livebook, which
    wraps Sphinx's numbering and :numref: for the whole process); the numref extension's cache
    nests inside it: the references resolve as in any build."""
    from sphinx.domains.std import StandardDomain
    from sphinx.environment.collectors.toctree import TocTreeCollector

    from reprobook.livebook import read_only_doctrees

    (tmp_path / "conf.py").write_text("extensions = ['myst_parser', 'reprobook.numref']\n"
                                      "exclude_patterns = ['_build']\nnumfig = True\n")
    (tmp_path / "index.md").write_text("# Text\n\n```{toctree}\ntables\n```\n\nSee {numref}`t0` and {numref}`t0`.\n")
    (tmp_path / "tables.md").write_text("# Tables\n\n```{table} Table 0.\n:name: t0\n\n| a |\n|---|\n| 0 |\n```\n")
    saved = StandardDomain._resolve_numref_xref, TocTreeCollector.assign_figure_numbers
    try:
        trees = read_only_doctrees()  # as the server does, for the whole process
        assert sphinx_build(tmp_path) == ""
    finally:
        StandardDomain._resolve_numref_xref, TocTreeCollector.assign_figure_numbers = saved
    html = (tmp_path / "_build/html/index.html").read_text(encoding="utf-8")
    assert html.count('href="tables.html#t0"') == 2 and "tables" in trees
