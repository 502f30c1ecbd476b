"""The data package descriptor (Frictionless Data Package / Table Schema) as plain data.

Loads `datapackage.json`, resolves each resource's schema (inline or a relative path), finds the
resource that describes a given file, and states the one missing-value rule that validation
(`reprobook.validate`) and the notebook reader (`reprobook.nb.read_csv`) share:

- a cell is missing (null) exactly when its text is one of the field's `missingValues`
  (Table Schema v2, field level) or else the schema's `missingValues`; the default is `[""]`
  (an empty cell); `[]` means no cell is ever missing;
- nothing else is missing: `n/a`, `NA`, `NULL`, `NaN` in a text column are text. pandas'
  default NA list does not apply. Validation reports such spellings in text columns
  (rule "missing value spelled as text") unless the schema declares them;
- in a number column, `NaN` is a number to Table Schema and missing to pandas. Validation
  reports it, and `INF`/`-INF` (rule "finite"), unless the field says `"finite": false`; a
  file in which `NaN` means missing declares it in `missingValues`.

Only JSON is read here (no frictionless, no pandas), so notebooks can use it cheaply.
Errors are `reprobook.errors.DataError` naming the descriptor file and what to do.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DataError, Problem

DEFAULT_MISSING_VALUES = [""]

# The strings pandas reads as NA by default (pandas.io.parsers STR_NA_VALUES, pandas 2 and 3),
# where R and spreadsheets agree on most of them. A text cell holding one of these means one
# thing to validation (text) and another to a reader with default settings (missing).
NA_SPELLINGS = frozenset({
    "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
    "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})


@dataclass(frozen=True)
class Resource:
    """One resource of a data package, schema resolved.

    name: the resource name; descriptor: the resource descriptor with `schema` replaced by the
    schema object; base: the folder of datapackage.json (paths are relative to it);
    schema_file: the schema's file if it was given by path, else None.
    """

    name: str
    descriptor: dict[str, Any]
    base: Path
    schema_file: Path | None

    @property
    def schema(self) -> dict[str, Any]:
        return self.descriptor.get("schema") or {}

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.schema.get("fields", []))

    @property
    def paths(self) -> list[str]:
        """The resource's data paths as written (a list for multipart resources, [] for inline data)."""
        path = self.descriptor.get("path")
        if path is None:
            return []
        return list(path) if isinstance(path, list) else [path]

    def files(self) -> list[Path]:
        """Local data files (remote URLs are left out)."""
        return [self.base / p for p in self.paths if not is_remote(p)]


def is_remote(path: str) -> bool:
    return "://" in path


def rel_path(path: Path, root: Path) -> str:
    """`path` relative to `root` (posix), or as given when it lies outside."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def read_json(path: Path, root: Path) -> Any:
    rel = rel_path(path, root)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{rel} not found") from None
    except UnicodeDecodeError:
        raise DataError(f"{rel} is not UTF-8 text; save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{rel} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}",
                        [Problem(rel, exc.msg, "JSON syntax", exc.lineno, None,
                                 "fix the JSON at this line (a missing comma or a trailing comma is usual)")]) from None


def load(datapackage: Path, root: Path, only: Path | None = None) -> tuple[dict[str, Any], list[Resource]]:
    """Read `datapackage` and resolve every resource's schema (with `only`, just the resources whose
    local path is that file, so that a notebook reads no other resource's schema).

    Returns (package descriptor, resources). Raises DataError when the descriptor or a
    schema file cannot be read (the message names the file and the resource).
    """
    rel = rel_path(datapackage, root)
    if not datapackage.is_file():
        raise DataError(f"{rel} not found; it lists the data files and their schemas. A project without one "
                        "builds without data validation; create it to have every data file checked")
    pkg = read_json(datapackage, root)
    if not isinstance(pkg, dict) or not isinstance(pkg.get("resources", []), list):
        raise DataError(f"{rel}: a data package is a JSON object with a list 'resources'")
    base = datapackage.parent
    resources = []
    for i, res in enumerate(pkg.get("resources", [])):
        if not isinstance(res, dict):
            raise DataError(f"{rel}: resource {i + 1} is not a JSON object")
        schema, schema_file = res.get("schema"), None
        name = res.get("name", f"#{i + 1}")
        if only is not None and not (isinstance(res.get("path"), str) and not is_remote(res["path"])
                                     and (base / res["path"]).resolve() == only.resolve()):
            continue
        if isinstance(schema, str):
            if is_remote(schema):
                raise DataError(f"{rel}: resource '{name}' takes its schema from {schema}; a build must not depend "
                                "on the network: save the schema next to datapackage.json and give its relative path")
            schema_file = base / schema
            if not schema_file.is_file():
                raise DataError(f"{rel}: resource '{name}' names schema {schema}, which does not exist")
            schema = read_json(schema_file, root)
        desc = {**res, "schema": schema} if schema is not None else dict(res)
        if isinstance(res.get("dialect"), str):  # a dialect given by path, like a schema
            if is_remote(res["dialect"]):
                raise DataError(f"{rel}: resource '{name}' takes its dialect from {res['dialect']}; save it next to "
                                "datapackage.json and give its relative path")
            desc["dialect"] = read_json(base / res["dialect"], root)
        resources.append(Resource(name, desc, base, schema_file))
    return pkg, resources


def find_resource(resources: list[Resource], file: Path) -> Resource | None:
    """The resource whose (single) local path is `file`, or None."""
    target = file.resolve()
    for res in resources:
        if any(f.resolve() == target for f in res.files()):
            return res
    return None


def missing_values(schema: dict[str, Any], field: dict[str, Any]) -> list[str]:
    """The strings that mean "missing" in `field`: the field's own `missingValues` if it has
    them (Table Schema v2), else the schema's, else `[""]`. Object entries ({value, label})
    count by their value."""
    entries = field.get("missingValues", schema.get("missingValues", DEFAULT_MISSING_VALUES))
    return [e["value"] if isinstance(e, dict) else e for e in entries]


def dialect(resource: Resource) -> dict[str, Any]:
    """The resource's CSV dialect as written (v1 and v2 keys), {} when none is given."""
    d = resource.descriptor.get("dialect") or {}
    return d if isinstance(d, dict) else {}
