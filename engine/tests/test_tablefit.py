"""Printed tables laid out from their content (reprobook.tablefit), without TeX: a width measure
of half an em a character stands in for the fonts where the real metrics are not the point."""
from __future__ import annotations

import pytest

from reprobook import tablefit as tf

WIDTH, HEIGHT = 455.0, 683.0  # the book's text block in pt


def half_em(text: str, size: float, header: bool) -> float:
    return 0.5 * size * len(text)


def needs(text: str, size: float) -> float:
    return tf.SAFETY * half_em(text, size, False)


def test_every_column_gets_its_longest_unbreakable_piece_and_the_table_fits():
    header = [["State", "Year", "Organisation or arrangement", "Kind", "Note", "Source"]]
    body = [["Uzbekistan", "1999", "Collective Security Treaty Organization", "leave",
             "Quit the Russian-led collective security body; the document already calls it CSTO. " * 3,
             "kjis_identity"],
            ["Kazakhstan", "2006", "Eurasian Economic Community (EurAsEC)", "enter_into_force", "Joined.", "kviklys_hedging"]]
    fit = tf.fit(header, body, half_em, WIDTH, HEIGHT)
    assert fit.fits and not fit.landscape
    pt = tf.SIZES[fit.size][0]
    assert fit.total() <= WIDTH + 1e-6
    # codes and keys are never cut: the column is at least as wide as the whole code
    assert fit.widths[0] >= needs("Uzbekistan", pt)
    assert fit.widths[3] >= needs("enter_into_force", pt)
    assert fit.widths[5] >= needs("kviklys_hedging", pt)
    # the long note takes the room left over, more than any other column
    assert fit.widths[4] == max(fit.widths)
    assert fit.numeric == (False, True, False, False, False, False)


def test_a_narrow_table_keeps_its_natural_widths_and_body_size():
    fit = tf.fit([["Kind", "Count"]], [["entry", "3"], ["exit", "12"]], half_em, WIDTH, HEIGHT)
    assert fit.size == "small" and not fit.landscape
    assert fit.total() < WIDTH / 2
    assert r"\raggedleft" in fit.colspec().split(">")[2] and r"\RaggedRight" in fit.colspec().split(">")[1]


def test_wide_tables_take_smaller_type_then_landscape():
    def table(ncols, word):
        return [[f"H{j}" for j in range(ncols)]], [[word] * ncols]

    steps = [tf.fit(*table(n, "x" * 10), half_em, WIDTH, HEIGHT) for n in (6, 9, 12, 13)]
    assert [(f.size, f.landscape) for f in steps] == [("small", False), ("footnotesize", False),
                                                      ("small", True), ("footnotesize", True)]
    assert all(f.fits and f.total() <= (HEIGHT if f.landscape else WIDTH) + 1e-6 for f in steps)
    too_wide = tf.fit(*table(40, "x" * 20), half_em, WIDTH, HEIGHT)
    assert not too_wide.fits and too_wide.landscape and too_wide.size == "scriptsize"
    assert too_wide.needed > HEIGHT
    # a table inside a list or a box cannot have its page turned: smaller type instead
    boxed = tf.fit(*table(10, "x" * 10), half_em, WIDTH, HEIGHT, landscape_allowed=False)
    assert (boxed.size, boxed.landscape, boxed.fits) == ("scriptsize", False, True)


def test_running_text_columns_get_a_readable_measure():
    long_note = "word " * 200
    fit = tf.fit([["Key", "Note"]], [["a", long_note]], half_em, WIDTH, HEIGHT)
    assert fit.widths[1] >= tf.READABLE_EM * tf.SIZES[fit.size][0]


@pytest.mark.parametrize("cells, numeric", [
    (["1,234", "\u221256.7", "12%", ""], True),
    (["1998", "2005"], True),
    (["p. 400", "3"], False),
    (["KAZ", "UZB"], False),
    (["", "\u2014"], False),
])
def test_numeric_columns(cells, numeric):
    assert tf.is_numeric_column(cells) is numeric


def test_tokens_break_paths_after_slashes_and_keep_codes_whole():
    assert tf.tokens("results/tables/alignment_events.csv", False) == ["results/", "tables/", "alignment_events.csv"]
    assert tf.tokens("Russia-Uzbekistan alliance", False) == ["Russia-", "Uzbekistan", "alliance"]
    assert tf.tokens("inconsistent_unilateralism", False) == ["inconsistent_unilateralism"]
    assert tf.tokens("\u22121,023,461", True) == ["\u22121,023,461"]


def test_font_measure_uses_the_font_metrics():
    from reprobook.latexbook import font_file

    path = font_file("Noto Serif")
    if path is None:
        pytest.skip("Noto Serif not installed (Debian fonts-noto-core)")
    measure = tf.font_measure(path, path)
    assert measure("MMMM", 10, False) > measure("iiii", 10, False) * 2
    assert measure("Қазақстан", 10, False) == pytest.approx(measure("Қазақстан", 5, False) * 2)


def test_inline_code_is_measured_in_the_code_font_and_never_split_at_hyphens():
    from reprobook.tablefit import CODE_OFF, CODE_ON, font_measure, tokens

    measure = font_measure(None, None, None)  # no font files: 0.55 em a character, 0.6 em for code
    code = f"{CODE_ON}:pivot-headers:{CODE_OFF}"
    assert tokens(code, False) == [code]  # one unbreakable piece
    assert tokens(":pivot-headers:", False) == [":pivot-", "headers:"]
    assert measure(code, 10, False) > measure(":pivot-headers:", 10, False)
