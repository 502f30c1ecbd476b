"""Proof checks of a typeset PDF (reprobook.pdfcheck) on small real PDFs drawn with matplotlib
and on TeX log excerpts."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reprobook import pdfcheck as pc

A4 = (595.28, 841.89)
LAYOUT = pc.Layout(paper_width=A4[0], paper_height=A4[1], left=70.9, top=85.0, text_width=453.5,
                   text_height=680.3, head_top=50.0, foot_skip=34.0)


def draw(path: Path, texts: list[tuple[float, float, str, float]]) -> Path:
    """An A4 page with each (x, y-from-top, text, rotation) drawn at 10 pt in points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(A4[0] / 72, A4[1] / 72))
    for x, y, text, rotation in texts:
        fig.text(x / A4[0], 1 - y / A4[1], text, fontsize=10, rotation=rotation, va="baseline")
    fig.savefig(path)
    plt.close(fig)
    return path


def test_overfull_boxes_from_the_log():
    log = ("Overfull \\hbox (0.5pt too wide) in paragraph at lines 10--12\n"
           "Overfull \\hbox (97.89236pt too wide) in alignment at lines 80--90\n"
           "Underfull \\hbox (badness 10000) in paragraph at lines 1--2\n")
    boxes = pc.overfull_boxes(log)
    assert boxes == [pc.Overfull(97.89236, "in alignment at lines 80--90")]
    assert len(pc.overfull_boxes(log, wider_than_pt=0)) == 2


def test_layout_from_the_log_in_pdf_points():
    log = "\n".join(f"reprobook-layout: {k}={v}pt" for k, v in [
        ("paperwidth", "597.50787"), ("paperheight", "845.04684"), ("left", "71.13188"), ("top", "85.35826"),
        ("textwidth", "455.24411"), ("textheight", "682.86615"), ("headtop", "48.36969"), ("footskip", "34.1433")])
    lay = pc.layout(log)
    assert lay.paper_width == pytest.approx(595.28, abs=0.01) and lay.paper_height == pytest.approx(841.89, abs=0.01)
    assert lay.right == pytest.approx(lay.left + lay.text_width)
    with pytest.raises(ValueError, match="reprobook-layout"):
        pc.layout("no layout here")


def test_overprinted_text_is_found_and_rotated_labels_and_neighbours_are_not(tmp_path):
    pdf = draw(tmp_path / "a.pdf", [
        (100, 200, "Uzbekistan", 0), (112, 200, "1999", 0),             # a clipped cell under its neighbour
        (100, 300, "Kazakhstan 1998 typeset apart", 0),                   # fine
        (300, 400, "rotated", 40), (305, 404, "labels", 40),              # axis labels of a figure
        (100, 500, "Quietly, by the way.", 0),                            # kerned pairs (y, y.)
    ])
    found = pc.overprints(pc.read_pdf(pdf))
    # the four digits sit on the letters of "Uzbekistan" (word extraction merges them into one word)
    assert len(found) >= 4 and all(o.page == 1 for o in found)
    assert all(112 <= o.x <= 140 and 185 < o.top < 200 for o in found), found
    assert all(set("1999") <= set(o.first) and "U" in o.first for o in found)


def test_words_outside_the_text_block(tmp_path):
    pdf = draw(tmp_path / "b.pdf", [
        (80, 70, "Chapter", 0),           # the running head, in the head zone
        (80, 300, "inside", 0),
        (500, 300, "overflowing-the-right-margin", 0),
        (80, 790, "through-the-foot", 0),  # below the text block, not a folio
        (290, 800, "12", 0),               # the folio
        (20, 400, "left", 0),
    ])
    out = pc.words_outside(pc.read_pdf(pdf), LAYOUT)
    assert sorted(w.text for w in out) == ["left", "overflowing-the-right-margin", "through-the-foot"]


def test_page_sizes(tmp_path):
    doc = pc.read_pdf(draw(tmp_path / "c.pdf", [(100, 100, "x", 0)]))
    assert doc.sizes == [pytest.approx(A4, abs=0.01)]


def _overlap_pairs_by_brute_force(glyphs: list[dict]) -> list[tuple[int, int]]:
    return [(i, j) for i, a in enumerate(glyphs) for j, b in enumerate(glyphs) if i < j
            and min(a["x1"], b["x1"]) > max(a["x0"], b["x0"])
            and min(a["bottom"], b["bottom"]) > max(a["top"], b["top"])]


box = st.tuples(st.floats(-20, 200), st.floats(-20, 200), st.floats(0.1, 30), st.floats(0.1, 30))


@given(st.lists(box, max_size=40))
def test_the_banded_search_finds_every_pair_of_overlapping_glyphs(boxes):
    glyphs = sorted(({"x0": x, "x1": x + w, "top": y, "bottom": y + h} for x, y, w, h in boxes), key=lambda g: g["x0"])
    found = set(pc._overlapping_pairs(glyphs))
    # every pair overlapping in both directions is among the candidates; candidates overlap across
    assert set(_overlap_pairs_by_brute_force(glyphs)) <= found
    assert all(glyphs[j]["x0"] < glyphs[i]["x1"] for i, j in found)
