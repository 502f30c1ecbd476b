"""Sentences of the book, the values they show, and how they read with other values."""
from __future__ import annotations

from reprobook.prose import passages, render_sentence, segments, sentence_at

VALUES = {"bal": {"value": 8, "display": "8", "unit": "thousand EUR", "about": {"year": 2024}},
          "share": {"value": 95.3, "display": "95.3%"}}
PAGE = """# Trade

The surplus is Kazakh. Its balance in {value}`bal.year` was {value}`bal` {value}`bal.unit`.{claim}`c1` The
two numbers differ, see {numref}`tbl-x` and {cite:p}`kviklys`.

- First item, {value}`share` of exports.
- Second item.

```{result-table} balances
:caption: Balances in {value}`bal.unit` ({value}`bal.year`).
:columns: a, b
```
"""


def test_sentence_at_ends_after_a_claim_mark_and_within_list_items():
    at = lambda s: sentence_at(PAGE, PAGE.index(s))  # noqa: E731
    assert at("{value}`bal`") == "Its balance in {value}`bal.year` was {value}`bal` {value}`bal.unit`.{claim}`c1`"
    assert at("two numbers") == "The two numbers differ, see {numref}`tbl-x` and {cite:p}`kviklys`."
    assert at("{value}`share`") == "First item, {value}`share` of exports."  # the list item, without its mark


def test_passages_once_each_with_their_values_and_where():
    found = passages(PAGE)
    assert [(p.line, p.values, p.where) for p in found] == [
        (3, ("bal",), ""), (6, ("share",), ""), (10, ("bal",), "caption of result-table balances")]
    assert found[2].text == "Balances in {value}`bal.unit` ({value}`bal.year`)."


def test_rendered_with_values_facets_and_other_roles():
    s = sentence_at(PAGE, PAGE.index("{value}`bal`"))
    assert render_sentence(s, VALUES) == "Its balance in 2024 was 8 thousand EUR."
    moved = {**VALUES, "bal": {**VALUES["bal"], "display": "9"}}
    assert [t for t, name in segments(s, moved) if name] == ["2024", "9", "thousand EUR"]
    assert render_sentence("see {numref}`tbl-x` and {cite:p}`a,b`", VALUES) == "see Table x and [a, b]"
    assert render_sentence("{value}`gone` and {value}`bal.month`", VALUES) == "[gone?] and [bal.month?]"
