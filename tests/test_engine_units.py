"""Small units of the engine: number format, README list, manifest record."""
from __future__ import annotations

from pathlib import Path

from reprobook import readme
from reprobook.formatting import format_number
from reprobook.paths import Paths

REPO = Path(__file__).resolve().parents[1]


def test_number_format_is_one_format():
    assert format_number(16049033) == "16,049,033"
    assert format_number(-2615169) == "\u22122,615,169"
    assert format_number(0.9531, 3) == "0.953"
    assert format_number(95.3, 1, percent=True) == "95.3%"
    assert format_number(-0.0001, 2) == "0.00"
    assert format_number(float("nan")) == "n/a"


def test_readme_list_of_tables_and_figures_is_current():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split(readme.START, 1)[1].split(readme.END, 1)[0].strip()
    assert block == readme.results_list(Paths(REPO)).strip(), "run `reprobook readme` (make book does it)"
