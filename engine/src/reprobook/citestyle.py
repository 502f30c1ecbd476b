"""Author-date citations as political science and area studies write them (Chicago author-date).

In the text (sphinxcontrib-bibtex referencing style ``author_date``)::

    {cite:t}`kviklys_hedging`            Kviklys (2026)
    {cite:p}`kviklys_hedging`            (Kviklys 2026)
    {cite:p}`contessi2018,munir2024`     (Contessi 2018; Munir and Safdar 2024)
    {cite:p}`{see}kviklys_hedging{14}`   (see Kviklys 2026, 14)
    {cite:author}` / {cite:year}`        Kviklys / 2026

The reference list (pybtex formatting style ``author_date``) follows The Chicago Manual of Style,
17th ed., ch. 15: first author inverted, the year after the names, titles of parts in quotation
marks and of whole works in italics, sorted by author, then year, then title, with letters after
the year telling apart the works of one author in one year (2023a, 2023b; "n.d.-a" for undated
works). A work without author or editor is cited and sorted by its organisation, title or journal
(CMOS 15.32, 15.47), or by its ``shortauthor`` field when it has one. An entry carrying the field
``incomplete`` ends with a bracketed note saying what is missing, so that a reader never takes a
partial reference for a full one.

Both styles are entry points of the engine distribution (``pybtex.style.formatting``,
``pybtex.style.labels``, ``pybtex.style.sorting`` and ``sphinxcontrib.bibtex.style.referencing``,
each named ``author_date``); a book selects them in its configuration::

    bibtex_default_style: author_date
    bibtex_reference_style: author_date

The label of an entry is "<author part> <year><suffix>" (e.g. "Suorsa 2017a"). It is unique by
construction, and the year shown in the text and in the list is read back from it, so that the
suffix printed in a citation always matches the one in the reference list.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from pybtex.richtext import BaseMultipartText, HRef, String, Tag, Text
from pybtex.style import FormattedEntry
from pybtex.style.formatting import BaseStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle
from pybtex.style.template import node
from sphinxcontrib.bibtex.style.referencing import BaseReferenceStyle, BracketStyle, GroupReferenceStyle
from sphinxcontrib.bibtex.style.referencing.extra_author import ExtraAuthorReferenceStyle
from sphinxcontrib.bibtex.style.referencing.extra_empty import ExtraEmptyReferenceStyle
from sphinxcontrib.bibtex.style.referencing.extra_label import ExtraLabelReferenceStyle
from sphinxcontrib.bibtex.style.referencing.extra_year import ExtraYearReferenceStyle
from sphinxcontrib.bibtex.style.template import join, join2, post_text, pre_text, reference

INCOMPLETE_FIELD = "incomplete"
ET_AL_IN_TEXT = 4       # CMOS 15.29: four or more authors are cited as "First et al."
LIST_AT_MOST = 10       # CMOS 15.9: more than ten authors: the first seven, then "et al."
LIST_SHOWN_IF_MORE = 7
NO_DATE = "n.d."
UNKNOWN_AUTHOR = "[Author unknown]"
# titles set in quotation marks (parts of something larger or unpublished) versus in italics
QUOTED_TITLE_TYPES = {"article", "incollection", "inproceedings", "inbook", "misc", "unpublished",
                      "phdthesis", "mastersthesis", "online", "conference"}
ARTICLES = ("the ", "a ", "an ")


# ---------------------------------------------------------------------------- names and parts

def _rich(entry, name: str) -> Text:
    return Text.from_latex(entry.fields[name])


def _persons(entry) -> tuple[str | None, list]:
    """The persons a work is cited by: its authors, else its editors."""
    for role in ("author", "editor"):
        if entry.persons.get(role):
            return role, list(entry.persons[role])
    return None, []


def _last(person) -> Text:
    return Text(" ").join([*person.rich_prelast_names, *person.rich_last_names])


def _given(person) -> Text:
    return Text(" ").join([*person.rich_first_names, *person.rich_middle_names])


def _inverted(person) -> Text:
    """Last, First Middle[, Jr.]"""
    parts = [_last(person)]
    if person.rich_first_names or person.rich_middle_names:
        parts.append(_given(person))
    if person.rich_lineage_names:
        parts.append(Text(" ").join(person.rich_lineage_names))
    return Text(", ").join(parts)


def _direct(person) -> Text:
    """First Middle Last[, Jr.]"""
    words = [*person.rich_first_names, *person.rich_middle_names, _last(person)]
    text = Text(" ").join(words)
    if person.rich_lineage_names:
        text = Text(text, ", ", Text(" ").join(person.rich_lineage_names))
    return text


def _and_join(items: list[Text], serial_two: bool = False) -> Text:
    """A; A and B (or A, and B when the first is inverted); A, B, and C."""
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return Text(items[0], ", and " if serial_two else " and ", items[1])
    return Text(Text(", ").join(items[:-1]), ", and ", items[-1])


INNER_QUOTES = str.maketrans({"\u201c": "\u2018", "\u201d": "\u2019", '"': "\u2019"})


def _translate(text, table):
    """`text` with `str.translate(table)` applied to every string in it, markup kept."""
    if isinstance(text, String):
        return String(text.value.translate(table))
    if isinstance(text, BaseMultipartText):
        return text._create_similar(_translate(p, table) for p in text.parts)
    return text


def _title(entry) -> Text:
    """The title, in quotation marks or italics by the kind of work, closed by a period
    (inside the quotation marks, CMOS 6.9)."""
    title = _rich(entry, "title")
    if entry.type in QUOTED_TITLE_TYPES:
        return Text("\u201c", _translate(title, INNER_QUOTES).add_period(), "\u201d")
    return Text(Tag("em", title)).add_period()


def _bare_title(entry) -> Text:
    title = _rich(entry, "title")
    if entry.type in QUOTED_TITLE_TYPES:
        return Text("\u201c", _translate(title, INNER_QUOTES), "\u201d")
    return Text(Tag("em", title))


def _anonymous_lead(entry) -> tuple[Text | None, str | None]:
    """What stands for the author of a work without one, and the field it came from (CMOS 15.32,
    15.47): an organisation, the title, or the journal or medium. (None, None) when nothing does."""
    for name in ("organization", "institution"):
        if entry.fields.get(name):
            return _rich(entry, name), name
    if entry.fields.get("title"):
        return _bare_title(entry), "title"
    if entry.fields.get("journal"):
        return Text(Tag("em", _rich(entry, "journal"))), "journal"
    for name in ("howpublished", "publisher"):
        if entry.fields.get(name):
            return _rich(entry, name), name
    return None, None


def cite_author(entry, full: bool = False) -> Text:
    """The author part of an in-text citation: "Kviklys", "Munir and Safdar", "Chafetz, Spirtas,
    and Frankel", "Kuchins et al." (the full list when `full`), else the organisation, title or
    journal of an anonymous work, else "[Author unknown]". An entry's ``shortauthor`` field
    (biblatex's name for it) replaces all of these except with `full`."""
    if entry.fields.get("shortauthor") and not full:
        return _rich(entry, "shortauthor")
    _, persons = _persons(entry)
    if persons:
        lasts = [_last(p) for p in persons]
        if len(lasts) >= ET_AL_IN_TEXT and not full:
            return Text(lasts[0], " et al.")
        return _and_join(lasts)
    lead, _ = _anonymous_lead(entry)
    return lead if lead is not None else Text(UNKNOWN_AUTHOR)


def entry_year(entry) -> str:
    """The year as printed ("2026"), or "n.d." for an undated work."""
    year = entry.fields.get("year", "").strip()
    return year if year else NO_DATE


def year_suffix(year: str, index: int) -> str:
    """The letter that tells apart works of one author in one year: 2023a, 2023b; n.d.-a."""
    letter = _letters(index)
    return f"{year}-{letter}" if year == NO_DATE else f"{year}{letter}"


def _letters(index: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa, ..."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def year_of_label(label: str) -> str:
    """The year with its suffix, read back from an "author year" label."""
    return label.rpartition(" ")[2]


def _fold(text: str) -> str:
    """A sort key for text: accents removed, case folded, leading punctuation and articles dropped."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    plain = plain.casefold().lstrip("\u201c\u201d\"'[(*_ ")
    for art in ARTICLES:
        if plain.startswith(art):
            return plain[len(art):]
    return plain


# ---------------------------------------------------------------------------- pybtex plugins

class AuthorDateSortingStyle(BaseSortingStyle):
    """Alphabetical by the names a work is cited by (each author's last then given names), then
    year (undated last), then title; works without any author part go last."""

    def sorting_key(self, entry):
        _, persons = _persons(entry)
        if persons:
            who = tuple((_fold(str(_last(p))), _fold(str(_given(p)))) for p in persons)
            unknown = 0
        else:
            lead, _ = _anonymous_lead(entry)
            unknown = int(lead is None)
            who = ((_fold(str(lead)) if lead is not None else "", ""),)
        year = entry_year(entry)
        year_key = (0, int(year), "") if year.isdigit() else (1, 0, year)
        title = _fold(entry.fields.get("title", ""))
        return (unknown, who, year_key, title, entry.key)


class AuthorDateLabelStyle(BaseLabelStyle):
    """Labels "<author part> <year><suffix>", with suffixes only where one author part has
    several works in one year, lettered in the order of the sorted list."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        bases = [(cite_author(e).render_as("text"), entry_year(e)) for e in entries]
        counts = Counter(bases)
        seen: dict[tuple[str, str], int] = defaultdict(int)
        for who, year in bases:
            if counts[(who, year)] > 1:
                shown = year_suffix(year, seen[(who, year)])
                seen[(who, year)] += 1
            else:
                shown = year
            yield f"{who} {shown}"


class AuthorDateStyle(BaseStyle):
    """The reference list in Chicago author-date form (see the module docstring)."""

    default_name_style = "plain"
    default_label_style = "author_date"
    default_sorting_style = "author_date"

    def format_labels(self, sorted_entries):  # explicit, so that the label style cannot be swapped
        return AuthorDateLabelStyle().format_labels(sorted_entries)

    def sort(self, entries):
        return AuthorDateSortingStyle().sort(entries)

    def format_entry(self, label, entry, bib_data=None):
        return FormattedEntry(entry.key, reference_text(entry, year_of_label(label)), label)


def _names_block(entry) -> tuple[Text, str | None]:
    """The list's lead: the names (first inverted), else the stand-in of an anonymous work.
    Returns the block and the field used up as the lead (None for names)."""
    role, persons = _persons(entry)
    if persons:
        if len(persons) > LIST_AT_MOST:
            names = [_inverted(persons[0])] + [_direct(p) for p in persons[1:LIST_SHOWN_IF_MORE]]
            text = Text(Text(", ").join(names), ", et al.")
        else:
            names = [_inverted(persons[0])] + [_direct(p) for p in persons[1:]]
            inverted = bool(persons[0].rich_first_names or persons[0].rich_middle_names)
            text = _and_join(names, serial_two=inverted)
        if role == "editor":
            text = Text(text, ", eds." if len(persons) > 1 else ", ed.")
        return text.add_period(), None
    lead, source = _anonymous_lead(entry)
    if lead is None:
        return Text(UNKNOWN_AUTHOR).add_period(), None
    if source == "title":
        return _title(entry), source
    return lead.add_period(), source


def _opt(entry, name: str) -> Text | None:
    return _rich(entry, name) if entry.fields.get(name) else None


def _pages(entry) -> str | None:
    pages = entry.fields.get("pages")
    return pages.replace("--", "\u2013") if pages else None


def _place_publisher(entry, publisher_field: str = "publisher") -> Text | None:
    place, pub = _opt(entry, "address"), _opt(entry, publisher_field)
    if place and pub:
        return Text(place, ": ", pub)
    return pub or place


def _container(entry, journal_as_lead: bool = False) -> list[Text]:
    """What a work is part of and who published it, as sentences without their final period.
    The journal's name is left out when it already stands for the author."""
    t, f = entry.type, entry.fields
    out: list[Text] = []
    if t == "article" or f.get("journal"):
        # Journal Volume (Number): pages
        issue = []
        if f.get("volume"):
            issue.append(_rich(entry, "volume"))
        if f.get("number"):
            issue.append(Text("(", _rich(entry, "number"), ")"))
        head = [Text(Tag("em", _rich(entry, "journal")))] if f.get("journal") and not journal_as_lead else []
        head += issue
        text = Text(" ").join(head)
        if _pages(entry):
            text = Text(text, ": " if issue else ", ", _pages(entry)) if head else Text(_pages(entry))
        if head or _pages(entry):
            out.append(text)
    elif t in ("incollection", "inproceedings", "inbook", "conference"):
        inner = [Text("In ", Tag("em", _rich(entry, "booktitle")))] if f.get("booktitle") else []
        if entry.persons.get("editor") and entry.persons.get("author"):
            inner.append(Text("edited by ", _and_join([_direct(p) for p in entry.persons["editor"]])))
        if _pages(entry):
            inner.append(Text(_pages(entry)))
        if inner:
            out.append(Text(", ").join(inner))
        pp = _place_publisher(entry)
        if pp:
            out.append(pp)
    elif t in ("phdthesis", "mastersthesis"):
        kind = "PhD diss." if t == "phdthesis" else "Master's thesis"
        school = _opt(entry, "school")
        out.append(Text(kind, ", ", school) if school else Text(kind))
    elif t == "techreport":
        kind = Text(_opt(entry, "type") or "Report", " ", _rich(entry, "number")) if f.get("number") else _opt(entry, "type")
        if kind:
            out.append(kind)
        pp = _place_publisher(entry, "institution")
        if pp:
            out.append(pp)
    else:  # book, manual, proceedings, misc, online, unpublished, ...
        if f.get("edition"):
            ed = _rich(entry, "edition")
            out.append(ed if "ed" in str(ed).lower() else Text(ed, " ed"))
        for name in ("series", "howpublished"):
            if f.get(name):
                out.append(_rich(entry, name))
        pp = _place_publisher(entry) if t != "manual" else _opt(entry, "organization")
        if pp:
            out.append(pp)
    return out


def reference_text(entry, year: str) -> Text:
    """One entry of the reference list (pybtex rich text; `year` carries its suffix)."""
    lead, used = _names_block(entry)
    blocks: list[Text] = [lead, Text(year).add_period()]
    if entry.fields.get("title") and used != "title":
        blocks.append(_title(entry))
    blocks += [b.add_period() for b in _container(entry, journal_as_lead=used == "journal") if str(b).strip()]
    if entry.fields.get("note"):
        blocks.append(_rich(entry, "note").add_period())
    doi, url = entry.fields.get("doi"), entry.fields.get("url")
    if doi:
        link = doi if doi.startswith("http") else f"https://doi.org/{doi}"
        blocks.append(Text(HRef(link, String(link)), "."))
    elif url:
        blocks.append(Text(HRef(url, String(url)), "."))
    if entry.fields.get(INCOMPLETE_FIELD):
        blocks.append(Text("[Incomplete reference: ", _rich(entry, INCOMPLETE_FIELD).add_period(), "]"))
    return Text(" ").join(blocks)


# ---------------------------------------------------------------------------- in-text references



@node
def cited_author(children, data, full=False):
    """Node: the author part of the cited entry."""
    assert not children
    return cite_author(data["entry"], full=full)


@node
def cited_year(children, data):
    """Node: the year of the cited entry with the suffix its reference list entry carries."""
    assert not children
    return Text(year_of_label(data["formatted_entry"].label))


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep="; ")


def _textual_brackets() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep=", ", sep2=" and ", last_sep=", and ")


@dataclass
class AuthorDateParenthetical(BaseReferenceStyle):
    """{cite:p} -> (Kviklys 2026); {cite:ps} with every author; {cite:alp} without parentheses."""

    bracket: BracketStyle = field(default_factory=_round)
    pre_text_sep: str = " "
    post_text_sep: str = ", "

    def role_names(self) -> Iterable[str]:
        return [f"{alt}p{full}" for alt in ("", "al") for full in ("", "s")]

    def outer(self, role_name, children):
        return self.bracket.outer(children, brackets="al" not in role_name, capfirst=False)

    def inner(self, role_name):
        return join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
            pre_text, reference[join(sep=" ")[cited_author(full="s" in role_name), cited_year]], post_text]


@dataclass
class AuthorDateTextual(BaseReferenceStyle):
    """{cite:t} -> Kviklys (2026); {cite:ct} capitalises the first letter."""

    bracket: BracketStyle = field(default_factory=_textual_brackets)
    pre_text_sep: str = " "
    post_text_sep: str = ", "

    def role_names(self) -> Iterable[str]:
        return [f"{cap}t{full}" for cap in ("", "c") for full in ("", "s")]

    def outer(self, role_name, children):
        return self.bracket.outer(children, brackets=False, capfirst="c" in role_name)

    def inner(self, role_name):
        return join(sep=" ")[
            cited_author(full="s" in role_name),
            join["(", join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[pre_text, reference[cited_year], post_text], ")"],
        ]


@dataclass
class AuthorDateAuthorOnly(ExtraAuthorReferenceStyle):
    """{cite:author} -> Kviklys."""

    def inner(self, role_name):
        return reference[cited_author(full="s" in role_name)]


@dataclass
class AuthorDateYearOnly(ExtraYearReferenceStyle):
    """{cite:year} -> 2026 (with its suffix)."""

    def inner(self, role_name):
        return reference[cited_year]


@dataclass
class AuthorDateReferenceStyle(GroupReferenceStyle):
    """The sphinxcontrib-bibtex referencing style ``author_date`` (see the module docstring)."""

    def __post_init__(self):
        self.styles.extend([
            AuthorDateParenthetical(),
            AuthorDateTextual(),
            AuthorDateAuthorOnly(bracket=_round()),
            AuthorDateYearOnly(bracket=_round()),
            ExtraLabelReferenceStyle(bracket=_round()),
            ExtraEmptyReferenceStyle(),
        ])
        super().__post_init__()


# ---------------------------------------------------------------------------- Sphinx glue

STATIC = Path(__file__).parent / "static"
CSS = "reprobook-citations.css"


def _html_assets(app, config) -> None:
    """config-inited: an author-date book hides the reference list's labels in HTML."""
    if getattr(config, "bibtex_reference_style", "") == "author_date":
        config.html_static_path = [*config.html_static_path, str(STATIC)]
        app.add_css_file(CSS)


def setup(app):
    app.connect("config-inited", _html_assets)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
