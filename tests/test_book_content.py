"""The book's prose: numbers only through results, every result it names exists, sources cited."""
from __future__ import annotations

from pathlib import Path

import json
import re

from reprobook.usage import result_usage

REPO = Path(__file__).resolve().parents[1]

ALLOWED = [
    r"\b(1[89]|20)\d\d(s|–\d\d)?\b",  # years and decades in narrative
    r"\bTables? \d+(\s*(,|and|to|–|-)\s*\d+)*",  # the source documents' own table numbers
    r"\bFigures? \d+", r"ISO 3166-1", r"SHA-256", r"CC BY 4\.0", r"\bversion \d+\.\d+\.\d+", r"Version \d+\.\d+\.\d+",
    r"\b(CA5|EU27)\b", r"alpha-3", r"±1",
    r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December)\b",
]


def prose(text: str) -> str:
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)  # directives, code
    text = re.sub(r"\{[a-z:-]+\}`[^`]*`", "", text)  # roles: values, citations, references
    text = re.sub(r"`[^`]*`", "", text)  # inline code (file names)
    for pattern in ALLOWED:
        text = re.sub(pattern, "", text)
    return text


def test_no_number_in_the_prose_is_typed_by_hand():
    found = []
    for md in sorted((REPO / "book").glob("*.md")):
        for n, line in enumerate(prose(md.read_text(encoding="utf-8")).splitlines(), 1):
            if re.search(r"\d", line):
                found.append(f"{md.name}: {line.strip()[:100]}")
    assert not found, "numbers typed by hand (use {value}`name`):\n" + "\n".join(found)


def test_every_result_the_book_names_exists_in_the_record():
    manifest = json.loads((REPO / "results/manifest.json").read_text())
    have = {f"{a['kind']}:{a['name']}" for a in manifest["artifacts"]}
    missing = [k for k in result_usage(REPO / "book", REPO) if k not in have]
    assert not missing


def test_every_table_and_figure_of_the_record_is_in_the_book():
    manifest = json.loads((REPO / "results/manifest.json").read_text())
    used = result_usage(REPO / "book", REPO)
    unused = sorted({f"{a['kind']}:{a['name']}" for a in manifest["artifacts"] if a["kind"] != "value"} - set(used))
    assert not unused, f"results not shown in the book: {unused}"
