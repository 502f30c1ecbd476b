"""Parameters typed as written: each value is checked against the type of the notebook's default.

YAML 1.1 (what PyYAML reads) takes `6e-1` for a string and `2004-01-01` for a date. A value is
converted when the default's type allows it without loss (a float-looking string for a float
default, a date for a string default, a whole number for a float default); anything else is a
ConfigError that says what YAML read and what to write instead. A default that is not a literal
(an expression) accepts any value; a date with no string default is refused, because it cannot
cross into the kernel as JSON.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from .errors import ConfigError
from .notebook import UNREPRESENTABLE

FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$", re.I)
INT = re.compile(r"^[+-]?\d+$")


def _kind(v: Any) -> str:
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "a whole number"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, dt.datetime):
        return "a date and time"
    if isinstance(v, dt.date):
        return "a date"
    if isinstance(v, (list, tuple)):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


def _fail(where: str, name: str, value: Any, default: Any, advice: str) -> ConfigError:
    read_as = f"YAML read {value!s} as {_kind(value)}"
    if isinstance(value, str):
        read_as = f"YAML read '{value}' as a string"
    return ConfigError(f"{where}: parameter '{name}' = {value!r}: {read_as}, but the notebook's default "
                       f"({default!r}) is {_kind(default)}; {advice}")


def coerce(name: str, value: Any, default: Any, where: str) -> Any:
    """`value` typed like `default` (see the module's rules). Raises ConfigError with the fix."""
    if default is UNREPRESENTABLE or default == UNREPRESENTABLE:
        return _plain(name, value, where)
    if default is None:
        return _plain(name, value, where)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise _fail(where, name, value, default, "write true or false")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and INT.match(value.strip()):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            raise _fail(where, name, value, default, f"write a whole number such as {int(value)}")
        advice = "write a whole number such as 2004" if isinstance(value, dt.date) else "write a whole number"
        raise _fail(where, name, value, default, advice)
    if isinstance(default, float):
        if isinstance(value, float):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and FLOAT.match(value.strip()):
            out = float(value)
            if not math.isfinite(out):
                raise _fail(where, name, value, default, "write a finite number such as 0.6")
            return out
        raise _fail(where, name, value, default, "write a number such as 0.6 (6e-1 and 0.6 both work)")
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        if isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        raise _fail(where, name, value, default, f"write it in quotes, like '{value}', if it is meant as text")
    if isinstance(default, (list, tuple)):
        if isinstance(value, (list, tuple)):
            proto = default[0] if len(default) else None
            return [coerce(f"{name}[{i}]", v, proto, where) for i, v in enumerate(value)]
        raise _fail(where, name, value, default, "write a list such as [a, b]")
    if isinstance(default, dict):
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise ConfigError(f"{where}: parameter '{name}' has key {k!r}, which YAML did not read as text; "
                                      "write keys in quotes")
                proto = default.get(k, next(iter(default.values())) if default else None)
                out[k] = coerce(f"{name}.{k}", v, proto, where)
            return out
        raise _fail(where, name, value, default, "write a mapping such as {key: value}")
    return _plain(name, value, where)


def _plain(name: str, value: Any, where: str) -> Any:
    """Any JSON value; a date cannot be one."""
    if isinstance(value, (dt.date, dt.datetime)):
        raise ConfigError(f"{where}: parameter '{name}' = {value}: YAML read it as a date, which cannot be passed "
                          f"to a notebook; write it in quotes ('{value}') to pass text")
    if isinstance(value, list):
        return [_plain(f"{name}[{i}]", v, where) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _plain(f"{name}.{k}", v, where) for k, v in value.items()}
    return value


def typed(parameters: dict[str, Any], defaults: dict[str, Any], has_cell: bool, notebook: str,
          where: str) -> dict[str, Any]:
    """All of a job's parameters typed against the notebook's defaults, in the order given.

    Raises ConfigError for a parameter the `parameters` cell does not declare (papermill would only
    warn) or that cannot be typed."""
    if parameters and not has_cell:
        raise ConfigError(f"{where}: {notebook} has no cell tagged 'parameters', but the job passes "
                          f"{sorted(parameters)}; tag the cell that holds the defaults")
    unknown = [k for k in parameters if k not in defaults]
    if unknown:
        raise ConfigError(f"{where}: parameter(s) {unknown} are not declared in the 'parameters' cell of {notebook} "
                          f"(declared: {sorted(defaults)}); fix the name or add a default to that cell")
    return {k: coerce(k, v, defaults[k], where) for k, v in parameters.items()}


def parse_cli(pairs: list[str]) -> dict[str, Any]:
    """`-p name=value` pairs; each value is read as a YAML literal (never evaluated as code)."""
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ConfigError(f"-p takes name=value, got '{pair}'")
        name, raw = pair.split("=", 1)
        try:
            out[name.strip()] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[name.strip()] = raw
    return out
