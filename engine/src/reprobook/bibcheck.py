"""Bibliography checks (bibtexparser 2): syntax, duplicates, cited keys, required fields, DOI/URL form.

Entries holding the field `incomplete` (the documented marker for entries that a source
supports only in part, e.g. an author-year citation) are exempt from the required-field
rule and listed in the report instead, never padded.
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
        raise BibliographyError(f"{rel} not found; the book's bibliography must be there")
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
    for e in lib.entries:
        line = (e.start_line or 0) + 1
        keys[e.key] = line
        fields = {f.key.lower(): str(f.value).strip() for f in e.fields}
        if INCOMPLETE_FIELD in fields:
            incomplete.append((e.key, fields[INCOMPLETE_FIELD]))
        else:
            for alternatives in REQUIRED.get(e.entry_type.lower(), []):
                if not any(fields.get(a) for a in alternatives):
                    problems.append(Problem(rel, f"entry '{e.key}' (@{e.entry_type}) lacks required field "
                                            f"{' or '.join(alternatives)}", "required fields", line, None,
                                            f"add it from the source, or, if no source gives it, add the field "
                                            f"'{INCOMPLETE_FIELD} = {{what is missing}}' instead of inventing it"))
        if "doi" in fields and not DOI.match(fields["doi"]):
            problems.append(Problem(rel, f"entry '{e.key}': DOI '{fields['doi']}' is not of the form 10.NNNN/suffix",
                                    "DOI syntax", line, None, "write the bare DOI without https://doi.org/"))
        if "url" in fields and not URL.match(fields["url"]):
            problems.append(Problem(rel, f"entry '{e.key}': URL '{fields['url']}' is not an http(s) address",
                                    "URL syntax", line, None, "write the full address starting with https://"))
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
