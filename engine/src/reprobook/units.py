"""Units of measure and the values they rule out.

A Table Schema field may carry a `unit` (a reprobook property; other Frictionless tools ignore
it). When the unit is one of those registered here, validation rejects values the unit cannot
take, on top of the field's own `minimum`/`maximum` constraints (which may narrow the range
further, never widen it). A field whose unit differs per row names the column holding each
row's unit with `unitField`, e.g. `"unitField": "unit"`.

The bounds are what the unit itself rules out, never what is merely implausible for one
variable: a share cannot exceed its whole and a count cannot be negative, but a change or a
growth rate can take any sign and size, so those units carry no bound. Units not registered
here (e.g. "thousand EUR", a money amount that may be negative as a balance) imply nothing.

| unit | aliases | allowed values |
|---|---|---|
| percent | %, percent share, percentage | 0 to 100 (a share of a whole, in percent) |
| fraction | proportion, share | 0 to 1 (a share of a whole) |
| per mille | ‰ | 0 to 1000 |
| count | number of | whole numbers ≥ 0 |
| percent change | percentage change, growth rate (%) | any (no bound) |
| percentage points | pp, percentage point | any (no bound) |

Growth rates and changes must not be declared `percent`: write `percent change` or
`percentage points`. Register a unit of your own with `register(Unit(...))`.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Unit:
    """A unit and the values it allows: minimum/maximum inclusive (None = unbounded), whole
    if only integers are allowed. `meaning` is the sentence the error messages quote."""

    name: str
    meaning: str
    minimum: float | None = None
    maximum: float | None = None
    whole: bool = False
    aliases: tuple[str, ...] = ()

    def violation(self, value: Any) -> str | None:
        """Why `value` cannot be in this unit, or None if it can. NaN is left to the type rules."""
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            return None
        if value != value:  # NaN
            return None
        if self.minimum is not None and value < self.minimum:
            return f"{fmt(value)} is below {fmt(self.minimum)}, the least {self.meaning} can be"
        if self.maximum is not None and value > self.maximum:
            return f"{fmt(value)} is above {fmt(self.maximum)}, the most {self.meaning} can be"
        if self.whole and (isinstance(value, (float, Decimal)) and (math.isinf(value) or value != int(value))):
            return f"{fmt(value)} is not a whole number, and {self.meaning} is"
        return None

    def range_text(self) -> str:
        lo = "" if self.minimum is None else fmt(self.minimum)
        hi = "" if self.maximum is None else fmt(self.maximum)
        if lo and hi:
            text = f"from {lo} to {hi}"
        elif lo:
            text = f"at least {lo}"
        elif hi:
            text = f"at most {hi}"
        else:
            text = "any value"
        return text + (", whole numbers" if self.whole else "")


def fmt(v: Any) -> str:
    if isinstance(v, Decimal):
        v = float(v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        v = int(v)
    return f"{v:,}" if isinstance(v, int) else f"{v:g}"


_REGISTRY: dict[str, Unit] = {}


def register(unit: Unit) -> Unit:
    """Add `unit` (and its aliases, case-insensitive) to the registry; returns it."""
    for key in (unit.name, *unit.aliases):
        _REGISTRY[key.casefold()] = unit
    return unit


def lookup(name: str | None) -> Unit | None:
    """The registered unit called `name` (case-insensitive), or None."""
    if not isinstance(name, str):
        return None
    return _REGISTRY.get(name.strip().casefold())


def near_miss(name: str) -> str | None:
    """A registered unit name that `name` is probably a typo of, or None."""
    if not isinstance(name, str) or lookup(name):
        return None
    found = difflib.get_close_matches(name.strip().casefold(), list(_REGISTRY), n=1, cutoff=0.85)
    return found[0] if found else None


def known() -> list[Unit]:
    """Registered units, each once, in registration order."""
    return list(dict.fromkeys(_REGISTRY.values()))


register(Unit("percent", "a percentage share of a whole", 0, 100, aliases=("%", "percent share", "percentage")))
register(Unit("fraction", "a share of a whole", 0, 1, aliases=("proportion", "share")))
register(Unit("per mille", "a per-mille share of a whole", 0, 1000, aliases=("‰",)))
register(Unit("count", "a count", 0, None, whole=True, aliases=("number of",)))
register(Unit("percent change", "a percentage change", aliases=("percentage change", "growth rate (%)")))
register(Unit("percentage points", "a difference of percentages", aliases=("pp", "percentage point")))
