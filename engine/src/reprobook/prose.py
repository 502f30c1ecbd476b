"""The book's prose as text: sentences, the values they show, and how they read with given values.

Pure functions over the MyST source of a page, shared by the claims check (which quotes the
sentence that cites a claim) and the impact report (which quotes every sentence showing a value
that moved, with the old and the new numbers). A "passage" is a sentence of running text, or one
option line (a caption, a header list) of a directive such as ``{result-table}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CLAIM_ROLE = re.compile(r"\{claim\}`([^`]+)`")
VALUE_ROLE = re.compile(r"\{value\}`([^`.]+)(?:\.([a-z_]+))?`")
OTHER_ROLE = re.compile(r"\{([a-z:-]+)\}`([^`<]*?)(?:\s*<([^>]*)>)?`")
# the end of a sentence: its mark, roles that follow it (a claim's mark), space, then a capital,
# a parenthesis, a quote or a role
SENTENCE_END = re.compile(r"[.!?](?:\{[a-z:-]+\}`[^`]*`)*(?=\s+[A-Z(\"'\u201c{])")
LIST_MARK = re.compile(r"^(?:[-*+]|\d+\.)\s+")
BLOCK_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*+]|\d+\.)[ \t])")  # paragraphs and list items
FENCE = re.compile(r"^(```+|~~~+)\{?([a-z:-]*)\}?[^\n]*\n.*?^\1[ \t]*$", re.M | re.S)
OPTION = re.compile(r"^:([a-z-]+):[ \t]*(.*)$")


def _block(text: str, start: int) -> tuple[int, int]:
    """(start, end) of the paragraph or list item holding the character at `start`."""
    begin, end = 0, len(text)
    for m in BLOCK_BREAK.finditer(text):
        if m.end() <= start:
            begin = m.end()
        elif m.start() >= start:
            end = m.start()
            break
    return begin, end


def sentence_at(text: str, start: int) -> str:
    """The sentence (within its paragraph or list item) holding the character at `start`, on one line."""
    para_start, para_end = _block(text, start)
    para = text[para_start:para_end]
    offset = start - para_start
    begin = 0
    for m in SENTENCE_END.finditer(para):
        if m.end() > offset:
            return LIST_MARK.sub("", " ".join(para[begin:m.end()].split()))
        begin = m.end()
    return LIST_MARK.sub("", " ".join(para[begin:].split()))


@dataclass(frozen=True)
class Passage:
    """A sentence of a page (or a directive's option line): its line (1-based), the text as
    written, and the values it shows."""

    line: int
    text: str
    values: tuple[str, ...]
    where: str = ""  # "" for running text; else e.g. "caption of result-table trade_table4_growth"


def passages(text: str) -> list[Passage]:
    """Every passage of a page that shows a value ({value} role), in page order, each once."""
    fenced = [(m.start(), m.end(), m) for m in FENCE.finditer(text)]
    out: list[Passage] = []
    seen: set[tuple[int, str]] = set()
    for m in VALUE_ROLE.finditer(text):
        start = m.start()
        block = next((f for f in fenced if f[0] <= start < f[1]), None)
        if block is not None:
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", start)
            line = text[line_start: line_end if line_end >= 0 else len(text)]
            opt = OPTION.match(line)
            head = text[block[0]: text.find("\n", block[0])]
            directive = re.match(r"^`+\{([a-z:-]+)\}\s*(\S*)", head)
            what = f"{directive.group(1)} {directive.group(2)}".strip() if directive else "directive"
            where = f"{opt.group(1) if opt else 'body'} of {what}"
            passage = (opt.group(2) if opt else line).strip()
        else:
            where, passage = "", sentence_at(text, start)
            line_start = _block(text, start)[0]  # one passage per sentence of a paragraph
        key = (line_start, passage)
        if key in seen:
            continue
        seen.add(key)
        names = tuple(dict.fromkeys(n for n, _ in VALUE_ROLE.findall(passage)))
        out.append(Passage(text.count("\n", 0, start) + 1, passage, names, where))
    return out


def _role_text(m: re.Match) -> str:
    """What another role shows, near enough for a report: a citation as [key], a reference by its label."""
    role, content, target = m.group(1), m.group(2).strip(), m.group(3)
    if role.startswith("cite"):
        return "[" + content.replace(",", ", ") + "]"
    if role in ("numref", "ref", "doc", "eq"):
        return content if target else content.replace("tbl-", "Table ").replace("fig-", "Figure ")
    return content


def segments(sentence: str, values: dict[str, Any]) -> list[tuple[str, str | None]]:
    """`sentence` as text pieces: (text, None) for prose, (text, value name) for what a {value}
    role shows with `values` (results/values.json as parsed); claim roles are dropped, other
    roles replaced by their text. A value or facet that `values` lacks shows as [name?]."""
    sentence = CLAIM_ROLE.sub("", sentence)
    out: list[tuple[str, str | None]] = []
    pos = 0
    for m in VALUE_ROLE.finditer(sentence):
        if m.start() > pos:
            out.append((OTHER_ROLE.sub(_role_text, sentence[pos: m.start()]), None))
        name, facet = m.group(1), m.group(2)
        entry = values.get(name)
        if entry is None:
            shown = f"[{name}?]"
        elif facet == "unit":
            shown = str(entry.get("unit") or f"[{name}.unit?]")
        elif facet:
            shown = str((entry.get("about") or {}).get(facet, f"[{name}.{facet}?]"))
        else:
            shown = str(entry.get("display", entry.get("value")))
        out.append((shown, name))
        pos = m.end()
    out.append((OTHER_ROLE.sub(_role_text, sentence[pos:]), None))
    # one line, single spaces
    joined: list[tuple[str, str | None]] = []
    for text, name in out:
        text = re.sub(r"\s+", " ", text)
        if text:
            joined.append((text, name))
    if joined:
        joined[0] = (joined[0][0].lstrip(), joined[0][1])
        joined[-1] = (joined[-1][0].rstrip(), joined[-1][1])
    return joined


def render_sentence(sentence: str, values: dict[str, Any]) -> str:
    """A sentence with its {value} roles replaced by the values' display forms (facets by what
    the value is about), claim roles dropped and other roles replaced by their text."""
    return "".join(text for text, _ in segments(sentence, values))
