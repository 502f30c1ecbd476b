"""The printed book's set-up (reprobook.latexbook) and what `reprobook pdf` asks of the system
(reprobook.pdf), in process; and one end-to-end PDF of the small fixture project with Kazakh,
Russian and Uzbek text in its data and a negative number, typeset by real XeLaTeX."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from reprobook import latexbook as lb
from reprobook import pdf as rpdf
from reprobook.errors import BookError, ConfigError
from reprobook.testing import invoke

HAVE_TEX = all(shutil.which(p) for p in ("xelatex", "latexmk", "fc-match"))
CFF = """cff-version: 1.2.0
message: Please cite.
title: "A study of Ұлытау & Oʻzbekiston"
authors:
  - given-names: Aigerim
    family-names: Sarsenova
  - name: "The Steppe Group"
version: "1.2.0"
date-released: 2026-03-01
abstract: An abstract with 50% of the words.
keywords: [Central Asia, hedging]
license: CC-BY-4.0
"""


def test_citation_cff_gives_title_page_and_pdf_metadata(tmp_path):
    (tmp_path / "CITATION.cff").write_text(CFF, encoding="utf-8")
    meta = lb.read_citation(tmp_path)
    assert meta.title == "A study of Ұлытау & Oʻzbekiston"
    assert meta.authors == ("Aigerim Sarsenova", "The Steppe Group")
    assert meta.version == "1.2.0" and meta.date_released == "2026-03-01"
    page = lb.title_page(meta, lb.long_date(1795564800))
    assert r"A study of Ұлытау \& Oʻzbekiston" in page  # escaped for LaTeX, script kept
    assert "Version 1.2.0, 1 March 2026" in page and "Typeset:} 25 November 2026" in page
    assert r"An abstract with 50\% of the words." in page
    info = lb.pdf_info(meta, "en")
    assert "pdfauthor={Aigerim Sarsenova, The Steppe Group}" in info and "pdfkeywords={Central Asia, hedging}" in info
    assert lb.read_citation(tmp_path / "nowhere") is None


def test_broken_citation_cff_is_a_config_error(tmp_path):
    (tmp_path / "CITATION.cff").write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="CITATION.cff is not valid YAML"):
        lb.read_citation(tmp_path)


def test_defaults_give_a4_xelatex_fonts_lists_and_keep_the_users_preamble():
    elements = lb.latex_defaults(None, lb.FONTS, "en", True, "")
    assert elements["papersize"] == "a4paper" and "a4paper" in lb.GEOMETRY
    assert r"\setmainfont{Noto Serif}" in elements["fontpkg"] and r"\tracinglostchars=3" in elements["fontpkg"]
    assert r"\listoftables" in elements["tableofcontents"] and r"\listoffigures" in elements["tableofcontents"]
    assert r"\renewenvironment{sphinxthebibliography}" in elements["preamble"]
    assert "maketitle" not in elements  # without CITATION.cff, Sphinx's title page
    width, height = lb.text_block_pt()
    assert width == pytest.approx(160 * 72.27 / 25.4) and height == pytest.approx(240 * 72.27 / 25.4)


@pytest.mark.skipif(not shutil.which("fc-match"), reason="needs fontconfig")
def test_fallback_sets_what_the_fonts_lack_and_leaves_kazakh_to_the_main_font():
    if lb.font_file("Noto Serif") is None or lb.font_file("DejaVu Serif") is None:
        pytest.skip("needs fonts-noto-core and fonts-dejavu-core")
    text = "Қазақстан әңгіме ұлт үкімет һ і Ўзбекистон Oʻzbekiston Gänzle −1,023 ≥ 0.6"
    chars = lb.needs_fallback(text, lb.FONTS)
    assert "\u2212" in chars and "\u2265" in chars  # Noto Serif (Debian 12) has no minus sign or ≥
    assert not chars & set("ҚазақстанәңгімеұлтүкіметһіЎзбекистонʻä")
    latex, lost = lb.fallback_latex(chars | {"\u4e2d"}, lb.FONTS)  # a Han character: no listed font has it
    assert r"\newfontfamily\rbfallbacka{DejaVu Serif}" in latex
    assert r'\newunicodechar{−}{\texorpdfstring{\iffontchar\font"2212 \symbol{"2212}\else{\rbfallbacka\symbol{"2212}}\fi}' in latex
    assert r"\DeclareTextCommand{\textvisiblespace}{TU}" in latex  # Sphinx's mark in wrapped code
    assert lost == ["\u4e2d"]


def test_missing_programs_and_fonts_are_named_with_their_debian_packages(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a system without TeX: nothing on the PATH
    with pytest.raises(BookError) as err:
        rpdf.require_tex()
    text = str(err.value)
    assert "program xelatex (Debian package texlive-xetex)" in text and "program latexmk (Debian package latexmk)" in text
    assert "apt-get install -y fontconfig latexmk texlive-xetex" in text


@pytest.mark.skipif(not shutil.which("fc-match"), reason="needs fontconfig")
def test_a_missing_font_is_named():
    missing = rpdf.missing_requirements({**lb.FONTS, "main": "No Such Serif"})
    assert [m.what for m in missing if m.what.startswith("font")] == ["font No Such Serif"]


def test_a_lost_character_in_the_log_is_explained():
    log = ("Missing character: There is no \U0001F600 (U+1F600) in font Noto Serif/OT:script=latn;language=dflt;!\n"
           "./book.tex:120: Emergency stop.\n")
    reasons = rpdf.explain_failure(log)
    assert reasons[0].startswith("character \U0001F600 (U+1F600, GRINNING FACE) has no glyph in Noto Serif")
    assert "./book.tex:120: Emergency stop." in reasons


def test_jupyter_books_own_latex_extension_is_refused(mini):
    from reprobook.paths import Paths

    cfg = (mini / "_config.yml").read_text().replace("use_jupyterbook_latex: false", "use_jupyterbook_latex: true")
    (mini / "_config.yml").write_text(cfg)
    with pytest.raises(ConfigError, match="use_jupyterbook_latex: false"):
        rpdf.check_book_config(Paths(mini))


# ---------------------------------------------------------------------------- end to end

KAZAKH = "Қазақстан Республикасы, әңгіме, Өзбекстан, ұлт, үкімет, Һ, ің"
RUSSIAN = "Организация Договора о коллективной безопасности"
LATIN = "Gänzle, Popławski, Brkić, Türkiye, Oʻzbekiston"


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_TEX or not shutil.which("pdftotext"),
                    reason="needs XeLaTeX, latexmk, fontconfig and poppler-utils (installed by .ci/run)")
def test_pdf_sets_kazakh_russian_uzbek_and_the_minus_sign(mini):
    from reprobook import pdfcheck as pc

    (mini / "data/words.csv").write_text(
        f'word,note\nalpha,"Latin with diacritics: {LATIN}"\nbe,"Kazakh: {KAZAKH}; Russian: {RUSSIAN}"\n',
        encoding="utf-8")
    schema = json.loads((mini / "data/schemas/words.schema.json").read_text())
    schema["fields"].append({"name": "note", "type": "string"})
    (mini / "data/schemas/words.schema.json").write_text(json.dumps(schema))
    spec = (mini / "pipeline.yml").read_text().replace("parameters: {scale: 1}", "parameters: {scale: -1}")
    (mini / "pipeline.yml").write_text(spec)  # negative totals: the book prints U+2212 minus signs

    proc = invoke(mini, "pdf", check=True)
    pdf = mini / "_build/pdf/book.pdf"
    assert str(pdf) in proc.stdout
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    for phrase in (KAZAKH, RUSSIAN, LATIN, "The grand total is \u22128.0", "\u22123.0", "\u22125.0"):
        assert phrase in flat, phrase
    log = (mini / "_build/pdf/book.log").read_text(encoding="utf-8", errors="replace")
    assert "Missing character" not in log
    assert pc.overfull_boxes(log) == []
    assert all(size == pytest.approx((595.28, 841.89), abs=0.01) for size in pc.read_pdf(pdf).sizes)  # A4
    # built again from scratch in another folder: the same bytes
    import shutil

    again = mini.parent / "again" / "mini"
    shutil.copytree(mini, again, ignore=shutil.ignore_patterns("_build"))
    invoke(again, "pdf", check=True)
    assert (again / "_build/pdf/book.pdf").read_bytes() == pdf.read_bytes(), "two PDF builds differ"
