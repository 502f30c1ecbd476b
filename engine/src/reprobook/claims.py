"""Claims as tests: statements of the book that its data must keep true.

A notebook states a claim about its results with `nb.save_claim(name, holds, statement,
values=[...])` and declares it under the job's `outputs: claims:`; a page cites it with the role
``{claim}`name``` next to the sentence that makes it. A build whose data makes a cited claim
false stops before anything is published, naming the claim, its statement, the values involved
and the sentence, so that the text and the data can never silently disagree.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ClaimError, ConfigError, Problem
from .paths import Paths

ROLE = re.compile(r"\{claim\}`([^`]+)`")
VALUE_ROLE = re.compile(r"\{value\}`([^`.]+)(?:\.([a-z_]+))?`")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")


@dataclass(frozen=True)
class Citation:
    """Where a page cites a claim: the page, the line (1-based) and the sentence as written."""

    claim: str
    page: str
    line: int
    sentence: str


def sentence_at(text: str, start: int) -> str:
    """The sentence (within its paragraph) holding the character at `start`."""
    para_start = text.rfind("\n\n", 0, start) + 2 if text.rfind("\n\n", 0, start) >= 0 else 0
    para_end = text.find("\n\n", start)
    para = text[para_start: para_end if para_end >= 0 else len(text)]
    offset = start - para_start
    pos = 0
    for sentence in SENTENCE_END.split(para):
        idx = para.find(sentence, pos)
        if idx <= offset <= idx + len(sentence):
            return " ".join(sentence.split())
        pos = idx + len(sentence)
    return " ".join(para.split())


def citations(pages: list[Path], root: Path) -> list[Citation]:
    """Every claim cited by the pages, with its sentence."""
    out = []
    for page in pages:
        try:
            text = page.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        rel = page.relative_to(root).as_posix()
        for m in ROLE.finditer(text):
            out.append(Citation(m.group(1).strip(), rel, text.count("\n", 0, m.start()) + 1, sentence_at(text, m.start())))
    return out


def render_sentence(sentence: str, values: dict[str, Any]) -> str:
    """A sentence with its {value} roles replaced by the values' display forms and claim roles dropped."""
    def value(m: re.Match) -> str:
        entry = values.get(m.group(1))
        if entry is None:
            return f"[{m.group(1)}?]"
        if m.group(2):
            return str((entry.get("about") or {}).get(m.group(2), f"[{m.group(1)}.{m.group(2)}?]"))
        return str(entry.get("display", entry.get("value")))

    text = VALUE_ROLE.sub(value, ROLE.sub("", sentence))
    text = re.sub(r"\{[a-z:]+\}`([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", text)  # other roles: their text
    return " ".join(text.split())


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}


def outputs_of(paths: Paths, plan) -> tuple[dict[str, Any], dict[str, Any]]:
    """(claims, values) as the build is about to publish them (from each job's cache or results/)."""
    from .publish import source

    claims: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for jp in plan.jobs:
        src = source(paths, jp)
        if jp.job.claims:
            found = _read(src / "claims.json")
            claims.update({c: found[c] for c in jp.job.claims if c in found})
        if jp.job.values:
            found = _read(src / "values.json")
            values.update({v: found[v] for v in jp.job.values if v in found})
    return claims, values


def check_claims(paths: Paths, plan) -> list[Citation]:
    """Raise ClaimError when a claim the book cites is false (or ConfigError when no job states
    it); return the citations checked."""
    from .bookinputs import load_yaml, pages as book_pages

    if not paths.toc.is_file() or not paths.config.is_file():
        return []
    try:
        pages = book_pages(paths, load_yaml(paths.toc), load_yaml(paths.config))
    except ConfigError:
        return []  # the book's own check reports it
    cites = citations(pages, paths.root)
    if not cites:
        return cites
    claims, values = outputs_of(paths, plan)
    problems = []
    for c in cites:
        entry = claims.get(c.claim)
        if entry is None:
            raise ConfigError(f"{c.page}, line {c.line}: cites claim '{c.claim}', which no job states; state it in a "
                              "notebook with nb.save_claim and declare it under the job's outputs: claims:")
        if entry.get("holds") is True:
            continue
        shown = ", ".join(f"{v} = {values.get(v, {}).get('display', '?')}" for v in entry.get("values", [])) or "none"
        problems.append(Problem(c.page, f"claim '{c.claim}' no longer holds: {entry.get('statement', '')} "
                                f"(values: {shown})", "cited claims hold", c.line, None,
                                f"the sentence \"{render_sentence(c.sentence, values)}\" says otherwise; revise the "
                                "sentence (and the claim) or check the data change"))
    if problems:
        raise ClaimError(f"{len(problems)} claim(s) the book makes are false with the new data; nothing was "
                         "published (results/ and the book are unchanged)", problems)
    return cites
