"""Tables that fit the printed page.

Sphinx's LaTeX writer gives each column a share of the line from character counts, so that a
State column gets two characters and prints "U2" for "Uzbekistan", and a long table runs through
the running foot. Here every table of the LaTeX output is laid out from its content, measured in
the fonts of the book:

- each column needs at least its longest unbreakable word (a code, key, number or header word;
  paths may break after a slash or "#", compounds after a hyphen), and a column of running text at
  least a readable measure (READABLE_EM); it would like its longest cell on one line;
- when the wanted widths fit the text block, the table takes them; otherwise each column gets its
  minimum plus a share of the remaining room in proportion to what it still wants (the automatic
  table layout of CSS 2.1, section 17.5.2.2);
- when the minima do not fit, the table is set in smaller type (9, 8, then 7 pt), then turned
  to landscape (9, 8, then 7 pt);
- numeric columns are right-aligned, text columns ragged right, and every table is a longtable,
  which breaks across pages with its header repeated.

The fit is a pure function of the cell texts and a width measure (`fit`), so that it can be tested
without TeX; `FitTables` applies it to the doctree of the LaTeX builder.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

from sphinx.util import logging

logger = logging.getLogger(__name__)

# (LaTeX size command, font size in pt in a 10pt class, \tabcolsep in pt)
SIZES = {"small": (9.0, 4.0), "footnotesize": (8.0, 3.5), "scriptsize": (7.0, 3.0)}
# tried in order until the columns' minimum widths fit: (size, landscape); 7 pt comes last
STEPS = [("small", False), ("footnotesize", False), ("small", True), ("footnotesize", True),
         ("scriptsize", False), ("scriptsize", True)]
READABLE_EM = 10.0  # a column of running text that wraps gets at least this measure (ems of its size)
SAFETY = 1.04  # measured widths ignore kerning and TeX's glue; keep a margin
NUMERIC = re.compile(r"^[\u2212+\-\u2013]?[\d.,\u2009\u202f\u00a0]*\d[\d.,\u2009\u202f\u00a0]*\s?%?$")
BREAK_AFTER = "/#-"  # a path or URL may wrap after a slash or before its fragment, a compound after its hyphen
CODE_ON, CODE_OFF = "\x0e", "\x0f"  # mark inline code in a cell's text: set in the mono font, never hyphenated

Measure = Callable[[str, float, bool], float]  # (text, size in pt, header?) -> width in pt


@dataclass(frozen=True)
class Fit:
    """How one table is set: type size, orientation, column widths (pt) and alignments."""

    size: str
    landscape: bool
    widths: tuple[float, ...]
    numeric: tuple[bool, ...]
    tabcolsep: float
    fits: bool  # False when even the last step could not give every column its minimum
    needed: float = 0.0  # pt the columns' minima and padding take at this step

    def colspec(self) -> str:
        """The LaTeX column specification (without outer braces)."""
        cols = []
        for w, num in zip(self.widths, self.numeric):
            align = r"\raggedleft" if num else r"\RaggedRight"
            cols.append(r">{%s\arraybackslash}p{%.2fpt}" % (align, w))
        return "".join(cols)

    def total(self) -> float:
        return sum(self.widths) + 2 * self.tabcolsep * len(self.widths)


def is_numeric_column(cells: Sequence[str]) -> bool:
    """True when every non-empty cell is a number as the book prints them (−1,234.5, 12%)."""
    filled = [c.strip() for c in cells if c.strip() not in ("", "\u2014", "\u2013", "-", "n/a", "NA")]
    return bool(filled) and all(NUMERIC.match(c) for c in filled)


def tokens(text: str, numeric: bool) -> list[str]:
    """The pieces a cell cannot be broken within: the whole cell for a number, else its words,
    each broken after a slash, a "#" or a hyphen (BREAK_AFTER)."""
    if numeric:
        return [text.strip()]
    out = []
    in_code = False
    for word in text.split():
        starts_in_code = in_code
        for ch in word:
            if ch == CODE_ON:
                in_code = True
            elif ch == CODE_OFF:
                in_code = False
        if CODE_ON in word or CODE_OFF in word or starts_in_code:
            # inline code: LaTeX does not break it at hyphens; keep the marker state for measuring
            out.append((CODE_ON if starts_in_code and not word.startswith(CODE_ON) else "") + word)
        else:
            out += [p for p in re.split(r"(?<=[%s])" % re.escape(BREAK_AFTER), word) if p]
    return out


def fit(header: Sequence[Sequence[str]], body: Sequence[Sequence[str]], measure: Measure,
        text_width: float, text_height: float, landscape_allowed: bool = True) -> Fit:
    """Lay out a table of `header` rows and `body` rows (cell texts) in a text block of
    `text_width` x `text_height` pt, measuring text with `measure`. Returns the first step of
    STEPS (landscape ones only if `landscape_allowed`) at which every column gets its longest
    unbreakable piece; when none does, the last step tried, with `fits` False."""
    ncols = max(len(r) for r in [*header, *body])
    columns = [[r[j] if j < len(r) else "" for r in body] for j in range(ncols)]
    numeric = tuple(is_numeric_column(c) for c in columns)
    # each column's unbreakable pieces (header cells' and body cells'), and its whole body cells
    pieces = [[(t, head) for cell, head in [(r[j] if j < len(r) else "", True) for r in header]
               + [(c, False) for c in columns[j]] for t in tokens(cell, numeric[j] and not head)]
              for j in range(ncols)]
    whole = [[c.strip() for c in columns[j]] for j in range(ncols)]
    last = None
    for size, landscape in STEPS:
        if landscape and not landscape_allowed:
            continue
        pt, sep = SIZES[size]
        padding = 2 * sep * ncols
        avail = (text_height if landscape else text_width) - padding
        mins, wants = [], []
        for j in range(ncols):
            longest = max((SAFETY * measure(t, pt, head) for t, head in pieces[j]), default=0.0) + 0.5
            want = max((SAFETY * measure(c, pt, False) for c in whole[j]), default=0.0) + 0.5
            mins.append(max(longest, min(want, READABLE_EM * pt)))
            wants.append(max(want, mins[-1]))
        if sum(wants) <= avail:
            widths = wants
        elif sum(mins) <= avail:
            slack, extra = avail - sum(mins), sum(w - m for w, m in zip(wants, mins))
            widths = [m + slack * (w - m) / extra for w, m in zip(wants, mins)]
        else:
            last = Fit(size, landscape, tuple(avail * m / sum(mins) for m in mins), numeric, sep, False,
                       sum(mins) + padding)
            continue
        return Fit(size, landscape, tuple(widths), numeric, sep, True, sum(mins) + padding)
    assert last is not None
    return last


# ---------------------------------------------------------------------------- font metrics

@lru_cache(maxsize=None)
def _advances(path: str) -> tuple[dict[int, float], float]:
    """Advance widths (in em) by code point for a font file, and the mean width of letters."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as font:
        upem = font["head"].unitsPerEm
        hmtx = font["hmtx"]
        cmap = font.getBestCmap() or {}
        adv = {code: hmtx[name][0] / upem for code, name in cmap.items()}
    letters = [adv[c] for c in range(ord("a"), ord("z") + 1) if c in adv] or [0.5]
    return adv, sum(letters) / len(letters)


def font_measure(body_font: str | None, head_font: str | None, mono_font: str | None = None) -> Measure:
    """A Measure from the font files of the body, header and code fonts (text between CODE_ON and
    CODE_OFF is code); a character a font lacks counts as its widest digit-or-letter; without a
    font file, 0.55 em a character (0.6 em for code)."""
    def table(path, fallback=0.55):
        if not path:
            return {}, fallback
        adv, mean = _advances(path)
        return adv, max(mean, adv.get(ord("0"), mean))

    body, head, mono = table(body_font), table(head_font), table(mono_font, 0.6)

    @lru_cache(maxsize=1 << 16)  # fit() measures each piece of text at every size it tries
    def ems(text: str, header: bool) -> float:
        total, code = 0.0, False
        for c in text:
            if c in (CODE_ON, CODE_OFF):
                code = c == CODE_ON
                continue
            adv, default = mono if code else head if header else body
            total += adv.get(ord(c), default)
        return total

    def measure(text: str, size: float, header: bool) -> float:
        return size * ems(text, header)
    return measure


# ---------------------------------------------------------------------------- Sphinx glue

def _cell_text(entry) -> str | None:
    """The text of a table cell made of paragraphs of inline text, else None."""
    from docutils import nodes

    if entry.get("morerows") or entry.get("morecols"):
        return None
    for child in entry.children:
        if not isinstance(child, nodes.paragraph):
            return None

    def text(node) -> str:
        if isinstance(node, nodes.literal):
            return CODE_ON + node.astext() + CODE_OFF
        if isinstance(node, nodes.Text):
            return str(node)
        return "".join(text(c) for c in node.children)

    return " ".join(text(child) for child in entry.children)


def _grid(table):
    """(header rows, body rows) of cell texts for a simple table (one tgroup, no spans, cells of
    text only), else None."""
    from docutils import nodes

    groups = [c for c in table.children if isinstance(c, nodes.tgroup)]
    if len(groups) != 1:
        return None
    out = {"thead": [], "tbody": []}
    for part in groups[0].children:
        if isinstance(part, (nodes.thead, nodes.tbody)):
            for row in part.children:
                cells = [_cell_text(e) for e in row.children]
                if any(c is None for c in cells):
                    return None
                out[part.tagname].append(cells)
    return (out["thead"], out["tbody"]) if out["tbody"] else None


def _allow_breaks_after_slashes(table) -> None:
    """In LaTeX, let long paths and URLs in cells wrap after a slash or a "#"."""
    from docutils import nodes

    for text in list(table.findall(nodes.Text)):
        if not ("/" in text or "#" in text) or isinstance(text.parent, (nodes.literal, nodes.reference)):
            continue
        parts = re.split(r"(?<=[/#])", str(text))
        new = []
        for i, part in enumerate(parts):
            new.append(nodes.Text(part))
            if i < len(parts) - 1 and part and parts[i + 1]:
                new.append(nodes.raw("", r"\allowbreak{}", format="latex"))
        text.parent.replace(text, new)


def apply_fit(table, fit_: Fit) -> list:
    """Nodes to put before and after `table` so that LaTeX sets it as `fit_` says."""
    from docutils import nodes
    from sphinx import addnodes

    spec = addnodes.tabular_col_spec()
    spec["spec"] = fit_.colspec()
    if "longtable" not in table["classes"]:
        table["classes"].append("longtable")
    # pending figures go out first: longtable's page breaking does not see bottom floats and
    # would print over them
    begin = r"\FloatBarrier" + (r"\begin{landscape}" if fit_.landscape else "") + \
        r"\begingroup\%s\setlength{\tabcolsep}{%.1fpt}" % (fit_.size, fit_.tabcolsep)
    end = r"\endgroup" + (r"\end{landscape}" if fit_.landscape else "")
    return [nodes.raw("", begin, format="latex"), spec], [nodes.raw("", end, format="latex")]


def _post_transform_class():
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class FitTables(SphinxPostTransform):
        """Lay out every simple table of the LaTeX output from its content (see the module)."""

        default_priority = 900
        builders = ("latex",)

        def run(self, **kwargs):
            from docutils import nodes

            from .latexbook import book_fonts, font_file, text_block_pt
            fonts = book_fonts(self.config)
            measure = font_measure(font_file(fonts["main"]), font_file(fonts["sans"]), font_file(fonts["mono"]))
            width, height = text_block_pt()
            for table in list(self.document.findall(nodes.table)):
                grid = _grid(table)
                if grid is None or any(isinstance(a, nodes.table) for a in table.traverse(include_self=False)):
                    continue
                # a page can only be turned for a table that stands on its own, not one in a list or box
                top_level = isinstance(table.parent, (nodes.section, nodes.document))
                result = fit(grid[0], grid[1], measure, width, height, landscape_allowed=top_level)
                if not result.fits:
                    logger.warning("table cannot fit the page even in 7 pt%s: the longest words of its columns "
                                   "need %.0f pt, the text block gives %.0f pt; show fewer columns or shorter codes",
                                   " on a landscape page" if result.landscape else "", result.needed,
                                   height if result.landscape else width, location=table)
                before, after = apply_fit(table, result)
                _allow_breaks_after_slashes(table)
                parent = table.parent
                i = parent.index(table)
                parent[i + 1:i + 1] = after
                parent[i:i] = before

    return FitTables


def setup(app):
    app.add_post_transform(_post_transform_class())
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
