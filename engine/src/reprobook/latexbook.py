"""The printed book: what Sphinx's LaTeX builder is told so that the PDF is one a press would take.

- XeLaTeX with OpenType fonts that set Latin with diacritics, Greek and Cyrillic (Kazakh ә қ ң ө
  ұ ү һ і included); a character the main font lacks is taken from the first installed fallback
  font that has it, and a character no font has stops the build (``\\tracinglostchars=3``) instead
  of vanishing from the page;
- A4 with a fixed text block, running heads with the chapter title, page numbers;
- a title page with title, authors, version and release date from ``CITATION.cff``, and on its
  back the abstract, keywords, licence and the date the book was typeset (``SOURCE_DATE_EPOCH``);
- contents, list of tables, list of figures;
- PDF metadata (title, author, subject, keywords, language) from ``CITATION.cff``;
- an author-date reference list (no labels, hanging indent) when the book uses
  ``bibtex_reference_style: author_date``.

A project sets none of this; it may override the fonts or any ``latex_elements`` key in its
configuration (``reprobook_pdf: {fonts: {main: ..., sans: ..., mono: ..., fallback: [...]}}``).
Settings the user gave in ``latex_elements`` win over these defaults, except ``preamble``, which is
appended after ours.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FONTS = {
    "main": "Noto Serif",
    "sans": "Noto Sans",
    "mono": "Noto Sans Mono",
    # tried in order for each character the main font lacks (minus sign, arrows, relations, ...)
    "fallback": ["DejaVu Serif", "Noto Sans Math", "Noto Sans Symbols", "Noto Sans Symbols2", "DejaVu Sans"],
}
# Debian packages that hold the default fonts, for the message when one is missing
FONT_PACKAGES = {"Noto Serif": "fonts-noto-core", "Noto Sans": "fonts-noto-core", "Noto Sans Mono": "fonts-noto-mono",
                 "DejaVu Serif": "fonts-dejavu-core", "DejaVu Sans": "fonts-dejavu-core",
                 "Noto Sans Math": "fonts-noto-core", "Noto Sans Symbols": "fonts-noto-core",
                 "Noto Sans Symbols2": "fonts-noto-core"}

# A4, text block 160 x 240 mm; the running head sits in the top margin, the folio of chapter
# openings in the bottom one
PAPER_MM = (210.0, 297.0)
MARGINS_MM = {"left": 25.0, "right": 25.0, "top": 30.0, "bottom": 27.0}
GEOMETRY = ("a4paper, left={left}mm, right={right}mm, top={top}mm, bottom={bottom}mm, "
            "headheight=14pt, headsep=8mm, footskip=12mm").format(**MARGINS_MM)
PT_PER_MM = 72.27 / 25.4  # TeX points
FALLBACK_FILE = "reprobook-fonts.tex"
LAYOUT_MARK = "reprobook-layout:"


def text_block_pt() -> tuple[float, float]:
    """Width and height of the text block in TeX points."""
    width = PAPER_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]
    height = PAPER_MM[1] - MARGINS_MM["top"] - MARGINS_MM["bottom"]
    return width * PT_PER_MM, height * PT_PER_MM


# ---------------------------------------------------------------------------- CITATION.cff

@dataclass(frozen=True)
class BookMeta:
    """What the title page and the PDF's metadata say, read from CITATION.cff."""

    title: str = ""
    authors: tuple[str, ...] = ()
    version: str = ""
    date_released: str = ""  # ISO date as in the file
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    license: str = ""
    doi: str = ""
    url: str = ""


def _person(p: dict) -> str:
    if p.get("name"):
        return str(p["name"])
    parts = [p.get("given-names", ""), p.get("name-particle", ""), p.get("family-names", ""), p.get("name-suffix", "")]
    return " ".join(str(x) for x in parts if x)


def read_citation(root: Path) -> BookMeta | None:
    """BookMeta from ``root/CITATION.cff`` (Citation File Format 1.2), or None without the file.
    Raises ConfigError when the file is not valid YAML or not a mapping."""
    import yaml

    from .errors import ConfigError

    path = root / "CITATION.cff"
    if not path.is_file():
        return None
    try:
        cff = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"CITATION.cff is not valid YAML: {exc}; fix the file (https://citation-file-format.github.io)") from None
    if not isinstance(cff, dict):
        raise ConfigError("CITATION.cff must be a mapping of Citation File Format keys")
    authors = tuple(_person(a) for a in cff.get("authors") or [] if isinstance(a, dict))
    date = cff.get("date-released", "")
    return BookMeta(title=str(cff.get("title", "")), authors=authors, version=str(cff.get("version", "") or ""),
                    date_released=date.isoformat() if isinstance(date, dt.date) else str(date or ""),
                    abstract=" ".join(str(cff.get("abstract", "")).split()),
                    keywords=tuple(str(k) for k in cff.get("keywords") or []),
                    license=str(cff.get("license", "") or ""), doi=str(cff.get("doi", "") or ""),
                    url=str(cff.get("url", "") or ""))


def long_date(iso_or_epoch: str | int | None) -> str:
    """'25 November 2026' from an ISO date or a Unix time; '' when there is none."""
    if iso_or_epoch in (None, ""):
        return ""
    if isinstance(iso_or_epoch, int) or str(iso_or_epoch).isdigit():
        day = dt.datetime.fromtimestamp(int(iso_or_epoch), tz=dt.timezone.utc).date()
    else:
        day = dt.date.fromisoformat(str(iso_or_epoch)[:10])
    return f"{day.day} {day:%B %Y}"


# ---------------------------------------------------------------------------- LaTeX pieces

LATEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                  "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}"}


def _esc(text: str) -> str:
    """`text` for XeLaTeX: its special characters escaped, every other character kept."""
    return "".join(LATEX_SPECIALS.get(c, c) for c in text)


def fonts_latex(fonts: dict) -> str:
    """fontspec set-up: main, sans and mono fonts, the fallback file, lost characters as errors."""
    return "\n".join([
        r"\setmainfont{%s}" % fonts["main"],
        r"\setsansfont{%s}" % fonts["sans"],
        r"\setmonofont{%s}[Scale=MatchLowercase]" % fonts["mono"],
        r"\usepackage{newunicodechar}",
        r"\InputIfFileExists{%s}{}{}" % FALLBACK_FILE,
        r"\tracinglostchars=3 % a character no font has is an error, not a silent gap",
    ])


def title_page(meta: BookMeta, typeset_on: str) -> str:
    """\\maketitle replacement: title, authors, version and date; on the back, the abstract,
    keywords, licence, DOI and when the book was typeset."""
    authors = r"\\[0.6ex]".join(_esc(a) for a in meta.authors)
    edition = ", ".join(x for x in [f"Version {_esc(meta.version)}" if meta.version else "",
                                    _esc(long_date(meta.date_released))] if x)
    back = []
    if meta.abstract:
        back.append(r"{\sffamily\bfseries Abstract}\par\smallskip " + _esc(meta.abstract) + r"\par\bigskip")
    if meta.keywords:
        back.append(r"{\sffamily\bfseries Keywords:} " + _esc("; ".join(meta.keywords)) + r"\par")
    if meta.license:
        back.append(r"{\sffamily\bfseries Licence:} " + _esc(meta.license) + r"\par")
    if meta.doi:
        back.append(r"{\sffamily\bfseries DOI:} \url{https://doi.org/" + meta.doi + r"}\par")
    if typeset_on:
        back.append(r"{\sffamily\bfseries Typeset:} " + _esc(typeset_on) + r" from the book's sources.\par")
    return "\n".join([
        r"\begingroup\hypersetup{pageanchor=false}",
        r"\begin{titlepage}\centering",
        r"\vspace*{0.2\textheight}",
        r"{\sffamily\bfseries\fontsize{24}{30}\selectfont " + _esc(meta.title) + r"\par}",
        r"\vspace{3\baselineskip}",
        r"{\Large " + authors + r"\par}",
        r"\vfill",
        r"{\large " + edition + r"\par}",
        r"\vspace*{0.08\textheight}",
        r"\end{titlepage}",
        r"\thispagestyle{empty}\null\vfill",
        r"\begingroup\small\raggedright\setlength{\parskip}{0.6ex}",
        *back,
        r"\endgroup",
        r"\clearpage\endgroup",
    ])


def pdf_info(meta: BookMeta, language: str) -> str:
    """\\hypersetup with the PDF document information (title, author, subject, keywords, language)."""
    def val(text: str) -> str:
        return "{" + _esc(text) + "}"
    parts = [f"pdftitle={val(meta.title)}", f"pdfauthor={val(', '.join(meta.authors))}",
             f"pdfsubject={val(meta.abstract)}", f"pdfkeywords={val(', '.join(meta.keywords))}"]
    if language:
        parts.append(f"pdflang={{{language}}}")
    return r"\AtBeginDocument{\hypersetup{" + ", ".join(parts) + "}}"


CONTENTS = r"""\pagenumbering{roman}%
\begingroup\setlength{\parskip}{0pt}%
\sphinxtableofcontentshook\tableofcontents\clearpage
\listoftables\clearpage
\listoffigures
\endgroup\clearpage
\markboth{}{}% no running head from the lists over the text before the first chapter
\pagenumbering{arabic}%
"""

# running heads: chapter on the left, page number on the right; chapter openings: number at the foot
PAGE_STYLES = r"""\makeatletter
\fancypagestyle{normal}{\fancyhf{}%
  \fancyhead[L]{\small\itshape\nouppercase{\leftmark}}%
  \fancyhead[R]{\small\thepage}%
  \renewcommand{\headrulewidth}{0.4pt}\renewcommand{\footrulewidth}{0pt}}
\fancypagestyle{plain}{\fancyhf{}\fancyfoot[C]{\small\thepage}%
  \renewcommand{\headrulewidth}{0pt}\renewcommand{\footrulewidth}{0pt}}
\renewcommand{\chaptermark}[1]{\markboth{\ifnum\c@secnumdepth>\m@ne\@chapapp\ \thechapter.\ \fi#1}{}}
\renewcommand{\sectionmark}[1]{}
\makeatother
"""

# The text block and paper, written to the log, where pdfcheck reads them (TeX points).
LAYOUT_TYPEOUT = r"""\AtBeginDocument{%
\typeout{LAYOUT paperwidth=\the\paperwidth}%
\typeout{LAYOUT paperheight=\the\paperheight}%
\typeout{LAYOUT left=\the\dimexpr1in+\hoffset+\oddsidemargin\relax}%
\typeout{LAYOUT top=\the\dimexpr1in+\voffset+\topmargin+\headheight+\headsep\relax}%
\typeout{LAYOUT textwidth=\the\textwidth}%
\typeout{LAYOUT textheight=\the\textheight}%
\typeout{LAYOUT headtop=\the\dimexpr1in+\voffset+\topmargin\relax}%
\typeout{LAYOUT footskip=\the\footskip}}""".replace("LAYOUT", LAYOUT_MARK)

# An author-date reference list: no labels, each entry with a hanging indent, ragged right.
AUTHOR_DATE_BIBLIOGRAPHY = r"""\makeatletter
\renewenvironment{sphinxthebibliography}[1]{%
  \list{}{\setlength{\leftmargin}{2em}\setlength{\itemindent}{-2em}%
    \setlength{\labelwidth}{0pt}\setlength{\labelsep}{0pt}%
    \setlength{\itemsep}{0.45\baselineskip}\setlength{\parsep}{0pt}\setlength{\topsep}{0pt}}%
  \raggedright\let\sphinxAtStartPar\relax
  \def\bibitem[##1]##2{\item\relax\hypertarget{cite.##2}{}\ignorespaces}}%
  {\endlist}
\makeatother
"""


def latex_defaults(meta: BookMeta | None, fonts: dict, language: str, author_date: bool,
                   typeset_on: str) -> dict[str, str]:
    """The ``latex_elements`` this module gives a book (see the module docstring)."""
    preamble = [PAGE_STYLES, LAYOUT_TYPEOUT, r"\geometry{" + GEOMETRY + "}",
                r"\setlength{\LTcapwidth}{\textwidth}% captions of long tables as wide as the text",
                # an image leaves room for its caption and provenance line on the page
                r"\makeatletter\AtBeginDocument{\spx@image@maxheight=0.7\textheight}\makeatother"]
    if author_date:
        preamble.append(AUTHOR_DATE_BIBLIOGRAPHY)
    if meta is not None:
        preamble.append(pdf_info(meta, language))
    elements = {
        "papersize": "a4paper",
        "pointsize": "10pt",
        "fontpkg": fonts_latex(fonts),
        "fncychap": "",
        "extraclassoptions": "openany,oneside",  # a PDF read on screen: no blank pages before chapters
        "extrapackages": r"\usepackage{ragged2e}\usepackage{pdflscape}\usepackage{placeins}",
        "preamble": "\n".join(preamble),
        "tableofcontents": CONTENTS,
        "makeindex": "",
        "printindex": "",
        "figure_align": "tp",  # at the top of a page or on a page of floats: longtable miscounts the room left on a page
        # a wrapped code line is marked with one arrow glyph (Sphinx's default builds a hooked arrow
        # from two overlapping math glyphs, which text extraction reads as ",→")
        "sphinxsetup": r"verbatimcontinued={\makebox[2\fontcharwd\font`\x][r]{\textcolor{gray}{\(\rightarrow\)}}}",
    }
    if meta is not None and meta.title:
        elements["maketitle"] = title_page(meta, typeset_on)
    return elements


# ---------------------------------------------------------------------------- font fallback

@lru_cache(maxsize=None)
def font_file(family: str) -> str | None:
    """The file fontconfig uses for `family` (regular style), or None when it is not installed
    (fc-match always answers; the family it answers with must be the one asked for)."""
    if not shutil.which("fc-match"):
        return None
    proc = subprocess.run(["fc-match", "--format=%{family}\n%{file}", f"{family}:style=Regular"],
                          capture_output=True, text=True)
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) < 2:
        return None
    families = [f.strip().casefold() for f in lines[0].split(",")]
    return lines[1] if family.casefold() in families else None


@lru_cache(maxsize=None)
def font_chars(path: str) -> frozenset[int]:
    """The code points a font file has glyphs for."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap() or {})


def missing_fonts(fonts: dict) -> list[str]:
    """The configured main, sans and mono fonts that fontconfig cannot find."""
    return [fonts[k] for k in ("main", "sans", "mono") if font_file(fonts[k]) is None]


# Characters LaTeX itself puts on the page through text commands of the TU encoding (not as
# characters of the source), e.g. the visible space Sphinx marks wrapped code lines with.
TEXT_SYMBOLS = {r"\textvisiblespace": 0x2423, r"\textbullet": 0x2022, r"\textendash": 0x2013,
                r"\textemdash": 0x2014, r"\textquoteleft": 0x2018, r"\textquoteright": 0x2019,
                r"\textquotedblleft": 0x201C, r"\textquotedblright": 0x201D, r"\textellipsis": 0x2026,
                r"\textsection": 0x00A7, r"\textparagraph": 0x00B6, r"\textdagger": 0x2020,
                r"\textdaggerdbl": 0x2021, r"\textdegree": 0x00B0, r"\texteuro": 0x20AC,
                r"\textperiodcentered": 0x00B7, r"\textasciitilde": 0x007E}


def _covered(code: int, fonts: dict) -> bool:
    """Whether the main, sans and mono fonts all have a glyph for `code`."""
    paths = [font_file(fonts[k]) for k in ("main", "sans", "mono")]
    return all(p is not None and code in font_chars(p) for p in paths)


def needs_fallback(text: str, fonts: dict) -> set[str]:
    """Characters of `text` above ASCII that the main, sans or mono font has no glyph for
    (control and combining characters aside: these are shaped with their base)."""
    import unicodedata

    return {c for c in set(text) if ord(c) > 0x7F and unicodedata.category(c)[0] not in ("C", "M")
            and not _covered(ord(c), fonts)}


def _fallback_family(code: int, fonts: dict) -> str | None:
    return next((f for f in fonts["fallback"] if (p := font_file(f)) and code in font_chars(p)), None)


def fallback_latex(chars: set[str], fonts: dict) -> tuple[str, list[str]]:
    """LaTeX that sets each of `chars`, and each TU text symbol a font lacks, in the current font
    when it has the glyph and otherwise in the first fallback font that has it; and the characters
    no installed font has (which \\tracinglostchars then reports if they are typeset)."""
    families: dict[str, str] = {}
    lines, lost = [], []

    def glyph(code: int) -> str | None:
        family = _fallback_family(code, fonts)
        if family is None:
            return None
        cmd = families.setdefault(family, r"\rbfallback" + "abcdefghijklmnopqrstuvwxyz"[len(families)])
        return r'\iffontchar\font"%04X \symbol{"%04X}\else{%s\symbol{"%04X}}\fi' % (code, code, cmd, code)

    for c in sorted(chars):
        body = glyph(ord(c))
        if body is None:
            lost.append(c)
        else:  # \symbol does not re-enter the active character; bookmarks get the character itself
            lines.append(r"\newunicodechar{%s}{\texorpdfstring{%s}{\string%s}}" % (c, body, c))
    for command, code in TEXT_SYMBOLS.items():
        if not _covered(code, fonts) and (body := glyph(code)):
            lines.append(r"\DeclareTextCommand{%s}{TU}{%s}" % (command, body))
    head = [r"\newfontfamily%s{%s}" % (cmd, fam) for fam, cmd in families.items()]
    return "\n".join(["% characters a font lacks, from fallback fonts (written by reprobook.latexbook)",
                      *head, *lines]) + "\n", lost


def write_fallback(outdir: Path, fonts: dict) -> list[str]:
    """Write FALLBACK_FILE next to the .tex files of `outdir`; return characters no font has."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(outdir.glob("*.tex")) if p.name != FALLBACK_FILE)
    latex, lost = fallback_latex(needs_fallback(text, fonts), fonts)
    (outdir / FALLBACK_FILE).write_text(latex, encoding="utf-8")
    return lost


# ---------------------------------------------------------------------------- Sphinx glue

def book_fonts(config) -> dict:
    """The fonts of the book: FONTS under the project's `reprobook_pdf: {fonts: ...}`."""
    user = (getattr(config, "reprobook_pdf", None) or {}).get("fonts", {})
    return {**FONTS, **user}


def configure(app, config) -> None:
    """config-inited: XeLaTeX and the defaults above, under whatever the project set itself."""
    if config.latex_engine not in ("xelatex", "lualatex"):
        config.latex_engine = "xelatex"  # pdflatex cannot set Cyrillic or most of Unicode
    meta = read_citation(Path(app.srcdir))
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    author_date = getattr(config, "bibtex_reference_style", "") == "author_date"
    ours = latex_defaults(meta, book_fonts(config), config.language or "en", author_date, long_date(epoch))
    user = dict(config.latex_elements or {})
    merged = {**ours, **{k: v for k, v in user.items() if k != "preamble"}}
    merged["preamble"] = ours["preamble"] + ("\n" + user["preamble"] if user.get("preamble") else "")
    config.latex_elements = merged
    config.latex_use_xindy = False
    config.latex_show_urls = "no"


def refuse_jupyterbook_latex(app) -> None:
    """builder-inited: Jupyter Book's LaTeX extension replaces the class, fonts and title page."""
    if app.builder.name == "latex" and "sphinx_jupyterbook_latex" in app.extensions:
        from sphinx.errors import ConfigError

        raise ConfigError("reprobook lays out the PDF itself: set `latex: use_jupyterbook_latex: false` in _config.yml")


def finish(app, exc) -> None:
    """build-finished: after the LaTeX builder wrote the .tex files, the font fallback file."""
    if exc is None and app.builder.name == "latex":
        write_fallback(Path(app.outdir), book_fonts(app.config))


def setup(app):
    app.add_config_value("reprobook_pdf", {}, "env")
    app.connect("config-inited", configure, priority=800)
    app.connect("builder-inited", refuse_jupyterbook_latex)
    app.connect("build-finished", finish)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
