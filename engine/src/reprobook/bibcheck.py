r"""Bibliography checks (bibtexparser 2): syntax, duplicates, cited keys, required fields, DOI/URL form,
cross-references.

Entries holding the field `incomplete` (the documented marker for entries that a source
supports only in part, e.g. an author-year citation) are exempt from the required-field
rule and listed in the report instead, never padded.

`crossref` is resolved as BibTeX does: an entry inherits every field it lacks from the entry it
names (one level; BibTeX allows no nesting), and the required fields are checked on the result.
The book's bibliography is rendered by pybtex (through sphinxcontrib-bibtex, for HTML and PDF
alike), which does not resolve `crossref`: an entry that would inherit fields is therefore
rejected, and the message lists the exact fields to copy into it.

DOI and URL fields are verbatim (they become links as written): LaTeX escapes such as `\_` or
`\%` break the link, so they are rejected with the unescaped value to write instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BibliographyError, Problem
from .paths import Paths

INCOMPLETE_FIELD = "incomplete"
REQUIRED = {
    "article": [("author",), ("title",), ("journal",), ("year",)],
    "book": [("author", "editor"), ("title",), ("publisher",), ("year",)],
    "incollection": [("author",), ("title",), ("booktitle",), ("publisher",), ("year",)],
    "inproceedings": [("author",), ("title",), ("booktitle",), ("year",)],
    "phdthesis": [("author",), ("title",), ("school",), ("year",)],
    "mastersthesis": [("author",), ("title",), ("school",), ("year",)],
    "techreport": [("author",), ("title",), ("institution",), ("year",)],
    "unpublished": [("author",), ("title",), ("note",)],
    "misc": [("author", "title", "howpublished", "note")],
}
VERBATIM = ("doi", "url")
# LaTeX spellings of characters that DOIs and URLs hold as themselves
LATEX_ESCAPES = [(r"\textunderscore{}", "_"), (r"\textunderscore", "_"), (r"{\_}", "_"), (r"\_", "_"),
                 (r"{\%}", "%"), (r"\%", "%"), (r"\&", "&"), (r"\#", "#"), (r"\$", "$"),
                 (r"{\textasciitilde}", "~"), (r"\textasciitilde{}", "~"), (r"\textasciitilde", "~"),
                 (r"\~{}", "~"), (r"$\sim$", "~"), (r"\slash{}", "/"), (r"\slash", "/")]
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
URL = re.compile(r"^https?://[^\s{}<>\"]+$")
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


@dataclass
class BibReport:
    entries: int
    cited: dict[str, list[str]]  # key -> places (file:line)
    uncited: list[str]
    incomplete: list[tuple[str, str]]
    problems: list[Problem]

    def markdown(self) -> str:
        lines = ["# Bibliography report", "", f"- entries: {self.entries}", f"- cited keys: {len(self.cited)}",
                 f"- entries never cited: {len(self.uncited)}", f"- entries marked incomplete: {len(self.incomplete)}",
                 f"- errors: {len(self.problems)}", ""]
        if self.problems:
            lines += ["## Errors", ""] + [f"- {p.render()}" for p in self.problems] + [""]
        lines += ["## Entries marked incomplete", "", "| key | what is missing |", "|---|---|"]
        lines += [f"| {k} | {why} |" for k, why in self.incomplete]
        lines += ["", "## Entries never cited", ""] + [f"- {k}" for k in self.uncited]
        return "\n".join(lines) + "\n"


def unescape_latex(value: str) -> str:
    """`value` with the LaTeX escapes of LATEX_ESCAPES replaced by the characters they stand for
    and an enclosing \\url{...} removed; other markup is left in place."""
    m = re.fullmatch(r"\\url\{(.*)\}", value.strip())
    if m:
        value = m.group(1)
    for latex, char in LATEX_ESCAPES:
        value = value.replace(latex, char)
    return value


def resolve_crossrefs(entries: dict[str, dict[str, str]]) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]],
                                                                   dict[str, str]]:
    """Fields of each entry after BibTeX's `crossref` inheritance.

    entries: key -> {field (lower case): value}. Returns (resolved fields per key, inherited
    fields per key (only entries that inherit something), problem per key: the cross-referenced
    key is missing or itself cross-references (BibTeX allows one level)). Keys match
    case-insensitively, as in BibTeX.
    """
    by_lower = {k.lower(): k for k in entries}
    resolved, inherited, problems = {}, {}, {}
    for key, fields in entries.items():
        parent_key = fields.get("crossref", "").strip()
        if not parent_key:
            resolved[key] = fields
            continue
        parent = by_lower.get(parent_key.lower())
        if parent is None:
            problems[key] = f"crossref = {{{parent_key}}}, but no entry has the key '{parent_key}'"
            resolved[key] = fields
            continue
        if entries[parent].get("crossref"):
            problems[key] = (f"crossref = {{{parent_key}}}, which itself cross-references "
                             f"'{entries[parent]['crossref']}'; BibTeX resolves one level only")
        gained = {f: v for f, v in entries[parent].items() if f not in fields and f != "crossref"}
        if gained:
            inherited[key] = gained
        resolved[key] = {**gained, **fields}
    return resolved, inherited, problems


def _verbatim_problems(rel: str, key: str, fields: dict[str, str], line: int) -> list[Problem]:
    """DOI and URL of one entry: no LaTeX markup, a bare DOI, an http(s) URL."""
    problems = []
    for name in VERBATIM:
        value = fields.get(name)
        if not value:
            continue
        rule = f"{name.upper()} syntax"
        if "\\" in value or "{" in value:
            plain = unescape_latex(value)
            fix = (f"write {name} = {{{plain}}}: DOI and URL fields are taken as written, without LaTeX escapes"
                   if "\\" not in plain and "{" not in plain else
                   "remove the LaTeX markup: DOI and URL fields are taken as written")
            problems.append(Problem(rel, f"entry '{key}': {name.upper()} '{value}' holds LaTeX markup, which would "
                                    "break its link", rule, line, None, fix))
        elif name == "doi" and not DOI.match(value):
            bare = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", value, flags=re.I)
            fix = (f"write doi = {{{bare}}}, the bare DOI" if DOI.match(bare) else
                   "write the bare DOI (10.NNNN/suffix) without https://doi.org/")
            problems.append(Problem(rel, f"entry '{key}': DOI '{value}' is not of the form 10.NNNN/suffix", rule, line,
                                    None, fix))
        elif name == "url" and not URL.match(value):
            problems.append(Problem(rel, f"entry '{key}': URL '{value}' is not an http(s) address", rule, line, None,
                                    "write the full address starting with https://"))
    return problems


def citations(book: Path, root: Path) -> dict[str, list[str]]:
    cited: dict[str, list[str]] = {}
    for md in sorted(book.rglob("*.md")):
        for n, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
            for m in CITE.finditer(line):
                for key in m.group(1).split(","):
                    cited.setdefault(key.strip(), []).append(f"{md.relative_to(root).as_posix()}:{n}")
    return cited


def analyse(bib: Path, book: Path, root: Path) -> BibReport:
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock

    rel = bib.relative_to(root).as_posix() if bib.is_relative_to(root) else str(bib)
    problems: list[Problem] = []
    if not bib.is_file():
        raise BibliographyError(f"{rel} not found. A book without a bibliography needs none: the build checks "
                                "citations only when this file exists (then also remove bibtex_bibfiles from "
                                "_config.yml and every {cite} role from the book)")
    try:
        text = bib.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BibliographyError(f"{rel} is not UTF-8 text; save it as UTF-8") from None
    lib = bibtexparser.parse_string(text)
    for block in lib.failed_blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(Problem(rel, f"duplicate key '{block.key}'", "unique keys", line, None,
                                    "give each entry its own key, or delete the duplicate"))
        else:
            err = getattr(block, "error", "")
            problems.append(Problem(rel, f"cannot parse this entry: {err}", "BibTeX syntax", line, None,
                                    "check braces, commas and quotes of the entry starting here"))
    keys = {}
    incomplete = []
    raw = {e.key: {f.key.lower(): str(f.value).strip() for f in e.fields} for e in lib.entries}
    resolved, inherited, xref_problems = resolve_crossrefs(raw)
    for e in lib.entries:
        line = (e.start_line or 0) + 1
        keys[e.key] = line
        fields = resolved[e.key]
        if e.key in xref_problems:
            problems.append(Problem(rel, f"entry '{e.key}': {xref_problems[e.key]}", "crossref", line, None,
                                    "write the fields into the entry itself and delete its crossref line"))
        elif e.key in inherited:
            copy_ = ", ".join(f"{f} = {{{v}}}" for f, v in inherited[e.key].items())
            problems.append(Problem(rel, f"entry '{e.key}' inherits {', '.join(inherited[e.key])} through crossref "
                                    f"= {{{raw[e.key]['crossref']}}}, which the book's bibliography (pybtex) does not "
                                    "resolve", "crossref", line, None,
                                    f"copy into '{e.key}': {copy_}; then delete its crossref line"))
        if INCOMPLETE_FIELD in fields:
            incomplete.append((e.key, fields[INCOMPLETE_FIELD]))
        else:
            for alternatives in REQUIRED.get(e.entry_type.lower(), []):
                if not any(fields.get(a) for a in alternatives):
                    problems.append(Problem(rel, f"entry '{e.key}' (@{e.entry_type}) lacks required field "
                                            f"{' or '.join(alternatives)}", "required fields", line, None,
                                            f"add it from the source, or, if no source gives it, add the field "
                                            f"'{INCOMPLETE_FIELD} = {{what is missing}}' instead of inventing it"))
        problems += _verbatim_problems(rel, e.key, raw[e.key], line)
    cited = citations(book, root)
    for key, places in sorted(cited.items()):
        if key not in keys:
            problems.append(Problem(places[0].split(":")[0], f"cites '{key}', which is not in {rel}", "cited keys exist",
                                    int(places[0].split(":")[1]), None,
                                    f"add an entry '{key}' to {rel} or fix the key (also cited at: "
                                    f"{', '.join(places[1:]) or 'nowhere else'})"))
    uncited = sorted(k for k in keys if k not in cited)
    return BibReport(len(lib.entries), cited, uncited, sorted(incomplete), problems)


def check(paths: Paths, report: bool = False) -> BibReport:
    rep = analyse(paths.bib, paths.book, paths.root)
    out = paths.build / "bib" / "report.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(rep.markdown(), encoding="utf-8")
    if rep.problems:
        raise BibliographyError(f"{len(rep.problems)} problem(s) in the bibliography or the citations; "
                                f"nothing was run (report: {paths.rel(out)})", rep.problems)
    if report:
        print(f"bibliography: {rep.entries} entries, {len(rep.cited)} cited, {len(rep.uncited)} never cited, "
              f"{len(rep.incomplete)} marked incomplete (report: {paths.rel(out)})")
    return rep
