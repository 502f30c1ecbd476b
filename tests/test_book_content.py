"""The book's text: numbers only through results, every result it names exists, sources cited.

A number typed by hand cannot follow the data or a parameter. The check reads every page of
book/: the prose, and the arguments, options and bodies of its directives (captions, headers,
column lists). What a value is about (its year) comes from the value, as {value}`name.year`.
Plain code blocks (```bibtex) are literal text and are not checked.
"""
from __future__ import annotations

from pathlib import Path

import json
import re

import pytest

from reprobook.usage import result_usage

REPO = Path(__file__).resolve().parents[1]

YEAR = r"\b(1[89]|20)\d\d(s|–\d\d(\d\d)?)?\b"  # 1989, 1990s, 2014–2020
# numbers that are names, not quantities: the source documents' table numbers, standards, codes
LABELS = [
    r"\bTables? \d+(\s*(,|and|to|–|-)\s*\d+)*", r"\bFigures? \d+", r"ISO 3166-1", r"SHA-256", r"CC BY 4\.0",
    r"\b[Vv]ersion \d+\.\d+\.\d+", r"\b(CA5|EU27)\b", r"alpha-3", r"±1",
]
DATES = r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December)\b"
# directive options that hold identifiers (column and result names, labels): a year in them is a
# name that carries a data value (value_2024_keur), which a parameter or a data update makes lie
IDENTIFIER_OPTIONS = {"name", "columns", "pivot", "values", "text-columns"}
YEAR_IN_NAME = r"(?<!\d)(1[89]|20)\d\d(?!\d)"  # value_2024_keur, flows_2024
DIRECTIVE = re.compile(r"^```\{(?P<name>[a-z:-]+)\}[ \t]*(?P<arg>[^\n]*)\n(?P<body>.*?)^```", re.S | re.M)
CODE = re.compile(r"^```[^{\n]*\n.*?^```", re.S | re.M)
VALUE_ROLE = re.compile(r"\{value\}`[^`]*`")
ROLE = re.compile(r"\{[a-z:-]+\}`[^`]*`")


def _strip(text: str, patterns) -> str:
    for p in patterns:
        text = re.sub(p, "", text)
    return text


def _digits_left(text: str) -> bool:
    """Is there a digit once roles, inline code and number-like names are taken out?"""
    text = ROLE.sub("", text)
    text = re.sub(r"`[^`]*`", "", text)
    return bool(re.search(r"\d", _strip(text, LABELS)))


def typed_numbers(md: str) -> list[str]:
    """Every number typed by hand in one page of MyST Markdown, as 'where: text' findings.

    - prose: any number but a year in narrative, a date, or a name (LABELS);
    - prose: a year in a sentence that quotes a value (the value's year is {value}`name.year`);
    - directives: any number in a caption, header or body (only names of LABELS), and a year in
      an argument or an identifier option such as :columns:.
    """
    found = []
    for m in DIRECTIVE.finditer(md):
        where = f"{{{m['name']}}} {m['arg'].strip()}".strip()
        if re.search(YEAR_IN_NAME, m["arg"]):
            found.append(f"{where}: argument '{m['arg'].strip()}'")
        for line in m["body"].splitlines():
            opt = re.match(r"^:([a-z-]+):\s*(.*)$", line)
            key, text = (opt[1], opt[2]) if opt else ("body", line)
            if key in IDENTIFIER_OPTIONS:
                if re.search(YEAR_IN_NAME, text):
                    found.append(f"{where}: :{key}: '{text.strip()}'")
            elif _digits_left(text):
                found.append(f"{where}: :{key}: '{text.strip()[:80]}'")
    prose = CODE.sub("", DIRECTIVE.sub("", md))
    prose = VALUE_ROLE.sub("\u27e8value\u27e9", prose)
    prose = re.sub(r"`[^`]*`", "", ROLE.sub("", prose))  # other roles (citations, references), inline code
    for paragraph in re.split(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.)\s)", prose):  # paragraphs and list items
        paragraph = " ".join(paragraph.split())
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z(\u27e8\"])", paragraph):
            if "\u27e8value\u27e9" in sentence and re.search(YEAR, sentence):
                found.append(f"prose: a year typed next to a value (use {{value}}`name.year`): '{sentence[:100]}'")
            rest = _strip(sentence, [YEAR, DATES, *LABELS])
            if re.search(r"\d", rest):
                found.append(f"prose: '{sentence[:100]}'")
    return found


@pytest.mark.parametrize("md, words", [
    ("```{result-table} t\n:headers: Reporter|2022|2023\n```\n", ":headers: 'Reporter|2022|2023'"),
    ("```{result-table} t\n:caption: Balances, 2022–2024.\n```\n", ":caption:"),
    ("```{result-table} t\n:columns: label,value_2024_keur\n```\n", ":columns: 'label,value_2024_keur'"),
    ("```{result-figure} flows_2024\n:caption: Flows.\n```\n", "argument 'flows_2024'"),
    ("```{result-table} t\n:caption: Flows.\n\nThe share was 95%.\n```\n", ":body:"),
    ("Kazakhstan's balance in 2024 was {value}`trade_kaz_balance` thousand EUR.\n", "a year typed next to a value"),
    ("The balance was 22,049,275 thousand EUR.\n", "prose: 'The balance was 22,049,275"),
    ("Exports grew over two decades by {value}`g`, about 4 times.\n", "prose:"),
])
def test_a_typed_number_is_caught_anywhere(md, words):
    found = typed_numbers(md)
    assert any(words in f for f in found), found


@pytest.mark.parametrize("md", [
    "Kazakhstan's balance in {value}`trade_kaz_balance.year` was {value}`trade_kaz_balance` thousand EUR.\n",
    "The Samarkand summit of April 2025 raised the relationship. It gave {value}`n` rows.\n",
    "After the attacks of 11 September, Table 6 and ISO 3166-1 alpha-3 codes, CA5 and EU27 stay.\n",
    "```{result-table} trade_table3_findings\n:caption: Checks of the source's Table 3 ({value}`x.year`).\n"
    ":name: tbl-trade-table3\n:columns: reporter_label\n:headers: Reporter|EU27 %\n:pivot: year\n"
    ":values: share_pct\n:pivot-headers: {year} (%)\n```\n",
    "```bibtex\n@book{x, year = {2026}}\n```\n",
])
def test_numbers_from_results_and_names_pass(md):
    assert typed_numbers(md) == []


def test_no_number_in_the_book_is_typed_by_hand():
    found = [f"{md.name}: {f}" for md in sorted((REPO / "book").glob("*.md"))
             for f in typed_numbers(md.read_text(encoding="utf-8"))]
    assert not found, "numbers typed by hand (use {value}`name` or {value}`name.facet`):\n" + "\n".join(found)


def test_every_result_the_book_names_exists_in_the_record():
    manifest = json.loads((REPO / "results/manifest.json").read_text())
    have = {f"{a['kind']}:{a['name']}" for a in manifest["artifacts"]}
    missing = [k for k in result_usage(REPO / "book", REPO) if k not in have]
    assert not missing


def test_every_facet_the_book_prints_is_recorded():
    from reprobook.valueref import value_text

    values = json.loads((REPO / "results/values.json").read_text())
    refs = {r for md in (REPO / "book").glob("*.md") for r in re.findall(r"\{value\}`([^`]+)`", md.read_text())}
    broken = []
    for ref in sorted(refs):
        try:
            value_text(values, ref)
        except Exception as exc:  # ResultRefError names what is missing
            broken.append(str(exc))
    assert not broken, "\n".join(broken)


def test_every_table_and_figure_of_the_record_is_in_the_book():
    manifest = json.loads((REPO / "results/manifest.json").read_text())
    used = result_usage(REPO / "book", REPO)
    unused = sorted({f"{a['kind']}:{a['name']}" for a in manifest["artifacts"] if a["kind"] in ("table", "figure")}
                    - set(used))
    assert not unused, f"results not shown in the book: {unused}"
