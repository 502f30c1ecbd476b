"""One number format for the whole book: values.json, tables in prose, reports."""
from __future__ import annotations

import math
from typing import Any


def format_number(value: Any, decimals: int | None = None, percent: bool = False, sign: bool = False) -> str:
    """Thousands separated by a comma, a fixed number of decimals, a minus sign as '−'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    text = f"{abs(value):,.{decimals}f}"
    if value < 0 and float(text.replace(",", "")) != 0:
        text = "\u2212" + text
    elif sign and value > 0:
        text = "+" + text
    return text + ("%" if percent else "")
