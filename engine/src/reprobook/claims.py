"""Claims as tests: statements of the book that its data must keep true.

A notebook states a claim about its results with `nb.save_claim(name, holds, statement,
values=[...])` and declares it under the job's `outputs: claims:`; a page cites it with the role
``{claim}`name``` next to the sentence that makes it. A build whose data makes a cited claim
false stops before anything is published, naming the claim, its statement, the values involved
and the sentence, so that the text and the data can never silently disagree.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ClaimError, ConfigError, Problem
from .paths import Paths
from .prose import CLAIM_ROLE, render_sentence, sentence_at

ROLE = CLAIM_ROLE


@dataclass(frozen=True)
class Citation:
    """Where a page cites a claim: the page, the line (1-based) and the sentence as written."""

    claim: str
    page: str
    line: int
    sentence: str


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
        problems.append(Problem(f"{c.page}, line {c.line}", f"claim '{c.claim}' no longer holds: "
                                f"{entry.get('statement', '')} (values: {shown})", "cited claims hold", None, None,
                                f"the sentence \"{render_sentence(c.sentence, values)}\" says otherwise; revise the "
                                "sentence (and the claim) or check the data change"))
    if problems:
        raise ClaimError(f"{len(problems)} claim(s) the book makes are false with the new data; nothing was "
                         "published (results/ and the book are unchanged)", problems)
    return cites
