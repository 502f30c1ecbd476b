"""Where the book uses each result: pages that include a table or figure or quote a value."""
from __future__ import annotations

import re
from pathlib import Path

from .valueref import split_ref

DIRECTIVE = re.compile(r"^```\{result-(table|figure)\}\s+(\S+)", re.M)
ROLE = re.compile(r"\{value\}`([^`]+)`")
CLAIM = re.compile(r"\{claim\}`([^`]+)`")


def result_usage(book: Path, root: Path) -> dict[str, list[str]]:
    """Artifact key ('table:name', 'figure:name', 'value:name', 'claim:name') -> book pages using it."""
    used: dict[str, list[str]] = {}
    for md in sorted(book.rglob("*.md")):
        text = md.read_text(encoding="utf-8")
        page = md.relative_to(root).as_posix()
        for kind, name in DIRECTIVE.findall(text):
            pages = used.setdefault(f"{kind}:{name}", [])
            if page not in pages:
                pages.append(page)
        for key in [f"value:{split_ref(ref)[0]}" for ref in ROLE.findall(text)] + [  # name.facet: the value's name
                f"claim:{c.strip()}" for c in CLAIM.findall(text)]:
            pages = used.setdefault(key, [])
            if page not in pages:
                pages.append(page)
    return used


BLOCK = re.compile(r"^```\{result-(table|figure)\}\s+(\S+)\s*\n(.*?)^```", re.M | re.S)


def captions(book: Path) -> dict[str, str]:
    """'table:name' / 'figure:name' -> the caption the book gives it."""
    out: dict[str, str] = {}
    for md in sorted(book.rglob("*.md")):
        for kind, name, body in BLOCK.findall(md.read_text(encoding="utf-8")):
            m = re.search(r"^:caption:\s*(.+)$", body, re.M)
            if m:
                out.setdefault(f"{kind}:{name}", m.group(1).strip())
    return out
