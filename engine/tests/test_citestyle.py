"""Author-date citations (reprobook.citestyle): the reference list in pybtex, the citation forms in
a real (small, in-process) Sphinx build, HTML and LaTeX."""
from __future__ import annotations

import re
from pathlib import Path

import pybtex.plugin
from pybtex.database import parse_string

BIB = r"""
@article{kviklys2026,
  author = {Kviklys, Giedrius}, title = {Omnidirectional Hedging}, journal = {Politologija},
  volume = {1}, number = {2}, pages = {10--20}, year = {2026}}
@article{contessi2018,
  author = {Contessi, Nicola P.}, title = {Foreign Policy Diversification?}, journal = {Europe-Asia Studies},
  year = {2018}, doi = {10.1080/09668136.2018.1473342}}
@article{munir2024,
  author = {Munir, Maheera and Safdar, Aiysha}, title = {Hedging}, journal = {Strategic Studies}, year = {2024}}
@book{suorsa2023b,
  author = {Suorsa, Olli}, title = {Zebra Strategy}, publisher = {Press}, address = {Helsinki}, year = {2023}}
@book{suorsa2023a,
  author = {Suorsa, Olli}, title = {Apple Strategy}, publisher = {Press}, year = {2023}}
@misc{kuchins2015,
  author = {Kuchins and Mankoff and Kourmanova and Backes}, year = {2015},
  incomplete = {cited as (Kuchins et al. 2015); title, venue not given}}
@misc{anon,
  journal = {The Korean Journal of International Studies}, volume = {16}, number = {3},
  incomplete = {author, title and year not printed}}
@misc{ebrd2023,
  author = {Chupilkin, Maxim and Javorcik, Beata}, shortauthor = {EBRD}, title = {Roundabout}, year = {2023}}
@misc{guide2015,
  title = {Uzbekistan: Country Study Guide}, year = {2015}}
@misc{unknown2013,
  year = {2013}, incomplete = {author names cut off}}
"""


def formatted():
    style = pybtex.plugin.find_plugin("pybtex.style.formatting", "author_date")()
    bib = parse_string(BIB, "bibtex")
    return list(style.format_entries(bib.entries.values()))


def test_plugins_are_registered_as_entry_points():
    from sphinxcontrib.bibtex.plugin import find_plugin

    from reprobook import citestyle

    assert pybtex.plugin.find_plugin("pybtex.style.formatting", "author_date") is citestyle.AuthorDateStyle
    assert pybtex.plugin.find_plugin("pybtex.style.labels", "author_date") is citestyle.AuthorDateLabelStyle
    assert pybtex.plugin.find_plugin("pybtex.style.sorting", "author_date") is citestyle.AuthorDateSortingStyle
    assert find_plugin("sphinxcontrib.bibtex.style.referencing", "author_date") is citestyle.AuthorDateReferenceStyle


def test_reference_list_is_chicago_author_date_sorted_by_author_with_year_suffixes():
    entries = formatted()
    labels = [e.label for e in entries]
    texts = {e.key: e.text.render_as("text") for e in entries}
    # sorted by author (articles and accents ignored), anonymous works by title/journal, unknown
    # last; a short author (EBRD) is how the text cites, the list sorts by the names
    assert labels == ["EBRD 2023", "Contessi 2018", "The Korean Journal of International Studies n.d.", "Kuchins et al. 2015",
                      "Kviklys 2026", "Munir and Safdar 2024", "Suorsa 2023a", "Suorsa 2023b",
                      "\u201cUzbekistan: Country Study Guide\u201d 2015", "[Author unknown] 2013"]
    assert texts["kviklys2026"] == ("Kviklys, Giedrius. 2026. \u201cOmnidirectional Hedging.\u201d "
                                    "Politologija 1 (2): 10\u201320.")
    assert texts["munir2024"].startswith("Munir, Maheera, and Aiysha Safdar. 2024. \u201cHedging.\u201d")
    # the title ends with a question mark: no period after it
    assert texts["contessi2018"] == ("Contessi, Nicola P. 2018. \u201cForeign Policy Diversification?\u201d "
                                     "Europe-Asia Studies. https://doi.org/10.1080/09668136.2018.1473342.")
    # same author, same year: lettered in title order, the letter in the list as in the label
    assert texts["suorsa2023a"].startswith("Suorsa, Olli. 2023a. Apple Strategy.")
    assert texts["suorsa2023b"] == "Suorsa, Olli. 2023b. Zebra Strategy. Helsinki: Press."
    # incomplete entries say so, and say what is missing
    assert texts["kuchins2015"].endswith("[Incomplete reference: cited as (Kuchins et al. 2015); title, venue not given.]")
    assert texts["anon"].startswith("The Korean Journal of International Studies. n.d. 16 (3).")
    assert texts["guide2015"] == "\u201cUzbekistan: Country Study Guide.\u201d 2015."


def test_year_suffix_letters():
    from reprobook.citestyle import year_suffix

    assert [year_suffix("2023", i) for i in (0, 1, 25, 26)] == ["2023a", "2023b", "2023z", "2023aa"]
    assert year_suffix("n.d.", 0) == "n.d.-a"


# ---------------------------------------------------------------------------- a real Sphinx build

PAGE = """\
Cited
=====

One :cite:t:`kviklys2026` argues. Two :cite:p:`kviklys2026`. Three :cite:p:`contessi2018,munir2024`.
Four :cite:p:`suorsa2023b`. Five :cite:t:`kuchins2015`. Six :cite:p:`{see}kviklys2026{14}`.
Seven :cite:author:`munir2024` in :cite:year:`munir2024`. Eight :cite:p:`ebrd2023`.

.. bibliography::
   :all:
"""


def sphinx_build(tmp_path: Path, builder: str) -> Path:
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "refs.bib").write_text(BIB, encoding="utf-8")
    (src / "index.rst").write_text(PAGE, encoding="utf-8")
    (src / "conf.py").write_text(
        "extensions = ['sphinxcontrib.bibtex', 'reprobook.citestyle']\n"
        "bibtex_bibfiles = ['refs.bib']\n"
        "bibtex_default_style = 'author_date'\n"
        "bibtex_reference_style = 'author_date'\n"
        "latex_documents = [('index', 'cited.tex', 'Cited', 'A', 'manual')]\n", encoding="utf-8")
    out = tmp_path / builder
    with docutils_namespace():  # node and role registrations of one build do not leak into the next
        app = Sphinx(str(src), str(src), str(out), str(tmp_path / f"doctrees-{builder}"), builder,
                     status=None, warning=None, freshenv=True, warningiserror=True)
        app.build()
    return out


def plain(html: str) -> str:
    body = html[html.index("<body"):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body)).replace("&#8217;", "\u2019")


def test_citation_forms_in_html(tmp_path):
    out = sphinx_build(tmp_path, "html")
    html = (out / "index.html").read_text(encoding="utf-8")
    text = plain(html)
    assert "One Kviklys (2026) argues." in text
    assert "Two (Kviklys 2026)." in text
    assert "Three (Contessi 2018; Munir and Safdar 2024)." in text
    assert "Four (Suorsa 2023b)." in text
    assert "Five Kuchins et al. (2015)." in text
    assert "Six (see Kviklys 2026, 14)." in text
    assert "Seven Munir and Safdar in 2024." in text
    assert "Eight (EBRD 2023)." in text
    # every citation links to its entry; the entry shows no bracketed label, and the CSS hides labels
    assert re.search(r'<a class="reference internal" href="#id\d+"[^>]*>Kviklys 2026</a>', html)
    assert "reprobook-citations.css" in html and (out / "_static" / "reprobook-citations.css").is_file()
    assert "Suorsa, Olli. 2023b. Zebra Strategy." in text


def test_citation_forms_and_reference_list_in_latex(tmp_path):
    out = sphinx_build(tmp_path, "latex")
    tex = (out / "cited.tex").read_text(encoding="utf-8")
    flat = re.sub(r"\\hyperlink\{[^}]*\}\{([^}]*)\}", r"\1", tex)
    flat = re.sub(r"\\DUrole\{bibtex-citation\}\{((?:[^{}]|\{[^{}]*\})*)\}", r"\1", flat)
    assert "One Kviklys (2026) argues." in flat
    assert "Three (Contessi 2018; Munir and Safdar 2024)." in flat
    assert re.search(r"\\bibitem\[Suorsa 2023b\]\{index:id\d+\}", tex)
