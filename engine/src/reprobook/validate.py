"""Data validation: every data file against its Table Schema, as the Frictionless specification says.

Semantics come from the `frictionless` library: it checks the descriptors (`datapackage.json`
and the schemas) and casts every cell (types, formats, missing values, field constraints).
Where frictionless 5 does not implement the Data Package v2 standard (primary-key fields are
required; `uniqueKeys`; `categories`), the standard is followed here; the engine tests check
both against the specification's own examples. Local CSV files are read here, streaming
(memory stays flat however long the file); any other resource (another format, inline data,
compression, a multi-line header or comment rows) is read through frictionless.

reprobook adds four rules of its own, each off unless a schema asks for it or a cell trips it:
- numbers pandas can hold: an `integer` cell must fit in a 64-bit integer (pandas' Int64, rule
  "int64 range"); a `number` cell must be finite (rule "finite"). `NaN`, `INF`, `-INF` (numbers
  in Table Schema) and values beyond a 64-bit float's range are reported: pandas reads `NaN` as
  missing and leaves the row out of sums and means without saying so, and an infinity makes them
  infinite. A field that may hold them says `"finite": false`;
- `totals`: a total row must equal the sum of its part rows within a tolerance;
- units: a field's `unit` (or each row's unit, named by `unitField`) bounds what its values can
  be, e.g. a percent share lies in 0..100 and a count is a whole number >= 0 (`reprobook.units`);
- missing value spelled as text: a text cell holding `n/a`, `NA`, `NULL`, ... that the schema
  does not declare missing (`reprobook.datapackage.NA_SPELLINGS`).

Every problem names the file, the row (line number, header = 1), the column, the rule and what
to do; all problems of all files are reported together (at most MAX_PER_FILE per file).

Incremental use: `check(datapackage, root, previous)` re-checks only the files whose digest
changed since `previous` (a digest covers the file's bytes, its schema, the rules, and the
files its foreign keys point at), and returns the digests of all files that now pass.
"""
from __future__ import annotations

import codecs
import copy
import csv
import decimal
import difflib
import hashlib
import io
import json
import math
import re
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Any

from . import datapackage as dp, units
from .errors import DataError, Problem

INT64 = (-2**63, 2**63 - 1)  # what pandas' Int64 (and numpy's int64) holds
BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
RULES_VERSION = "4"  # part of every digest: bump when a rule changes what passes
MAX_PER_FILE = 40
CACHE_CELLS = 4096  # distinct raw values remembered per column (codes, years): skips re-casting
SPEC = "https://datapackage.org/standard/table-schema/"

FAST_DIALECT_KEYS = {"$schema", "header", "headerRows", "delimiter", "lineTerminator", "quoteChar", "doubleQuote",
                     "escapeChar", "skipInitialSpace", "csvddfVersion"}


def rules(frictionless_version: str) -> str:
    """What decides which data pass besides the data themselves: reprobook's rules version and
    frictionless' version (as the environment's description lists it: reprobook.environment).
    Part of the data check's dependencies (reprobook.plan), so that an engine or a frictionless
    with other rules re-checks data that did not change (each file's digest has both as well)."""
    return f"reprobook rules {RULES_VERSION}, frictionless {frictionless_version}"


# ---------------------------------------------------------------------------------------------
# records


@dataclass
class Outcome:
    """What `validate_changed` found.

    problems: all problems; digests: file key -> digest for every resource that passes (checked
    now or unchanged since `previous`); checked / unchanged: file keys re-read / skipped."""

    problems: list[Problem]
    digests: dict[str, str]
    checked: list[str] = dc_field(default_factory=list)
    unchanged: list[str] = dc_field(default_factory=list)


class _Sink:
    """Problems of one file, at most MAX_PER_FILE kept (the rest counted)."""

    def __init__(self, rel: str):
        self.rel, self.items, self.more = rel, [], 0

    def add(self, message: str, rule: str, fix: str, row: int | None = None, col: str | None = None) -> None:
        if len(self.items) < MAX_PER_FILE:
            self.items.append(Problem(self.rel, message, rule, row, col, fix))
        else:
            self.more += 1

    def done(self) -> list[Problem]:
        extra = [Problem(self.rel, f"... and {self.more} more problems", "", None, None,
                         "fix the problems above and validate again")] if self.more else []
        return self.items + extra


def _rel(path: Path, root: Path) -> str:
    return dp.rel_path(path, root)


def _key(res: dp.Resource, root: Path, pkg_rel: str) -> str:
    """The name a resource's digest is stored under: its file (project-relative), else package#name."""
    files = res.files()
    if len(files) == 1 and len(res.paths) == 1:
        return _rel(files[0], root)
    return f"{pkg_rel}#{res.name}"


# ---------------------------------------------------------------------------------------------
# descriptors


def _descriptor_problems(pkg: dict[str, Any], resources: list[dp.Resource], pkg_rel: str, root: Path,
                         version: str) -> list[Problem]:
    """The package and its schemas against the Data Package standard (frictionless) and the
    references inside them (key fields exist, referenced resources exist, units are known)."""
    from frictionless import FrictionlessException, Package, Schema

    problems: list[Problem] = []
    fix = f"correct it as the Data Package standard says ({SPEC})"
    inline = dict(pkg, resources=[dict(r.descriptor) for r in resources])
    report = Package.validate_descriptor(inline, basepath=str(resources[0].base) if resources else None)
    seen = set()
    for kind, note, message in report.flatten(["type", "note", "message"]):
        if kind in ("schema-error", "field-error"):
            continue  # reported per schema below, naming its file
        if (note or message) not in seen:
            seen.add(note or message)
            problems.append(Problem(pkg_rel, note or message, "descriptor", None, None, fix))
    for res in resources:
        if not res.descriptor.get("schema"):
            continue
        try:
            Schema.from_descriptor(copy.deepcopy(res.schema), datapackage_version=version)
        except FrictionlessException as exc:
            where = _rel(res.schema_file, root) if res.schema_file else pkg_rel
            for reason in exc.reasons or [exc.error]:
                problems.append(Problem(where, f"schema of resource '{res.name}': {reason.note or reason.message}",
                                        "descriptor", None, None, fix))
    names = [r.name for r in resources]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(Problem(pkg_rel, f"two resources are named '{name}'", "descriptor", None, None,
                                "give every resource its own name"))
    by_name = {r.name: r for r in resources}
    for res in resources:
        where = _rel(res.schema_file, root) if res.schema_file else pkg_rel
        schema = res.schema
        fnames = [f.get("name") for f in res.fields]
        known = set(fnames)

        def need(names: Any, what: str, target: set = known, in_: str = "the schema's fields") -> None:
            for n in [names] if isinstance(names, str) else list(names or []):
                if n not in target:
                    near = difflib.get_close_matches(str(n), [str(t) for t in target], n=1)
                    problems.append(Problem(where, f"{what} names '{n}', which is not among {in_}"
                                            + (f" (did you mean '{near[0]}'?)" if near else ""), "descriptor", None,
                                            None, f"name an existing field in {what}"))

        need(schema.get("primaryKey"), "primaryKey")
        for uk in schema.get("uniqueKeys") or []:
            need(uk, "uniqueKeys")
        for fk in schema.get("foreignKeys") or []:
            need(fk.get("fields"), "foreignKeys.fields")
            ref = fk.get("reference") or {}
            target = ref.get("resource") or res.name
            if target not in by_name:
                problems.append(Problem(where, f"a foreign key refers to resource '{target}', which the package "
                                        "does not list", "descriptor", None, None,
                                        f"add '{target}' to {pkg_rel} or correct the reference"))
            else:
                tfields = {f.get("name") for f in by_name[target].fields}
                need(ref.get("fields"), "foreignKeys.reference.fields", tfields, f"the fields of '{target}'")
                n_src = 1 if isinstance(fk.get("fields"), str) else len(fk.get("fields") or [])
                n_ref = 1 if isinstance(ref.get("fields"), str) else len(ref.get("fields") or [])
                if n_src != n_ref:
                    problems.append(Problem(where, f"a foreign key has {n_src} field(s) but its reference {n_ref}",
                                            "descriptor", None, None, "list as many reference fields as fields"))
        for rule in schema.get("totals") or []:
            need([rule.get(k) for k in ("column", "value") if rule.get(k)] + list(rule.get("by", [])), "totals")
        for f in res.fields:
            unit = f.get("unit")
            near = units.near_miss(unit) if isinstance(unit, str) else None
            if near:
                problems.append(Problem(where, f"field '{f.get('name')}' has unit '{unit}', which is not a known unit "
                                        f"(did you mean '{near}'?)", "unit", None, f.get("name"),
                                        f"write '{near}', or a unit that implies no bound; known units: "
                                        + ", ".join(u.name for u in units.known())))
            if "unitField" in f:
                need(f["unitField"], f"unitField of '{f.get('name')}'")
            if "finite" in f and (not isinstance(f["finite"], bool) or (f["finite"] is False and f.get("type") != "number")):
                problems.append(Problem(where, f"field '{f.get('name')}' has \"finite\": {json.dumps(f['finite'])}, "
                                        "which reprobook reads only as true, or false on a number field", "descriptor",
                                        None, f.get("name"), "write \"finite\": false on a number field that may hold "
                                        "NaN or infinite values, or remove it"))
    return problems


# ---------------------------------------------------------------------------------------------
# cells


def _fields_for_casting(schema: dict[str, Any], version: str | None):
    """frictionless Field objects of `schema`, with primary-key fields required (Table Schema v2:
    "their use in the primary key is equivalent to adding required: true")."""
    from frictionless import Schema

    desc = copy.deepcopy(schema)
    pk = desc.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else pk
    for f in desc.get("fields", []):
        if f.get("name") in pk:
            f.setdefault("constraints", {})["required"] = True
    return Schema.from_descriptor(desc, datapackage_version=version).fields


def _type_message(raw: str, f: dict[str, Any]) -> str:
    t, fmt = f.get("type", "any"), f.get("format", "default")
    if t == "integer":
        msg = f"'{raw}' is not a whole number; write digits only, like 2024"
    elif t == "number":
        msg = f"'{raw}' is not a number; write a plain number like 1234.5"
        if "," in raw and "groupChar" not in f and f.get("decimalChar", ".") != ",":
            msg += " (no thousands separators)"
    elif t == "boolean":
        tv = f.get("trueValues", ["true", "True", "TRUE", "1"])
        fv = f.get("falseValues", ["false", "False", "FALSE", "0"])
        msg = f"'{raw}' is not a boolean; write one of {', '.join(tv)} or {', '.join(fv)}"
    elif t == "date" and fmt == "default":
        msg = f"'{raw}' is not a date; write it as YYYY-MM-DD"
    elif t in ("date", "datetime", "time") and fmt not in ("default", "any"):
        msg = f"'{raw}' is not a {t} in the form {fmt}"
    else:
        msg = f"'{raw}' is not a valid {t}" + (f" (format {fmt})" if fmt != "default" else "")
    if t in ("integer", "number", "year") and _odd_digits(raw, f.get("groupChar")):
        msg += " (digits 0-9 only, without '_': pandas and spreadsheets read this as text)"
    if raw.strip() in dp.NA_SPELLINGS:
        msg += (f"; if the value is missing, leave the cell empty, or declare '{raw}' in the schema's "
                "missingValues")
    return msg


def _int64_problem(sink: _Sink, raw: str, f: dict[str, Any], line: int) -> None:
    sink.add(f"{raw.strip()} does not fit in a 64-bit integer, which is what pandas reads an integer column "
             f"into ({INT64[0]} to {INT64[1]})", "int64 range",
             "check the value; a quantity this large can be a number field (a float, exact to 15 digits)", line, f["name"])


def _finite_problem(sink: _Sink, raw: str, what: str, f: dict[str, Any], line: int, pk: list[str],
                    missing: list[str] | set[str] = ("",)) -> None:
    """Report a NaN or infinite value (`what`: "nan" | "infinite") in number field `f`, quoting the
    cell as the file has it."""
    h = f["name"]
    if what == "nan":
        msg = (f"'{raw}' is not a number pandas can compute with: it reads it as missing, so sums and means "
               f"over '{h}' would leave this row out without saying so")
    else:
        msg = f"'{raw}' is infinite as a 64-bit float (what pandas computes with), so sums and means over '{h}' would be too"
    required = f.get("constraints", {}).get("required") or h in pk
    if required:
        fix = "fill in the value: the column is required"
    else:
        empty = "" in missing  # an empty cell is missing here
        fix = "write the value" + ("; if it is missing, leave the cell empty" if empty else "")
        if what == "nan" and raw == raw.strip() and raw:
            where = "the field's" if "missingValues" in f else "the schema's"
            fix += f"{', or' if empty else '; if it is missing,'} declare '{raw}' in {where} missingValues"
    if not (required and what == "nan"):  # a required value that pandas reads as missing is never meant
        fix += (f"; only if '{h}' holds such values on purpose, set \"finite\": false on the field (the notebooks "
                "must then handle them: pandas skips NaN in sums and means)")
    sink.add(msg, "finite", fix, line, h)


def _constraint_problem(sink: _Sink, name: str, value: Any, raw: str, f: dict[str, Any], line: int,
                        pk: list[str]) -> None:
    h = f["name"]
    c = f.get("constraints", {})
    desc = f.get("description", f.get("title", h))
    if name == "required":
        msg = "required value is empty" if raw == "" else f"required value is missing ('{raw}' means missing here)"
        fix = f"fill in '{h}': {desc}" + ("; it is part of the primary key" if h in pk else "")
        sink.add(msg, "required", fix, line, h)
    elif name == "enum":
        near = difflib.get_close_matches(str(value), [str(x) for x in c["enum"]], n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        sink.add(f"'{raw}' is not an allowed value{hint}", "enum",
                 f"use one of: {', '.join(map(str, c['enum']))}; a new code must be added to the schema first", line, h)
    elif name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if "minimum" in c and "maximum" in c:
            span = f"ranges from {c['minimum']} to {c['maximum']}"
        else:
            bounds = {"minimum": "at least", "exclusiveMinimum": "above", "maximum": "at most",
                      "exclusiveMaximum": "below"}
            span = "must be " + " and ".join(f"{w} {c[k]}" for k, w in bounds.items() if k in c)
        word = {"minimum": "below the minimum", "maximum": "above the maximum",
                "exclusiveMinimum": "not above the exclusive minimum", "exclusiveMaximum": "not below the exclusive maximum"}
        sink.add(f"{raw.strip()} is {word[name]} {c[name]}", name, f"check the value; '{h}' {span}", line, h)
    elif name == "pattern":
        sink.add(f"'{raw}' does not match the pattern {c['pattern']}", "pattern", "correct the value's form", line, h)
    elif name in ("minLength", "maxLength"):
        sink.add(f"'{raw}' has {len(raw)} characters; the {name} is {c[name]}", name, "correct the value", line, h)
    else:
        sink.add(f"'{raw}' breaks the constraint {name} = {c.get(name)!r}", name, "correct the value", line, h)


def non_finite(value: Any) -> str | None:
    """What a number cell's value (Decimal, float or int, as frictionless casts it) is to pandas,
    which computes in 64-bit floats: "nan" (read as missing), "infinite" (also `1e999`, a Decimal
    beyond a float's range), or None for a finite number."""
    try:
        f = float(value)
    except OverflowError:  # an integer beyond a float's range (inline data)
        return "infinite"
    except ValueError:  # a signaling NaN
        return "nan"
    return "nan" if math.isnan(f) else "infinite" if math.isinf(f) else None


def _odd_nan(value: Any, raw: str | None = None) -> bool:
    """A signaling NaN ('sNaN') or a NaN with a payload ('NaN123', 'NaN0'): a number to Python's
    Decimal, text to pandas, and unhashable or uncomparable in the checks that follow."""
    if not (isinstance(value, decimal.Decimal) and value.is_nan()):
        return False
    if value.is_snan() or value.as_tuple().digits:
        return True
    return raw is not None and re.sub(r"[^0-9A-Za-z]", "", raw).lower() != "nan"


def _odd_digits(raw: str, group: str | None = None) -> bool:
    """A number written with '_' (`8_04`; unless '_' is the field's groupChar) or with digits other
    than 0-9 (`１２`, Arabic-Indic): Python, so frictionless, reads it (as 804, 12), pandas and
    spreadsheets read text."""
    return ("_" in raw and group != "_") or (not raw.isascii() and any(c.isdecimal() and not c.isascii() for c in raw))


def _reader(field, desc: dict[str, Any]):
    """frictionless' cell reader, plus `groupChar` for integers (Table Schema v2; frictionless 5
    reads it for numbers only), plus what pandas must be able to read: integers, numbers and years
    written with '_' or non-ASCII digits are type problems; an integer beyond 64 bits is None with
    the note {"int64": ...}; a non-finite number is None with the note {"finite": "nan" |
    "infinite"}, unless the field says `"finite": false` (then a NaN passes its bounds). 'sNaN' and
    'NaN123' are not numbers either way (type problems)."""
    read = field.create_cell_reader()
    kind = desc.get("type")
    grouped = desc.get("groupChar")
    missing = set(field.missing_values if field.has_defined("missing_values") else
                  (field.schema.missing_values if field.schema else [""]))
    if kind == "integer" and grouped:
        plain = read
        read = lambda raw: plain(raw if raw in missing else raw.replace(grouped, ""))  # noqa: E731
    odd_digits = {"type": "digits other than 0-9, or '_'"}
    if kind in ("integer", "year"):
        low, high = INT64 if kind == "integer" else (-math.inf, math.inf)

        def whole(raw: str) -> tuple[Any, dict | None]:
            if ("_" in raw or not raw.isascii()) and raw not in missing and _odd_digits(raw, grouped):
                return None, odd_digits
            hit = read(raw)
            value = hit[0]
            if value is not None and not low <= value <= high:
                return None, {"int64": "out of range"}
            return hit
        return whole
    if kind != "number":
        return read
    strict = desc.get("finite", True) is not False
    not_a_number = {"type": "not a number pandas reads"}
    isfinite = math.isfinite

    def number(raw: str) -> tuple[Any, dict | None]:
        if ("_" in raw or not raw.isascii()) and raw not in missing and _odd_digits(raw, grouped):
            return None, odd_digits
        try:
            hit = read(raw)
        except decimal.InvalidOperation:  # 'sNaN': frictionless' bound checks cannot compare it
            return None, not_a_number
        value, notes = hit
        try:
            if value is None or isfinite(value):  # the common cases, in one call
                return hit
        except (ValueError, OverflowError, TypeError):
            pass
        if notes and "type" in notes:
            return hit
        if _odd_nan(value, raw):
            return None, not_a_number
        what = non_finite(value)
        if what and strict:
            return None, {"finite": what}  # not its bound checks: a NaN is not "above the maximum"
        if what == "nan" and notes:  # allowed here; a NaN is neither above nor below a bound
            notes = {k: v for k, v in notes.items() if k not in BOUNDS} or None
        return value, notes
    return number


class _Caster:
    """Casts one row's raw cells to logical values with frictionless' cell readers (cached per
    distinct raw value for repetitive columns) and reports type and constraint problems."""

    def __init__(self, schema: dict[str, Any], version: str | None = None):
        self.schema, self.version = schema, version
        self.fdescs = list(schema.get("fields", []))
        self.readers = [_reader(f, d) for f, d in zip(_fields_for_casting(schema, version), self.fdescs)]
        self.caches: list[dict[str, tuple[Any, Any]]] = [{} for _ in self.readers]
        pk = schema.get("primaryKey") or []
        self.pk = [pk] if isinstance(pk, str) else list(pk)
        self.missing = [set(dp.missing_values(schema, f)) for f in self.fdescs]

    def cast(self, index: int, raw: str) -> tuple[Any, dict | None]:
        cache = self.caches[index]
        hit = cache.get(raw)
        if hit is None:
            hit = self.readers[index](raw)
            if len(cache) < CACHE_CELLS:
                cache[raw] = hit
        return hit


# ---------------------------------------------------------------------------------------------
# row sources: (line, {field: logical value}, fields already reported) per data row


def _fast_path(res: dp.Resource) -> bool:
    d = dp.dialect(res)
    if len(res.paths) != 1 or dp.is_remote(res.paths[0]) or "data" in res.descriptor:
        return False
    path = res.paths[0].lower()
    fmt = (res.descriptor.get("format") or path.rsplit(".", 1)[-1]).lower()
    if fmt not in ("csv", "tsv") or res.descriptor.get("compression"):
        return False
    if set(d) - FAST_DIALECT_KEYS or d.get("headerRows", [1]) != [1]:
        return False
    delim = d.get("delimiter", "\t" if fmt == "tsv" else ",")
    return len(delim) == 1 and len(d.get("quoteChar", '"')) == 1


class _Abort(Exception):
    """A file-level problem after which no row can be trusted (already reported)."""


def _csv_records(res: dp.Resource, path: Path, sink: _Sink) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) per record of a local CSV, the header included; streaming."""
    d = dp.dialect(res)
    fmt = (res.descriptor.get("format") or res.paths[0].rsplit(".", 1)[-1]).lower()
    encoding = res.descriptor.get("encoding") or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        sink.add(f"the resource declares encoding '{encoding}', which Python does not know", "encoding",
                 "declare a known encoding such as utf-8")
        raise _Abort from None
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a byte-order mark is not part of the first column's name
    delimiter = d.get("delimiter", "\t" if fmt == "tsv" else ",")
    kw: dict[str, Any] = {"delimiter": delimiter, "quotechar": d.get("quoteChar", '"'),
                          "doublequote": d.get("doubleQuote", True), "skipinitialspace": d.get("skipInitialSpace", False),
                          "strict": True}
    if d.get("escapeChar"):
        kw["escapechar"] = d["escapeChar"]
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        reader = csv.reader(text, **kw)
        last = 0
        try:
            for record in reader:
                yield last + 1, record
                last = reader.line_num
        except UnicodeDecodeError:
            line, bad = _first_undecodable(path, encoding)
            sink.add(f"the file is not {res.descriptor.get('encoding') or 'utf-8'} text (byte 0x{bad:02x})",
                     "encoding", "save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8')"
                     if encoding == "utf-8-sig" else f"save the file as {encoding}", row=line)
            raise _Abort from None
        except csv.Error as exc:
            sink.add(f"broken CSV: {exc} (often an unbalanced double quote)", "CSV syntax",
                     "close the quoted field or remove the stray \" character", row=last + 1)
            raise _Abort from None


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int]:
    """(line, byte) of the first byte sequence that `encoding` cannot decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as exc:
                return n, exc.object[exc.start]
    return n, 0


def _match_header(labels: list[str], fdescs: list[dict[str, Any]], schema: dict[str, Any], sink: _Sink,
                  pk: list[str]) -> list[int | None] | None:
    """Map each schema field to a column index (None: absent, allowed), as `fieldsMatch` says.
    Returns None (problems reported) when the header does not fit the schema."""
    names = [f["name"] for f in fdescs]
    mode = schema.get("fieldsMatch", "exact")
    n_before = len(sink.items) + sink.more
    if len(labels) == 1 and len(names) > 1:
        for delim in (";", "\t", "|"):
            if delim in labels[0]:
                sink.add(f"the header is one column; the file seems to use {delim!r} between values",
                         "comma delimiter", "save the file with commas between values, or declare the delimiter: "
                         f"\"dialect\": {{\"delimiter\": {json.dumps(delim)}}}", row=1)
                return None
    for i, lab in enumerate(labels):
        if lab == "":
            sink.add(f"column {i + 1} has no name", "header", "give every column a name from the schema", 1)
        elif labels.index(lab) != i:
            sink.add(f"column '{lab}' appears twice (columns {labels.index(lab) + 1} and {i + 1})", "header",
                     "remove or rename one of them", 1, lab)
    required = {f["name"] for f in fdescs if f.get("constraints", {}).get("required") or f["name"] in pk}
    missing = [n for n in names if n not in labels]
    extra = [lab for lab in labels if lab and lab not in names]
    if mode in ("superset", "partial"):
        missing = [n for n in missing if n in required]
    if mode in ("subset", "partial"):
        extra = []
    if mode == "partial" and not set(labels) & set(names):
        sink.add("no column of the file is in the schema", "header", "check that the schema belongs to this file", 1)
    for m in missing:
        near = difflib.get_close_matches(m, extra, n=1, cutoff=0.6)
        if near:
            sink.add(f"column '{m}' is missing; found '{near[0]}' instead (renamed?)", "header",
                     f"rename the column '{near[0]}' back to '{m}'", 1, near[0])
            extra.remove(near[0])
        else:
            what = fdescs[names.index(m)].get("description", "").strip()
            sink.add(f"column '{m}' is missing", "header", f"add the column '{m}'" + (f": {what}" if what else ""), 1, m)
    for e in extra:
        sink.add(f"column '{e}' is not in the schema", "header",
                 "remove it, or add it to the schema with a type and description", 1, e)
    if mode == "exact" and not missing and not extra and labels != names and len(sink.items) + sink.more == n_before:
        pos = next(i for i, (a, b) in enumerate(zip(labels, names)) if a != b)
        sink.add(f"the columns are not in the schema's order: column {pos + 1} is '{labels[pos]}', the schema has "
                 f"'{names[pos]}' there", "header", "put the columns in the schema's order ("
                 + ", ".join(names) + "), or let the schema match columns by name: \"fieldsMatch\": \"equal\"", 1,
                 labels[pos])
    if len(sink.items) + sink.more > n_before:
        return None
    if mode == "exact":
        return list(range(len(names)))
    return [labels.index(n) if n in labels else None for n in names]


Row = tuple[int, dict[str, Any], frozenset[str]]  # (line, field -> logical value, fields already reported)
NO_FLAGS: frozenset[str] = frozenset()


def _csv_rows(res: dp.Resource, path: Path, caster: _Caster, sink: _Sink, only: set[str] | None = None) -> Iterator[Row]:
    """Typed rows of a local CSV; header, row-length, type and cell-constraint problems go to `sink`.
    A cell that cannot be cast is None. `only` limits casting to these fields (the others are
    None) and silences problems."""
    fdescs = caster.fdescs
    names = [f["name"] for f in fdescs]
    d = dp.dialect(res)
    quiet = only is not None
    records = _csv_records(res, path, _Sink(sink.rel) if quiet else sink)
    width = len(names)
    if d.get("header", True):
        first = next(records, None)
        if first is None:
            return
        _, labels = first
        index = _match_header(labels, fdescs, caster.schema, _Sink(sink.rel) if quiet else sink, caster.pk)
        if index is None:
            raise _Abort
        width = len(labels)
    else:
        index = list(range(len(names)))
    # (field index, name, column, reader, cache, missing values) for every field read
    plan = [(i, names[i], index[i], caster.readers[i], caster.caches[i], caster.missing[i])
            for i in range(len(names)) if index[i] is not None and (only is None or names[i] in only)]
    check_blank = only is None
    for line, record in records:
        if len(record) != width:
            if quiet:
                continue
            if record == []:
                sink.add("the row is blank", "blank row", "delete the empty line", line)
            else:
                sink.add(f"row has {len(record)} values, the header has {width}", "row length",
                         "give every row one value per column (empty cells allowed); a truncated last line "
                         "needs its missing values", line)
            continue
        typed = dict.fromkeys(names)
        blank = check_blank
        found = None
        for i, name, col, read, cache, missing in plan:
            raw = record[col]
            hit = cache.get(raw)
            if hit is None:
                hit = read(raw)
                if len(cache) < CACHE_CELLS:
                    cache[raw] = hit
            value, notes = hit
            typed[name] = value
            if blank and (value is not None or raw not in missing or (notes and "type" in notes)):
                blank = False
            if notes and not quiet:
                (found := found or []).append((i, name, value, raw, notes))
        if blank:
            sink.add("the row is blank", "blank row", "delete the empty row, or fill it in", line)
            continue
        if not found:
            yield line, typed, NO_FLAGS
            continue
        for i, name, value, raw, notes in found:
            f = fdescs[i]
            if "type" in notes:
                sink.add(_type_message(raw, f), f"type {f.get('type', 'any')}", "correct the value", line, name)
            elif "finite" in notes:
                _finite_problem(sink, raw, notes["finite"], f, line, caster.pk, caster.missing[i])
            elif "int64" in notes:
                _int64_problem(sink, raw, f, line)
            else:
                for cname in notes:
                    _constraint_problem(sink, cname, value, raw, f, line, caster.pk)
        yield line, typed, frozenset(x[1] for x in found)


def _frictionless_rows(res: dp.Resource, caster: _Caster, sink: _Sink, only: set[str] | None = None) -> Iterator[Row]:
    """Typed rows of any other resource, read by frictionless; the integrity checks (keys,
    uniqueness) are left to the caller, as for CSV files."""
    from frictionless import FrictionlessException, Resource

    desc = copy.deepcopy(res.descriptor)
    schema = desc["schema"]
    pk = caster.pk
    for f in schema.get("fields", []):
        if f.get("name") in pk:
            f.setdefault("constraints", {})["required"] = True
        f.get("constraints", {}).pop("unique", None)
    for key in ("primaryKey", "foreignKeys", "uniqueKeys"):
        schema.pop(key, None)
    quiet = only is not None
    names = [f["name"] for f in caster.fdescs]
    numbers = [f for f in caster.fdescs if f.get("type") in ("number", "integer", "year") and (only is None or f["name"] in only)]
    nan_ok = {f["name"] for f in numbers if f.get("type") == "number" and f.get("finite") is False}
    try:
        with Resource(desc, basepath=str(res.base), datapackage_version=caster.version) as resource:
            if not quiet:
                for err in resource.header.errors:
                    sink.add(err.message, "header", "make the header match the schema's fields", 1,
                             getattr(err, "field_name", None) or getattr(err, "label", None))
                if not resource.header.valid:
                    raise _Abort
            for row in resource.row_stream:
                line = row.row_number
                odd = {}  # number cells reported here, not as frictionless does: (field, what, raw)
                for f in numbers:
                    v = row.get(f["name"])
                    i = row.field_names.index(f["name"]) if f["name"] in row.field_names else -1
                    cell = row.cells[i] if 0 <= i < len(row.cells) else None
                    if isinstance(cell, str) and v is not None and _odd_digits(cell, f.get("groupChar")):
                        odd[f["name"]] = (f, "type", cell)
                        continue
                    if f.get("type") == "integer":
                        what = "int64" if isinstance(v, int) and not INT64[0] <= v <= INT64[1] else None
                    else:
                        what = (None if v is None else "type" if _odd_nan(v, cell if isinstance(cell, str) else None) else
                                non_finite(v) if f.get("finite", True) is not False else None)
                    if what:
                        odd[f["name"]] = (f, what, str(cell) if cell is not None else str(v))
                if not quiet:
                    for err in row.errors:
                        kind = err.type
                        col = getattr(err, "field_name", None) or None
                        if col in odd and kind in ("constraint-error", "type-error"):
                            continue  # a NaN is not "above the maximum": reported below
                        if (kind == "constraint-error" and col in nan_ok and non_finite(row.get(col)) == "nan"
                                and any(f'"{b}"' in err.note for b in BOUNDS)):
                            continue  # allowed here; a NaN is neither above nor below a bound
                        if kind == "blank-row":
                            sink.add("the row is blank", "blank row", "delete the empty row, or fill it in", line)
                        elif kind in ("extra-cell", "missing-cell"):
                            sink.add(err.message, "row length", "give every row one value per column", line, col)
                        elif kind == "type-error":
                            f = caster.fdescs[names.index(col)]
                            sink.add(_type_message(str(err.cell), f), f"type {f.get('type', 'any')}",
                                     "correct the value", line, col)
                        elif kind == "constraint-error":
                            f = caster.fdescs[names.index(col)]
                            cname = err.note.split('"')[1] if '"' in err.note else "constraint"
                            _constraint_problem(sink, cname, row.get(col), str(err.cell), f, line, pk)
                        else:
                            sink.add(err.message, kind, "correct the value", line, col)
                    if any(e.type == "blank-row" for e in row.errors):
                        continue
                flagged = frozenset(getattr(e, "field_name", None) for e in row.errors) - {None}
                typed = {n: row.get(n) for n in names}
                for name, (f, what, raw) in odd.items():
                    typed[name] = None
                    flagged |= {name}
                    if quiet:
                        continue
                    if what == "type":
                        sink.add(_type_message(raw, f), f"type {f.get('type')}", "correct the value", line, name)
                    elif what == "int64":
                        _int64_problem(sink, raw, f, line)
                    else:
                        _finite_problem(sink, raw, what, f, line, pk, caster.missing[names.index(name)])
                yield line, typed, flagged
    except decimal.InvalidOperation:  # a signaling NaN ('sNaN') where frictionless checks a bound
        if not quiet:
            sink.add("cannot read the rest of the data: a number cell holds a signaling NaN ('sNaN'), which "
                     "frictionless cannot compare with its field's bounds", "read",
                     "correct the value (a number, or an empty cell if it is missing), then check again")
        raise _Abort from None
    except FrictionlessException as exc:
        if not quiet:
            sink.add(f"cannot read the data: {exc.error.message}", "read",
                     "check the resource's path, format, encoding and dialect")
        raise _Abort from None


# ---------------------------------------------------------------------------------------------
# the checks over rows: keys, uniqueness, categories, units, missing spelled as text, totals


class _HashSet:
    """Duplicate detection in 8 bytes per row: 64-bit hashes now, exact keys only for the few
    hashes seen twice (a second pass)."""

    def __init__(self):
        self.hashes = array("q")

    def add(self, key: tuple) -> None:
        self.hashes.append(hash(key))

    def candidates(self) -> set[int]:
        if len(self.hashes) < 2:
            return set()
        import numpy

        a = numpy.sort(numpy.frombuffer(self.hashes, dtype=numpy.int64))
        return set(a[1:][a[1:] == a[:-1]].tolist())


@dataclass
class _Keyed:
    """One uniqueness rule: the fields whose joint logical value must be unique."""

    fields: tuple[str, ...]
    rule: str  # "primary key" | "unique" | "unique keys"
    seen: _HashSet = dc_field(default_factory=_HashSet)

    def key(self, typed: dict[str, Any]) -> tuple | None:
        values = tuple([typed[f] for f in self.fields])
        return None if None in values else values


NAN_KEY = ("NaN",)  # a NaN in a key, as one value: NaN != NaN, so two NaN keys would never be duplicates


def _nan_canon(values: tuple) -> tuple:
    """`values` with every NaN as NAN_KEY (keys and foreign keys over fields that allow NaN)."""
    return tuple([NAN_KEY if isinstance(v, (decimal.Decimal, float)) and v != v else v for v in values])


def _shown(values: tuple) -> tuple:
    """Key values as a message shows them (NaN, not the sentinel)."""
    return tuple(["NaN" if v == NAN_KEY else v for v in values])


@dataclass
class _NanKeyed(_Keyed):
    """A uniqueness rule over a number field that allows NaN (`"finite": false`): every NaN is the
    same key value, whatever its spelling and whichever reader cast it."""

    def key(self, typed: dict[str, Any]) -> tuple | None:
        values = tuple([typed[f] for f in self.fields])
        return None if None in values else _nan_canon(values)


class _Checks:
    """Row checks of one resource that need more than one cell."""

    def __init__(self, res: dp.Resource, caster: _Caster, sink: _Sink, fk_wanted: list[tuple[str, ...]]):
        schema = res.schema
        self.sink = sink
        self.fdescs = {f["name"]: f for f in caster.fdescs}
        self.keyed: list[_Keyed] = []
        self.nan_ok = nan_ok = {n for n, f in self.fdescs.items() if f.get("type") == "number" and f.get("finite") is False}

        def keyed(fields: tuple[str, ...], rule: str) -> _Keyed:
            return (_NanKeyed if nan_ok.intersection(fields) else _Keyed)(fields, rule)

        if caster.pk:
            self.keyed.append(keyed(tuple(caster.pk), "primary key"))
        for f in caster.fdescs:
            if f.get("constraints", {}).get("unique"):
                self.keyed.append(keyed((f["name"],), "unique"))
        for uk in schema.get("uniqueKeys") or []:
            self.keyed.append(keyed(tuple([uk] if isinstance(uk, str) else uk), "unique keys"))
        self.categories = {n: {c["value"] if isinstance(c, dict) else c for c in f["categories"]}
                           for n, f in self.fdescs.items() if isinstance(f.get("categories"), list)}
        self.units = {n: units.lookup(f.get("unit")) for n, f in self.fdescs.items() if units.lookup(f.get("unit"))}
        self.unit_fields = {n: f["unitField"] for n, f in self.fdescs.items() if f.get("unitField") in self.fdescs}
        self.text = [(n, caster.missing[i]) for i, (n, f) in enumerate(self.fdescs.items())
                     if f.get("type", "any") in ("string", "any")]
        self.enums = {n: set(map(str, f.get("constraints", {}).get("enum", []))) | set(map(str, self.categories.get(n, [])))
                      for n, f in self.fdescs.items()}
        self.fks: list[tuple[dict, tuple[str, ...], dict[tuple, list[int]]]] = []
        for fk in schema.get("foreignKeys") or []:
            fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            self.fks.append((fk, tuple(fields), {}))
        self.key_sets: dict[tuple[str, ...], set[tuple]] = {k: set() for k in fk_wanted}
        self.totals = [(rule, {}) for rule in schema.get("totals") or []]

    def row(self, line: int, typed: dict[str, Any], flagged: frozenset[str]) -> None:
        """Check one row; `flagged` names the cells whose problems were already reported."""
        sink = self.sink
        for k in self.keyed:
            key = k.key(typed)
            if key is not None:
                k.seen.add(key)
        for name, allowed in self.categories.items():
            v = typed[name]
            if v is not None and name not in flagged and v not in allowed:
                sink.add(f"'{v}' is not one of the field's categories", "categories",
                         f"use one of: {', '.join(map(str, allowed))}", line, name)
        for name, unit in self.units.items():
            if name not in flagged:
                self._unit(line, name, typed[name], unit)
        for name, ufield in self.unit_fields.items():
            if name not in flagged:
                self._unit(line, name, typed[name], units.lookup(typed[ufield]), via=ufield)
        for name, missing in self.text:
            v = typed[name]  # a text cell's logical value is its text (None when missing)
            if isinstance(v, str) and v in dp.NA_SPELLINGS and name not in flagged and v not in self.enums[name]:
                self._na_text(line, name, v, missing)
        for fk, fields, seen in self.fks:
            values = tuple([typed[f] for f in fields])
            if self.nan_ok:
                values = _nan_canon(values)
            if values != (None,) * len(values):
                entry = seen.get(values)
                if entry is None:
                    seen[values] = [line, 1]
                else:
                    entry[1] += 1
        for fields, found in self.key_sets.items():
            values = tuple([typed[f] for f in fields])
            if self.nan_ok:
                values = _nan_canon(values)
            if values != (None,) * len(values):
                found.add(values)
        for rule, groups in self.totals:
            value = typed.get(rule["value"])
            if value is None:
                continue
            g = groups.setdefault(tuple(typed.get(b) for b in rule.get("by", [])),
                                  {"total": None, "sum": 0, "n": 0, "flagged": False})
            col = typed.get(rule["column"])
            if col == rule["total"]:
                g["total"] = (line, value)
            elif col in rule["parts"]:
                g["sum"] += value
                g["n"] += 1
            else:
                continue
            g["flagged"] |= rule["value"] in flagged  # already reported: do not report the sum too

    def _na_text(self, line: int, name: str, raw: str, missing: set[str]) -> None:
        required = self.fdescs[name].get("constraints", {}).get("required")
        self.sink.add(f"'{raw}' is text here, not a missing value (this schema's missing values are "
                      f"{sorted(missing)}), but pandas, R and spreadsheets read it as missing",
                      "missing value spelled as text",
                      ("fill in the value: the column is required" if required else
                       "leave the cell empty if the value is missing")
                      + f"; if '{raw}' means missing in this file, list it in the schema's missingValues; "
                      "if it is a real value, list it in the field's enum", line, name)

    def _unit(self, line: int, name: str, value: Any, unit: units.Unit | None, via: str | None = None) -> None:
        if unit is None or value is None:
            return
        why = unit.violation(value)
        if why:
            where = f" (the row's {via} is '{unit.name}')" if via else ""
            self.sink.add(why + where, "unit range",
                          f"correct the value; '{unit.name}' allows {unit.range_text()}"
                          + ("; a change or growth rate is 'percent change'" if unit.name == "percent" else ""),
                          line, name)

    def duplicates(self, rows: Callable[[set[str]], Iterator[Row]]) -> None:
        """Second pass, only over the rows whose key hash was seen twice: report exact duplicates."""
        todo = [(k, k.seen.candidates()) for k in self.keyed]
        todo = [(k, c) for k, c in todo if c]
        if not todo:
            return
        wanted = {f for k, _ in todo for f in k.fields}
        first: list[dict[tuple, int]] = [{} for _ in todo]
        for line, typed, _ in rows(wanted):
            for (k, cands), seen in zip(todo, first):
                key = k.key(typed)
                if key is None or hash(key) not in cands:
                    continue
                if key in seen:
                    shown = dict(zip(k.fields, _shown(key)))
                    if k.rule == "primary key":
                        self.sink.add(f"duplicate key {shown}, first on line {seen[key]}", "primary key",
                                      "remove the duplicate row or correct its key", line, ",".join(k.fields))
                    elif k.rule == "unique":
                        self.sink.add(f"'{_shown(key)[0]}' already appears on line {seen[key]}", "unique",
                                      "make the value unique", line, k.fields[0])
                    else:
                        self.sink.add(f"the values {shown} already appear together on line {seen[key]}",
                                      "unique keys", "make the combination unique", line, ",".join(k.fields))
                else:
                    seen[key] = line

    def finish_totals(self) -> None:
        for rule, groups in self.totals:
            parts, tol = rule["parts"], float(rule.get("tolerance", 0))
            for key, g in groups.items():
                if g["total"] is None or g["n"] != len(parts) or g["flagged"]:
                    continue
                line, total = g["total"]
                if non_finite(total) or non_finite(g["sum"]):
                    continue  # NaN or infinite ("finite": false): no difference to measure
                diff = float(total - g["sum"])
                if abs(diff) > tol + 1e-9:
                    where = ", ".join(f"{b}={k}" for b, k in zip(rule.get("by", []), key))
                    fmt = units.fmt
                    self.sink.add(f"the {rule['total']} total {fmt(total)} ({where}) differs from the sum of its "
                                  f"{len(parts)} parts {fmt(g['sum'])} by {'+' if diff > 0 else ''}{fmt(diff)}, "
                                  f"beyond the tolerance {fmt(tol)}",
                                  "total = sum of parts", "check the total and each part against the source",
                                  line, rule["value"])


# ---------------------------------------------------------------------------------------------
# one resource


def _open_rows(res: dp.Resource, caster: _Caster, sink: _Sink):
    """A function giving a fresh row iterator (optionally casting only some fields)."""
    if _fast_path(res):
        path = res.files()[0]
        return lambda only=None: _csv_rows(res, path, caster, sink, only)
    return lambda only=None: _frictionless_rows(res, caster, sink, only)


def _check_resource(res: dp.Resource, root: Path, pkg_rel: str, fk_wanted: list[tuple[str, ...]],
                    version: str | None) -> tuple[list[Problem], _Checks | None]:
    rel = _key(res, root, pkg_rel)
    sink = _Sink(rel)
    if len(res.paths) == 1 and res.files():
        path = res.files()[0]
        if not path.is_file():
            sink.add("the file is missing", "file exists",
                     f"restore {rel} (git checkout -- {rel}) or remove it from {pkg_rel}")
            return sink.done(), None
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        if not head.strip() and path.stat().st_size <= len(head):
            names = [f.get("name") for f in res.fields]
            sink.add("the file is empty", "not empty", f"restore the data; the header must be: {','.join(names)}")
            return sink.done(), None
    caster = _Caster(res.schema, version)
    checks = _Checks(res, caster, sink, fk_wanted)
    rows = _open_rows(res, caster, sink)
    try:
        for line, typed, flagged in rows():
            checks.row(line, typed, flagged)
        checks.duplicates(rows)
    except _Abort:
        return sink.done(), None
    checks.finish_totals()
    return sink.done(), checks


def _key_values(res: dp.Resource, wanted: list[tuple[str, ...]],
                version: str | None) -> dict[tuple[str, ...], set[tuple]]:
    """The logical values of some key fields of a resource that is not being re-checked."""
    caster = _Caster(res.schema, version)
    sink = _Sink("")
    out: dict[tuple[str, ...], set[tuple]] = {k: set() for k in wanted}
    try:
        for _, typed, _ in _open_rows(res, caster, sink)({f for k in wanted for f in k}):
            for k, s in out.items():
                values = tuple([typed[f] for f in k])
                if values != (None,) * len(values):
                    s.add(values)
    except _Abort:
        pass
    return out


# ---------------------------------------------------------------------------------------------
# digests


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _digests(resources: list[dp.Resource], root: Path, pkg_rel: str,
             sha: Callable[[Path], str]) -> dict[str, str | None]:
    """resource name -> digest of everything its validity depends on (None: cannot be known
    without reading, e.g. a remote file)."""
    import frictionless

    own: dict[str, str | None] = {}
    for res in resources:
        desc = json.dumps(res.descriptor, sort_keys=True, ensure_ascii=False, default=str)
        h = hashlib.sha256(f"{RULES_VERSION}\0{frictionless.__version__}\0{desc}".encode())
        if any(dp.is_remote(p) for p in res.paths):
            own[res.name] = None
            continue
        for f in res.files():
            h.update(b"\0" + (sha(f) if f.is_file() else "absent").encode())
        own[res.name] = h.hexdigest()
    out: dict[str, str | None] = {}
    for res in resources:
        targets = sorted({(fk.get("reference") or {}).get("resource") or res.name
                          for fk in res.schema.get("foreignKeys") or []} - {res.name})
        parts = [own[res.name]] + [own.get(t) for t in targets]
        out[res.name] = None if any(p is None for p in parts) else hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return out


# ---------------------------------------------------------------------------------------------
# public API


def validate_changed(datapackage: Path, root: Path, previous: Mapping[str, str] | None = None, *,
                     sha: Callable[[Path], str] | None = None) -> Outcome:
    """Validate the resources of `datapackage` whose digest is not in `previous`.

    datapackage: path of datapackage.json; root: the project root (paths in problems are
    relative to it); previous: file key -> digest of the files that passed last time, as
    returned in `Outcome.digests` (file key: the data file's project-relative path, or
    '<datapackage>#<resource>' for inline, multi-file or remote resources); sha: optional
    function giving a file's content digest (e.g. the caller's cache), sha256 hex by default.
    A resource is re-checked when its file, its schema, the rules, or a file its foreign keys
    point at changed. Raises DataError only when the descriptor cannot be read.
    """
    previous = dict(previous or {})
    root = Path(root)
    pkg_rel = _rel(datapackage, root)
    pkg, resources = dp.load(datapackage, root)
    from frictionless import Package

    version = Package.effective_datapackage_version(pkg, None)  # "v1" unless $schema says otherwise
    problems = _descriptor_problems(pkg, resources, pkg_rel, root, version)
    if problems:
        return Outcome(problems, {})
    digests = _digests(resources, root, pkg_rel, sha or _sha_file)
    keys = {r.name: _key(r, root, pkg_rel) for r in resources}
    todo = [r for r in resources if digests[r.name] is None or previous.get(keys[r.name]) != digests[r.name]]
    todo_names = {r.name for r in todo}
    by_name = {r.name: r for r in resources}
    wanted: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for r in todo:
        for fk in r.schema.get("foreignKeys") or []:
            ref = fk.get("reference") or {}
            rf = ref.get("fields")
            k = tuple([rf] if isinstance(rf, str) else rf)
            target = ref.get("resource") or r.name
            if k not in wanted[target]:
                wanted[target].append(k)
    results: dict[str, tuple[list[Problem], _Checks | None]] = {}
    for r in todo:
        results[r.name] = _check_resource(r, root, pkg_rel, wanted.get(r.name, []), version)
    key_sets: dict[str, dict[tuple[str, ...], set[tuple]]] = {}
    for name, ks in wanted.items():
        if name in todo_names:
            checks = results[name][1]
            key_sets[name] = checks.key_sets if checks else {}
        else:
            key_sets[name] = _key_values(by_name[name], ks, version)
    failed: set[str] = set()
    for r in todo:
        found, checks = results[r.name]
        extra: list[Problem] = []
        if checks:
            sink = _Sink(keys[r.name])
            for fk, fields, seen in checks.fks:
                ref = fk.get("reference") or {}
                target = ref.get("resource") or r.name
                rf = ref.get("fields")
                rkey = tuple([rf] if isinstance(rf, str) else rf)
                allowed = key_sets.get(target, {}).get(rkey)
                if allowed is None:
                    continue
                trel = keys[target]
                for values, (line, count) in seen.items():
                    if values not in allowed:
                        shown = _shown(values)[0] if len(values) == 1 else _shown(values)
                        more = f" (and {count - 1} more rows)" if count > 1 else ""
                        sink.add(f"'{shown}' is not a known {', '.join(rkey)} in {target}{more}", "foreign key",
                                 f"use a value listed in {trel} (column {', '.join(rkey)}) or add it there first",
                                 line, ",".join(fields))
            extra = sink.done()
        if found or extra or checks is None:
            failed.add(r.name)
        problems += found + extra
    passed = {keys[r.name]: digests[r.name] for r in resources
              if r.name not in failed and digests[r.name] is not None}
    return Outcome(problems, passed, checked=[keys[r.name] for r in todo],
                   unchanged=[keys[r.name] for r in resources if r.name not in todo_names])


def validate(datapackage: Path, root: Path) -> list[Problem]:
    """All problems of all resources of `datapackage` (a full check). Raises DataError when
    the descriptor itself cannot be read."""
    return validate_changed(datapackage, root).problems


def check(datapackage: Path, root: Path, previous: Mapping[str, str] | None = None) -> dict[str, str]:
    """Validate the data package at `datapackage`, re-checking only what changed since `previous`.

    Returns file key -> digest of every resource that passes (persist it and pass it back as
    `previous` next time). A project without `datapackage` has nothing to check: returns {}.
    Raises DataError listing every problem (file, row, column, rule, fix) if any resource fails.
    """
    if not Path(datapackage).is_file():
        return {}
    outcome = validate_changed(datapackage, root, previous)
    if outcome.problems:
        files = sorted({p.file for p in outcome.problems})
        raise DataError(f"{len(outcome.problems)} problem(s) in {', '.join(files)}; nothing was run and results/ "
                        "is unchanged", outcome.problems)
    return outcome.digests
