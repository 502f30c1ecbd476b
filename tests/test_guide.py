"""The adopter's guide (appendix "Using reprobook"): in the table of contents, covering every
generated reference topic and public API, showing the template's real files, and typing no
numbers of the study."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from reprobook import reference

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "book" / "guide"


def _pages() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(GUIDE.glob("*.md"))}


def test_every_guide_page_is_in_the_table_of_contents():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    appendices = next(p for p in toc["parts"] if p["caption"] == "Appendices")["chapters"]
    guide = next(c for c in appendices if c["file"] == "book/guide/index")
    listed = {"index"} | {s["file"].rsplit("/", 1)[1] for s in guide["sections"]}
    assert listed == {name[:-3] for name in _pages()}


def test_the_guide_uses_every_reference_topic_and_documents_every_public_api():
    used = set()
    for text in _pages().values():
        used |= {tuple(m.split()) for m in re.findall(r"^```\{reprobook-reference\} (.+)$", text, re.M)}
    assert {t[0] for t in used} == set(reference.TOPICS)
    assert {("api", "reprobook.nb"), ("api", "reprobook.testing")} <= used


def test_included_files_are_the_templates_real_files():
    for name, text in _pages().items():
        for path in re.findall(r"^```\{(?:literalinclude|include)\} (\S+)$", text, re.M):
            target = (GUIDE / path).resolve()
            assert target.is_file(), f"{name}: {path}"
            assert target.is_relative_to(REPO / "engine/src/reprobook/templates/project"), f"{name}: {path}"


def test_the_guide_quotes_no_result_and_types_no_number():
    for name, text in _pages().items():
        assert not re.search(r"\{(value|claim)\}`", text), f"{name} quotes a result of the study"
        assert not re.search(r"^```\{result-", text, re.M), f"{name} includes a result of the study"
        prose = re.sub(r"^(`{3,}).*?^\1", "", text, flags=re.S | re.M)  # code blocks and directives
        prose = re.sub(r"`[^`]*`", "", prose)  # inline code: commands, file names, options
        prose = re.sub(r"\bPython 3\.11\b|\bJupyter Book 1\b|\(version 1\)|SHA-256", "", prose)
        typed = re.findall(r".{0,40}\d.{0,40}", prose)
        assert not typed, f"{name}: numbers typed in the prose: {typed}"
