"""Bibliography checks: crossref as BibTeX resolves it, verbatim DOIs and URLs, and what the book's
renderer (sphinxcontrib-bibtex with pybtex) makes of them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from reprobook import bibcheck
from reprobook.errors import BibliographyError
from reprobook.paths import Paths

PARENT = """@proceedings{proc2020,
  editor = {Jones, Bob},
  title = {Proceedings of Things},
  booktitle = {Proceedings of Things},
  publisher = {Pub},
  year = {2020}
}
"""
CHILD = """@inproceedings{smith2020,
  author = {Smith, Ann},
  title = {A Paper},
  pages = {1--10},
  crossref = {proc2020}
}
"""


def project(tmp_path: Path, bib: str, cites: str) -> Paths:
    (tmp_path / "book").mkdir(parents=True, exist_ok=True)
    (tmp_path / "book" / "ch.md").write_text(f"# Ch\n\nText {{cite:p}}`{cites}`.\n")
    (tmp_path / "references.bib").write_text(bib)
    return Paths(tmp_path)


def test_crossref_fields_are_inherited_as_bibtex_does():
    resolved, inherited, problems = bibcheck.resolve_crossrefs({
        "child": {"title": "A", "crossref": "PARENT"},  # keys match case-insensitively
        "parent": {"title": "P", "booktitle": "B", "year": "2020"}})
    assert resolved["child"] == {"title": "A", "booktitle": "B", "year": "2020", "crossref": "PARENT"}
    assert inherited == {"child": {"booktitle": "B", "year": "2020"}}
    assert problems == {}


def test_crossref_entry_is_rejected_with_the_fields_to_copy(tmp_path):
    paths = project(tmp_path, CHILD + PARENT, "smith2020")
    rep = bibcheck.analyse(paths.bib, paths.book, tmp_path)
    assert [p.rule for p in rep.problems] == ["crossref"], "inherited booktitle and year satisfy the required fields"
    p = rep.problems[0]
    assert p.row == 1
    assert "entry 'smith2020' inherits editor, booktitle, publisher, year through crossref = {proc2020}" in p.message
    assert p.fix == ("copy into 'smith2020': editor = {Jones, Bob}, booktitle = {Proceedings of Things}, "
                     "publisher = {Pub}, year = {2020}; then delete its crossref line")


def test_following_the_crossref_advice_passes(tmp_path):
    paths = project(tmp_path, CHILD + PARENT, "smith2020")
    fix = bibcheck.analyse(paths.bib, paths.book, tmp_path).problems[0].fix
    fields = re.search(r"copy into 'smith2020': (.*); then", fix).group(1)
    flat = CHILD.replace("  crossref = {proc2020}\n", "  " + ",\n  ".join(re.findall(r"\w+ = \{[^}]*\}", fields)) + "\n")
    paths = project(tmp_path, flat + PARENT, "smith2020")
    assert bibcheck.analyse(paths.bib, paths.book, tmp_path).problems == []


def test_missing_or_nested_crossref_is_an_error(tmp_path):
    nested = PARENT.replace("year = {2020}", "year = {2020},\n  crossref = {series}")
    series = "@book{series,\n  editor = {E},\n  title = {S},\n  publisher = {P},\n  year = {2019}\n}\n"
    paths = project(tmp_path, CHILD.replace("proc2020", "nope") + CHILD.replace("smith2020", "doe2020") + nested + series,
                    "smith2020,doe2020")
    messages = [p.message for p in bibcheck.analyse(paths.bib, paths.book, tmp_path).problems if p.rule == "crossref"]
    assert "entry 'smith2020': crossref = {nope}, but no entry has the key 'nope'" in messages
    assert any("entry 'doe2020': crossref = {proc2020}, which itself cross-references 'series'" in m for m in messages)


def test_complete_entry_with_crossref_loses_nothing_and_passes(tmp_path):
    child = CHILD.replace("  crossref", "  editor = {Jones, Bob},\n  booktitle = {Proceedings of Things},\n"
                                        "  publisher = {Pub},\n  year = {2020},\n  crossref")
    paths = project(tmp_path, child + PARENT, "smith2020")
    assert bibcheck.analyse(paths.bib, paths.book, tmp_path).problems == []


ESCAPED = r"""@article{ok2021,
  author = {Doe, J},
  title = {Ok},
  journal = {J},
  year = {2021},
  doi = {10.1000/abc\_def},
  url = {https://example.org/a\_b?x=1\%20y}
}
"""


def test_latex_escaped_doi_and_url_are_rejected_with_the_plain_value(tmp_path):
    paths = project(tmp_path, ESCAPED, "ok2021")
    with pytest.raises(BibliographyError) as err:
        bibcheck.check(paths)
    found = {p.rule: p for p in err.value.problems}
    assert set(found) == {"DOI syntax", "URL syntax"}
    assert found["DOI syntax"].fix.startswith("write doi = {10.1000/abc_def}")
    assert found["URL syntax"].fix.startswith("write url = {https://example.org/a_b?x=1%20y}")
    assert found["DOI syntax"].row == 1


@pytest.mark.parametrize("escaped, plain", [(r"10.1000/a\_b", "10.1000/a_b"), (r"\url{https://x.org/a\%7Eb}", "https://x.org/a%7Eb"),
                                            (r"https://x.org/\textasciitilde{}me", "https://x.org/~me"),
                                            (r"10.1000/a{\_}b\#c", "10.1000/a_b#c")])
def test_unescape_latex(escaped, plain):
    assert bibcheck.unescape_latex(escaped) == plain


def test_doi_written_as_a_link_gets_the_bare_doi(tmp_path):
    bib = ESCAPED.replace(r"10.1000/abc\_def", "https://doi.org/10.1000/abc_def").replace(r"  url = {https://example.org/a\_b?x=1\%20y}" + "\n", "")
    paths = project(tmp_path, bib.replace("doi = {https://doi.org/10.1000/abc_def},", "doi = {https://doi.org/10.1000/abc_def}"), "ok2021")
    [p] = bibcheck.analyse(paths.bib, paths.book, tmp_path).problems
    assert p.rule == "DOI syntax" and p.fix == "write doi = {10.1000/abc_def}, the bare DOI"


@pytest.mark.slow
def test_the_book_renders_what_bibcheck_lets_through(tmp_path):
    """One Sphinx build with the book's bibliography stack (myst, sphinxcontrib-bibtex, pybtex 'plain'):
    the unescaped DOI and URL become working links, the flattened crossref entry renders in full,
    and pybtex indeed leaves crossref unresolved (why bibcheck rejects it: if this part fails,
    pybtex resolves crossref now and the rejection can go)."""
    from sphinx.cmd.build import build_main

    src = tmp_path / "src"
    src.mkdir()
    plain = ESCAPED.replace(r"abc\_def", "abc_def").replace(r"a\_b?x=1\%20y", "a_b?x=1%20y")
    flat = CHILD.replace("smith2020", "flat2020").replace("  crossref = {proc2020}\n",
                                                          "  booktitle = {Proceedings of Things},\n  publisher = {Pub},\n  year = {2020}\n")
    (src / "refs.bib").write_text(plain + flat + CHILD + PARENT)
    (src / "conf.py").write_text('extensions = ["myst_parser", "sphinxcontrib.bibtex"]\nbibtex_bibfiles = ["refs.bib"]\n'
                                 'bibtex_reference_style = "label"\nbibtex_default_style = "plain"\n')
    (src / "index.md").write_text("# T\n\n{cite:p}`ok2021` {cite:p}`flat2020` {cite:p}`smith2020`\n\n```{bibliography}\n```\n")
    paths = project(src.parent / "check", plain + flat + PARENT, "ok2021,flat2020")
    assert bibcheck.analyse(paths.bib, paths.book, paths.root).problems == []
    warnings = tmp_path / "warnings.txt"
    assert build_main(["-q", "-b", "html", "-w", str(warnings), str(src), str(tmp_path / "html")]) == 0
    html = (tmp_path / "html" / "index.html").read_text()
    assert 'href="https://doi.org/10.1000/abc_def"' in html
    assert 'href="https://example.org/a_b?x=1%20y"' in html
    assert "Ann Smith. A paper. In <em>Proceedings of Things</em>, 1–10. Pub, 2020." in html  # flat2020, complete
    assert "missing booktitle in smith2020" in warnings.read_text()  # crossref left unresolved by pybtex
    assert "flat2020" not in warnings.read_text()
