"""Checks of a typeset book that a reader would otherwise find: what a press checks in proofs.

- `overfull_boxes(log)`: TeX's overfull \\hbox warnings (a line or cell wider than its box);
- `layout(log)`: the paper and text block the book's LaTeX wrote to its log (reprobook.latexbook);
- `read_pdf(pdf)`: glyph and word boxes and page sizes, read once;
- `overprints(doc)`: glyphs printed over other glyphs (a clipped or overflowing table cell, a
  table running into the running foot or the next heading);
- `words_outside(doc, layout)`: words in the margins: past the text block's left or right edge,
  below it other than the folio, above it outside the running head.

Word boxes come from pdfplumber. Text that is rotated (axis labels in figures) is left out: its
boxes are not the glyphs' outlines. Every function returns data; the caller decides what fails.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .latexbook import LAYOUT_MARK

BP_PER_PT = 72 / 72.27  # PDF points per TeX point
OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) (.*)$", re.M)


@dataclass(frozen=True)
class Overfull:
    width_pt: float  # how far the box sticks out, in TeX points
    where: str       # "in paragraph at lines 12--14", "detected at line 80", ...


@dataclass(frozen=True)
class Layout:
    """The page geometry in PDF points, origin at the top left (pdfplumber's convention)."""

    paper_width: float
    paper_height: float
    left: float
    top: float
    text_width: float
    text_height: float
    head_top: float
    foot_skip: float

    @property
    def right(self) -> float:
        return self.left + self.text_width

    @property
    def bottom(self) -> float:
        return self.top + self.text_height


@dataclass(frozen=True)
class Word:
    page: int  # 1-based
    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class Overprint:
    """Two glyphs of one page printed over each other, with the words they belong to."""

    page: int
    first: str
    second: str
    x: float
    top: float


@dataclass
class PdfText:
    """The upright text of a PDF: glyph and word boxes per page, and the page sizes."""

    sizes: list[tuple[float, float]]
    chars: list[list[dict]]
    words: list[Word]

    def words_on(self, page: int) -> list[Word]:
        if not hasattr(self, "_by_page"):
            self._by_page: dict[int, list[Word]] = {}
            for w in self.words:
                self._by_page.setdefault(w.page, []).append(w)
        return self._by_page.get(page, [])


def overfull_boxes(log_text: str, wider_than_pt: float = 1.0) -> list[Overfull]:
    """Overfull \\hbox warnings of a TeX log sticking out by more than `wider_than_pt`."""
    return [Overfull(float(w), where) for w, where in OVERFULL.findall(log_text) if float(w) > wider_than_pt]


def layout(log_text: str) -> Layout:
    """The layout written to the log by the preamble of reprobook.latexbook.
    Raises ValueError when the log has none (a book not built by reprobook)."""
    values = {}
    for key, val in re.findall(re.escape(LAYOUT_MARK) + r" (\w+)=(-?[\d.]+)pt", log_text):
        values.setdefault(key, float(val) * BP_PER_PT)
    try:
        return Layout(values["paperwidth"], values["paperheight"], values["left"], values["top"],
                      values["textwidth"], values["textheight"], values["headtop"], values["footskip"])
    except KeyError as exc:
        raise ValueError(f"the TeX log has no '{LAYOUT_MARK}' line for {exc}; was the book built by reprobook?") from None


def _upright(matrix) -> bool:
    """Text set straight (figures' rotated axis labels have boxes that are not their glyphs')."""
    a, b, c, d = matrix[:4]
    return abs(b) < 1e-6 and abs(c) < 1e-6 and a > 0 and d > 0


def _glyphs(obj):
    """The glyphs (pdfminer LTChar) inside a layout object, in content-stream order."""
    from pdfminer.layout import LTChar, LTContainer

    for child in obj:
        if isinstance(child, LTChar):
            yield child
        elif isinstance(child, LTContainer):
            yield from _glyphs(child)


def read_pdf(pdf_path: Path) -> PdfText:
    """Glyphs and words (upright text only) and page sizes (as displayed) of a PDF, in PDF points
    with the origin at the top left. Glyph boxes are pdfminer's, in pdfplumber's coordinates, and
    words are pdfplumber's (default tolerances); the glyphs are read from pdfminer's layout
    directly, not through pdfplumber's page objects, which resolve every attribute of every glyph
    (a 127-page book: 5.4 s instead of 8.7 s, the same boxes and words)."""
    import pdfplumber
    from pdfplumber.utils.text import WordExtractor

    extractor = WordExtractor(keep_blank_chars=False, use_text_flow=False)
    sizes, chars, words = [], [], []
    with pdfplumber.open(str(pdf_path)) as pdf:
        for page in pdf.pages:
            sizes.append((float(page.width), float(page.height)))
            mb_x0, mb_top = page.mediabox[:2]
            upright = []
            for g in _glyphs(page.layout):
                if not _upright(g.matrix):
                    continue
                top = page.height - g.y1 + mb_top
                upright.append({"text": g.get_text(), "x0": g.x0 + mb_x0, "x1": g.x1 + mb_x0, "top": top,
                                "bottom": page.height - g.y0 + mb_top, "doctop": page.initial_doctop + top,
                                "upright": g.upright, "matrix": g.matrix, "width": g.width, "height": g.height,
                                "size": g.size, "fontname": g.fontname})
            chars.append([{k: c[k] for k in ("text", "x0", "x1", "top", "bottom")} | {"seq": i}
                          for i, c in enumerate(upright)])
            for w in extractor.extract_words(upright):
                words.append(Word(page.page_number, w["text"], w["x0"], w["top"], w["x1"], w["bottom"]))
    return PdfText(sizes, chars, words)


def overprints(doc: PdfText, share: float = 0.3) -> list[Overprint]:
    """Glyphs printed over other glyphs: boxes overlapping by more than `share` of the narrower
    glyph's width and half its height. Neighbours in the content stream on one baseline are
    kerned pairs ("y." tucks the period under the y) and do not count; nor do combining marks.
    Ordered by page, then by the first glyph's left edge."""
    import unicodedata

    found = []
    for page_no, chars in enumerate(doc.chars, start=1):
        glyphs = sorted((c for c in chars if c["text"].strip() and not unicodedata.combining(c["text"][0])),
                        key=lambda c: c["x0"])
        for i, j in _overlapping_pairs(glyphs):
            a, b = glyphs[i], glyphs[j]
            if abs(a["seq"] - b["seq"]) == 1 and abs(a["bottom"] - b["bottom"]) < 0.5:
                continue
            dx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            wa, wb = a["x1"] - a["x0"], b["x1"] - b["x0"]
            ha, hb = a["bottom"] - a["top"], b["bottom"] - b["top"]
            if dx > share * min(wa, wb) and dy > 0.5 * min(ha, hb):
                found.append(Overprint(page_no, _word_at(doc, page_no, a), _word_at(doc, page_no, b),
                                       round(a["x0"], 1), round(a["top"], 1)))
    return found


BAND = 2.0  # points: glyphs are compared only with glyphs sharing a horizontal band of this height


def _overlapping_pairs(glyphs: list[dict]) -> list[tuple[int, int]]:
    """Index pairs (i < j) of glyphs (sorted by x0) whose boxes overlap horizontally and share a
    band of the page's height: every pair whose boxes overlap, found without comparing each glyph
    with every glyph of the other lines above and below it (a page has thousands)."""
    bands: dict[int, list[int]] = {}
    for i, g in enumerate(glyphs):
        for k in range(int(g["top"] // BAND), int(g["bottom"] // BAND) + 1):
            bands.setdefault(k, []).append(i)
    pairs: set[tuple[int, int]] = set()
    for members in bands.values():  # in x0 order, as appended
        for n, i in enumerate(members):
            right = glyphs[i]["x1"]
            for j in members[n + 1:]:
                if glyphs[j]["x0"] >= right:
                    break
                pairs.add((i, j))
    return sorted(pairs)


def _word_at(doc: PdfText, page: int, char: dict) -> str:
    """The word whose box holds the glyph's centre (the glyph itself if none does)."""
    cx, cy = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
    for w in doc.words_on(page):
        if w.x0 <= cx <= w.x1 and w.top <= cy <= w.bottom:
            return w.text
    return char["text"]


FOLIO = re.compile(r"^(\d+|[ivxlcdm]+)$")
MAXDEPTH = 5.0  # TeX lets the last line's baseline sink below the text block by \maxdepth (10 pt class)
DESCENT = 0.35  # a word box reaches this far below its baseline, as a fraction of its height


def words_outside(doc: PdfText, lay: Layout, tolerance: float = 1.0) -> list[Word]:
    """Words outside the text block that are not running heads or folios: in the side margins,
    below the text block (a table running into the foot) or above it outside the head zone.
    On a landscape page (turned for a wide table) the text block is turned with it."""
    out = []
    for w in doc.words:
        sink = MAXDEPTH + DESCENT * (w.bottom - w.top)  # how far a box may legitimately reach down
        width, height = doc.sizes[w.page - 1]
        if abs(width - lay.paper_width) < 2 and abs(height - lay.paper_height) < 2:
            left, right, top, bottom = lay.left, lay.right, lay.top, lay.bottom
        elif abs(width - lay.paper_height) < 2 and abs(height - lay.paper_width) < 2:
            # a portrait page shown turned clockwise (/Rotate 90, as pdflscape does): a portrait
            # point (x, y) is shown at (paper height - y, x)
            left, right = lay.paper_height - lay.bottom, lay.paper_height - lay.top
            top, bottom = lay.left, lay.right
            if not (left - tolerance <= w.x0 and w.x1 <= right + tolerance and top - tolerance <= w.top
                    and w.bottom <= bottom + sink):
                out.append(w)
            continue
        else:
            out.append(w)
            continue
        if w.x0 < left - tolerance or w.x1 > right + tolerance:
            out.append(w)
        elif w.bottom > bottom + sink:
            in_foot = w.top >= bottom and w.bottom <= bottom + lay.foot_skip + sink
            if not (in_foot and FOLIO.match(w.text)):
                out.append(w)
        elif w.top < top - tolerance:
            if not (w.top >= lay.head_top - tolerance and w.bottom <= top + tolerance):
                out.append(w)
    return out
