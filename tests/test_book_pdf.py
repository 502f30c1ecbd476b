"""The study's PDF, built once from a copy of the repository and checked as a press checks proofs:
A4, title page and metadata from CITATION.cff, contents and lists, running heads, author-date
citations, no overfull line, no glyph printed over another, nothing in the margins, every
caption, and the same bytes when built twice."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from reprobook import pdfcheck

REPO = Path(__file__).resolve().parents[1]
A4 = (595.28, 841.89)
QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})

pytestmark = [pytest.mark.xdist_group("book_pdf"),  # one worker shares the module's built project

    pytest.mark.slow,
    pytest.mark.skipif(not all(shutil.which(p) for p in ("xelatex", "latexmk", "fc-match", "pdftotext")),
                       reason="needs XeLaTeX, latexmk, fontconfig and poppler-utils (installed by .ci/run)"),
]


@dataclass
class Book:
    root: Path
    pdf: Path
    log: str
    doc: pdfcheck.PdfText
    pages: list[str]  # text of each page (pdftotext -layout)
    metadata: dict

    @property
    def flat(self) -> str:
        return re.sub(r"\s+", " ", "\n".join(self.pages)).translate(QUOTES)


@pytest.fixture(scope="session")  # session: built once per worker even if tests interleave
def book(study_copy) -> Book:
    """`reprobook pdf` once on a copy of the repository (the record is fresh: no job runs)."""
    import pdfplumber

    copy = study_copy("pdfbook")
    root = copy.root
    proc = copy.cli("pdf", check=True, timeout=900)
    pdf = root / "_build/pdf/book.pdf"
    assert str(pdf) in proc.stdout
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    with pdfplumber.open(str(pdf)) as handle:
        metadata = dict(handle.metadata)
    return Book(root, pdf, (root / "_build/pdf/book.log").read_text(encoding="utf-8", errors="replace"),
                pdfcheck.read_pdf(pdf), text.split("\f"), metadata)


def test_a4(book):
    portrait = [s for s in book.doc.sizes if s == pytest.approx(A4, abs=0.01)]
    landscape = [s for s in book.doc.sizes if s == pytest.approx(A4[::-1], abs=0.01)]  # wide tables, turned
    assert len(portrait) + len(landscape) == len(book.doc.sizes) and len(portrait) > len(landscape)


def test_no_overfull_line_wider_than_1pt(book):
    boxes = pdfcheck.overfull_boxes(book.log, wider_than_pt=1.0)
    assert not boxes, "\n".join(f"{b.width_pt:.1f} pt {b.where}" for b in boxes[:20])


def test_no_glyph_printed_over_another(book):
    found = pdfcheck.overprints(book.doc)
    assert not found, "\n".join(f"page {o.page}: {o.first!r} / {o.second!r}" for o in found[:20])


def test_nothing_in_the_margins_or_the_running_foot(book):
    outside = pdfcheck.words_outside(book.doc, pdfcheck.layout(book.log))
    assert not outside, "\n".join(f"page {w.page}: {w.text!r} at ({w.x0:.0f}, {w.top:.0f})" for w in outside[:20])


def test_title_page_and_metadata_from_citation_cff(book):
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    authors = ", ".join(a.get("name") or f"{a['given-names']} {a['family-names']}" for a in cff["authors"])
    title_page = re.sub(r"\s+", " ", book.pages[0])
    assert cff["title"] in title_page and authors in title_page
    assert f"Version {cff['version']}" in title_page and "25 November 2026" in title_page
    assert "Typeset: 25 November 2026" in re.sub(r"\s+", " ", book.pages[1])  # SOURCE_DATE_EPOCH
    assert book.metadata["Title"] == cff["title"] and book.metadata["Author"] == authors
    assert book.metadata["Subject"] == " ".join(cff["abstract"].split())
    assert book.metadata["Keywords"] == ", ".join(cff["keywords"])


def test_contents_lists_and_running_heads(book):
    front = " ".join(book.pages[:8])
    for heading in ("List of Tables", "List of Figures"):
        assert heading in front
    assert re.search(r"Table 4\.\d+ +Alignment events", front.replace("\n", " ")) or "Alignment events" in front
    heads = {p.strip().splitlines()[0].strip() for p in book.pages if p.strip()}
    assert any(re.match(r"Chapter 4\. Alignment history\s+\d+$", h) for h in heads), sorted(heads)[:20]


def test_author_date_citations_and_reference_list(book):
    flat = book.flat
    assert "Kviklys (2026)" in flat and "(Kviklys 2026)" in flat
    assert re.search(r"\((?:[A-Z][^();]* (?:\d{4}[a-z]?|n\.d\.); )+[A-Z][^();]* (?:\d{4}[a-z]?|n\.d\.)\)", flat)
    # a numeric citation "[12]" follows a space or an opening bracket; code such as axes[1] does not count
    assert not re.search(r"(?<![\w\])])\[\d{1,3}\]", flat), "numeric citations left"
    refs = flat[flat.rindex("Works are cited by author and year"):]
    assert "Kviklys, Giedrius. 2026." in refs and "Munir, Maheera, and Aiysha Safdar. 2024." in refs
    assert "[Incomplete reference: author, title and year not printed" in refs  # kjis_identity
    # sorted by author: the surnames leading the entries come in alphabetical order
    order = [refs.index(name) for name in ("Abazov. 1999", "Contessi, Nicola P. 2015", "Kviklys, Giedrius",
                                           "Waltz, Kenneth", "Zhunisbek. 2017")]
    assert order == sorted(order)


def test_every_caption_and_whole_cells(book):
    from reprobook.usage import captions

    caps = captions(book.root / "book")
    assert len(caps) >= 8
    for key, cap in caps.items():
        words = re.sub(r"[{}`*_]", "", cap).translate(QUOTES).split()[:6]  # the opening words, as typeset
        assert " ".join(words) in book.flat, f"caption of {key} not in the PDF: {cap}"
    # the cells the old layout clipped ("U2", "19", "kjis_identit") print whole
    events = book.flat[book.flat.index("Alignment events of Uzbekistan and Kazakhstan with their sources"):]
    assert re.search(r"UZB 1998 Central Asian", events) and "kjis_identity" in events


def test_values_appendix_lists_every_value_with_its_pages(book):
    import json

    start = book.flat.index("Job alignment: notebook")
    appendix = book.flat[start: book.flat.index("Following a number back to its data", start)]
    assert "Job trade: notebook notebooks/trade.py" in appendix and len(re.findall(r"p\. \d+", appendix)) > 100
    # names break at underscores across lines, so they are looked up in the LaTeX the PDF was set from
    tex = (book.root / "_build/sphinx-latex/_build/latex/book.tex").read_text(encoding="utf-8")
    tex = tex[tex.index("Job alignment: notebook"):].replace("\\_\\allowbreak{}", "_").replace("\\_", "_")
    values = json.loads((book.root / "results/values.json").read_text(encoding="utf-8"))
    assert not [n for n in values if f"\\sphinxupquote{{{n}}}" not in tex]
    # a check mark after each sentence that cites a claim
    cited = sum(md.read_text(encoding="utf-8").count("{claim}`") for md in (book.root / "book").glob("*.md"))
    assert book.flat.count("\u2713") == cited == 5


# Two PDF builds are byte-identical: engine/tests/test_latexbook.py builds a book with Cyrillic
# text, figures and tables twice, in two folders, and compares the bytes.
