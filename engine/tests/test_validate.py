"""Data validation: the Frictionless specification's own examples, reprobook's rules (units,
missing values spelled as text, totals), incremental re-checking and streaming.

Each test writes its own small data package; `frictionless.validate` is the reference where it
implements the standard (Data Package v2, https://datapackage.org/standard/table-schema/).
"""
from __future__ import annotations

import json
from pathlib import Path

import frictionless
import pytest

from reprobook import validate
from reprobook.errors import DataError


V2 = "https://datapackage.org/profiles/2.0/datapackage.json"


def write_package(root: Path, resources: dict[str, tuple[str, dict]], *, extra: dict | None = None) -> Path:
    """A data package in root/data: name -> (CSV text, schema); returns datapackage.json's path.
    A CSV text of None makes an inline-data resource (the schema dict then holds 'data')."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, (text, schema) in resources.items():
        if text is None:
            entries.append({"name": name, "profile": "tabular-data-resource", **schema})
            continue
        (data / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
        entries.append({"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource",
                        **(extra or {}).get(name, {}), "schema": schema})
    pkg = data / "datapackage.json"
    pkg.write_text(json.dumps({"$schema": V2, "name": "t", "resources": entries}, indent=1), encoding="utf-8")
    return pkg


KIND = {"required": "constraint", "enum": "constraint", "minimum": "constraint", "maximum": "constraint",
        "exclusiveMinimum": "constraint", "exclusiveMaximum": "constraint", "pattern": "constraint",
        "minLength": "constraint", "maxLength": "constraint", "jsonSchema": "constraint",
        "unique": "unique", "primary key": "primary-key", "foreign key": "foreign-key", "header": "header",
        "blank row": "blank-row", "row length": "row-length"}
THEIR_KIND = {"field-error": "descriptor", "schema-error": "descriptor", "package-error": "descriptor", "constraint-error": "constraint", "type-error": "type", "unique-error": "unique",
              "primary-key": "primary-key", "foreign-key": "foreign-key", "blank-row": "blank-row",
              "extra-cell": "row-length", "missing-cell": "row-length"}
ROW_LEVEL = {"primary-key", "foreign-key", "row-length", "blank-row"}


def ours(pkg: Path) -> set[tuple]:
    found = set()
    for p in validate.validate(pkg, pkg.parent.parent):
        kind = "type" if p.rule.startswith("type ") else KIND[p.rule]
        if kind == "header":
            found.add((None, None, kind))
        else:
            found.add((p.row, None if kind in ROW_LEVEL else p.column, kind))
    return found


def theirs(pkg: Path) -> set[tuple]:
    found = set()
    for row, field, kind in frictionless.validate(str(pkg)).flatten(["rowNumber", "fieldName", "type"]):
        if kind.endswith("-label") or kind.endswith("-header"):
            found.add((None, None, "header"))
            continue
        k = THEIR_KIND[kind]
        found.add((row, None if k in ROW_LEVEL else field, k))
    return found


# The examples of the Table Schema standard, section "Field Constraints", each followed by the
# standard's verdict: "Will be invalid because the ... field has a value that ...". In each,
# row 3 (the second data row) breaks the rule.
ID_NAME = [{"name": "id", "type": "integer"}]
SPEC_CONSTRAINT_EXAMPLES = {
    "required": ("id,name\n1,apple\n2,\n", ID_NAME + [{"name": "name", "type": "string", "constraints": {"required": True}}], "name"),
    "unique": ("id,name\n1,apple\n2,apple\n", ID_NAME + [{"name": "name", "type": "string", "constraints": {"unique": True}}], "name"),
    "minLength": ("id,name\n1,apple\n2,plum\n", ID_NAME + [{"name": "name", "type": "string", "constraints": {"minLength": 5}}], "name"),
    "maxLength": ("id,name\n1,apple\n2,grapefruit\n", ID_NAME + [{"name": "name", "type": "string", "constraints": {"maxLength": 5}}], "name"),
    "minimum": ("id,name,price\n1,apple,100\n2,orange,50\n", ID_NAME + [{"name": "name", "type": "string"}, {"name": "price", "type": "integer", "constraints": {"minimum": 100}}], "price"),
    "maximum": ("id,name,price\n1,apple,100\n2,orange,150\n", ID_NAME + [{"name": "name", "type": "string"}, {"name": "price", "type": "integer", "constraints": {"maximum": 100}}], "price"),
    "exclusiveMinimum": ("id,name,price\n1,apple,100\n2,orange,0\n", ID_NAME + [{"name": "name", "type": "string"}, {"name": "price", "type": "integer", "constraints": {"exclusiveMinimum": 0}}], "price"),
    "exclusiveMaximum": ("id,name,price\n1,apple,100\n2,orange,150\n", ID_NAME + [{"name": "name", "type": "string"}, {"name": "price", "type": "integer", "constraints": {"exclusiveMaximum": 150}}], "price"),
    "pattern": ("id,name\n1,apple\n2,orange\n", ID_NAME + [{"name": "name", "type": "string", "constraints": {"pattern": "^a.*$"}}], "name"),
    "enum": ("id,name\n1,apple\n2,orange\n", ID_NAME + [{"name": "name", "type": "string", "constraints": {"enum": ["apple"]}}], "name"),
}


@pytest.mark.parametrize("rule", SPEC_CONSTRAINT_EXAMPLES)
def test_spec_constraint_examples_mean_what_the_standard_says(tmp_path, rule):
    text, fields, column = SPEC_CONSTRAINT_EXAMPLES[rule]
    pkg = write_package(tmp_path, {"fruit": (text, {"fields": fields})})
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.column, p.rule) for p in problems] == [(3, column, rule)]
    assert problems[0].fix
    assert ours(pkg) == theirs(pkg), "frictionless and reprobook disagree on the standard's example"
    # the valid first row alone passes
    pkg = write_package(tmp_path, {"fruit": (text.split("\n2,")[0] + "\n", {"fields": fields})})
    assert validate.validate(pkg, tmp_path) == []


def test_an_unsupported_constraint_is_reported_as_the_standard_advises(tmp_path):
    """The jsonSchema example: frictionless 5 does not evaluate it, and "implementations SHOULD
    report an error if an attempt is made to evaluate a value against an unsupported constraint"."""
    fields = ID_NAME + [{"name": "name", "type": "string"},
                        {"name": "price", "type": "object", "constraints": {"jsonSchema": {"type": "object"}}}]
    pkg = write_package(tmp_path, {"fruit": ('id,name,price\n1,apple,"{""value"": 100}"\n', {"fields": fields})})
    [p] = validate.validate(pkg, tmp_path)
    assert p.rule == "descriptor" and 'constraint "jsonSchema" is not supported' in p.message


SPEC_EXAMPLES = {
    # missingValues, field level: "" and NA missing for column1, only "-" for column2
    "field missingValues": ({"t": ("column1,column2\nNA,-\n,x\nx,\n", {
        "fields": [{"name": "column1", "constraints": {"required": True}},
                   {"name": "column2", "missingValues": ["-"], "constraints": {"required": True}}],
        "missingValues": ["", "NA"]})}, {(2, None, "blank-row"), (3, "column1", "constraint")}),
    # missingValues: [] means no conversion to null at all: an empty required cell is a value
    "empty missingValues": ({"t": ("a\n\n\"\"\n", {"fields": [{"name": "a", "type": "string", "constraints": {"required": True}}],
                                                   "missingValues": []})}, {(2, None, "blank-row")}),
    # primaryKey ["a", "c"]
    "primaryKey": ({"t": ("a,b,c\n1,x,1\n1,y,2\n1,z,1\n", {
        "fields": [{"name": "a"}, {"name": "b"}, {"name": "c"}], "primaryKey": ["a", "c"]})}, {(4, None, "primary-key")}),
    # primaryKey in the v1 form of a single string
    "primaryKey v1 string": ({"t": ("a,b\n1,x\n1,y\n", {
        "fields": [{"name": "a"}, {"name": "b"}], "primaryKey": "a"})}, {(3, None, "primary-key")}),
    # foreignKeys: population-by-state.state-code -> state-codes.code
    "foreignKeys": ({"state-codes": ("code\nCA\nNY\n", {"fields": [{"name": "code"}]}),
                     "population-by-state": ("state-code\nCA\nTX\n", {
                         "fields": [{"name": "state-code"}],
                         "foreignKeys": [{"fields": ["state-code"], "reference": {"resource": "state-codes", "fields": ["code"]}}]})},
                    {(3, None, "foreign-key")}),
    # a self-referencing foreign key (reference.resource omitted) in the v1 single-string form
    "self reference": ({"xxx": ("parent,id\n,1\n1,2\n3,4\n", {
        "fields": [{"name": "parent"}, {"name": "id"}],
        "foreignKeys": [{"fields": "parent", "reference": {"fields": "id"}}]})}, {(4, None, "foreign-key")}),
    # the `any` type: CSV values stay text
    "any": ({"t": ("id,name\n1,apple\n2,orange\n", {"fields": [{"name": "id", "type": "any"}, {"name": "name", "type": "any"}]})}, set()),
    # number: bareNumber false strips currency and percent signs; groupChar and decimalChar
    "number formats": ({"t": ("a,b,c\n€95,\"100,000\",\"1.234,5\"\n95%,1 000,\"1,5,5\"\n", {
        "fields": [{"name": "a", "type": "number", "bareNumber": False},
                   {"name": "b", "type": "number", "groupChar": ","},
                   {"name": "c", "type": "number", "decimalChar": ",", "groupChar": "."}]})},
                       {(3, "b", "type"), (3, "c", "type")}),
    # number: NaN, INF, -INF and exponents are numbers (reprobook reports non-finite numbers unless
    # the field says "finite": false, a property the standard lets a schema add: see below)
    "number specials": ({"t": ("a\nNaN\nINF\n-INF\n1E+3\nfive\n", {"fields": [{"name": "a", "type": "number", "finite": False}]})},
                        {(6, "a", "type")}),
    # boolean: trueValues / falseValues
    "boolean values": ({"t": ("a,b\ntrue,yes\n0,no\nyes,maybe\n", {
        "fields": [{"name": "a", "type": "boolean"},
                   {"name": "b", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]}]})},
                       {(4, "a", "type"), (4, "b", "type")}),
    # date: default yyyy-mm-dd, or a strptime <PATTERN>
    "dates": ({"t": ("a,b\n2024-01-26,26/01/2024\n26/01/2024,2024-01-26\n", {
        "fields": [{"name": "a", "type": "date"}, {"name": "b", "type": "date", "format": "%d/%m/%Y"}]})},
              {(3, "a", "type"), (3, "b", "type")}),
    # fieldsMatch exact (default): order matters
    "fieldsMatch exact": ({"t": ("b,a\n1,2\n", {"fields": [{"name": "a"}, {"name": "b"}]})}, {(None, None, "header")}),
    # fieldsMatch equal: same fields, any order, mapped by name
    "fieldsMatch equal": ({"t": ("b,a\nx,2\n", {"fields": [{"name": "a", "type": "integer"}, {"name": "b"}],
                                                  "fieldsMatch": "equal"})}, set()),
    # fieldsMatch subset: more columns allowed
    "fieldsMatch subset": ({"t": ("a,b,c\n1,x,y\n", {"fields": [{"name": "a", "type": "integer"}, {"name": "b"}],
                                                    "fieldsMatch": "subset"})}, set()),
    # fieldsMatch superset: fewer columns allowed
    "fieldsMatch superset": ({"t": ("b\nx\n", {"fields": [{"name": "a"}, {"name": "b"}], "fieldsMatch": "superset"})}, set()),
    # a row of empty cells is a blank row; a short row is an error
    "blank and short rows": ({"t": ("a,b\n1,2\n,\n3\n", {"fields": [{"name": "a"}, {"name": "b"}]})},
                             {(3, None, "blank-row"), (4, None, "row-length")}),
}


@pytest.mark.parametrize("name", SPEC_EXAMPLES)
def test_spec_examples_match_frictionless(tmp_path, name):
    resources, expected = SPEC_EXAMPLES[name]
    pkg = write_package(tmp_path, resources)
    assert ours(pkg) == expected
    assert theirs(pkg) == expected, "frictionless reads the standard's example otherwise"


def test_spec_dialect_examples(tmp_path):
    """Table Dialect examples: a semicolon-delimited file and a tab-separated one, read as declared."""
    pkg = write_package(tmp_path, {"semi": ("a;b\n1;x\ny;2\n", {"fields": [{"name": "a", "type": "integer"}, {"name": "b"}]}),
                                   "quoted": ("a,b\n'1,5',x\n", {"fields": [{"name": "a", "type": "number", "decimalChar": ","}, {"name": "b"}]})},
                        extra={"semi": {"dialect": {"delimiter": ";"}}, "quoted": {"dialect": {"quoteChar": "'"}}})
    assert ours(pkg) == theirs(pkg) == {(3, "a", "type")}


# Where frictionless 5 does not implement the v2 standard, the standard decides.

def test_primary_key_fields_are_required_as_the_standard_says(tmp_path):
    """v2: "their use in the primary key is equivalent to adding required: true"."""
    pkg = write_package(tmp_path, {"t": ("a,c\n1,1\n1,\n", {"fields": [{"name": "a"}, {"name": "c"}], "primaryKey": ["a", "c"]})})
    [p] = validate.validate(pkg, tmp_path)
    assert (p.row, p.column, p.rule) == (3, "c", "required") and "primary key" in p.fix


def test_integer_group_char_as_the_standard_says(tmp_path):
    """v2: integer "MAY be modified using ... groupChar"; frictionless 5 reads it for numbers only."""
    schema = {"fields": [{"name": "b", "type": "integer", "groupChar": ","}]}
    pkg = write_package(tmp_path, {"t": ('b\n"100,000"\n1 000\n', schema)})
    assert [(p.row, p.rule) for p in validate.validate(pkg, tmp_path)] == [(3, "type integer")]


def test_unique_keys_ignore_rows_with_nulls(tmp_path):
    """v2 uniqueKeys example: [a], [a, b], [a, c]; null values are excluded from the check."""
    schema = {"fields": [{"name": "a"}, {"name": "b"}, {"name": "c"}], "uniqueKeys": [["a"], ["a", "b"], ["a", "c"]]}
    pkg = write_package(tmp_path, {"t": ("a,b,c\n1,x,y\n2,x,y\n,x,y\n,x,y\n1,z,w\n", schema)})
    found = [(p.row, p.column, p.rule) for p in validate.validate(pkg, tmp_path)]
    assert found == [(6, "a", "unique keys")]


def test_categories_restrict_values(tmp_path):
    schema = {"fields": [{"name": "fruit", "type": "integer",
                          "categories": [{"value": 0, "label": "apple"}, {"value": 1, "label": "orange"}]}]}
    pkg = write_package(tmp_path, {"t": ("fruit\n0\n1\n2\n", schema)})
    assert [(p.row, p.rule) for p in validate.validate(pkg, tmp_path)] == [(4, "categories")]


def test_bad_descriptor_is_reported_against_the_standard(tmp_path):
    pkg = write_package(tmp_path, {"t": ("a\n1\n", {"fields": [{"name": "a", "type": "integr"}]}),
                                   "u": ("alpha\n1\n", {"fields": [{"name": "alpha"}], "primaryKey": ["alpah"],
                                                    "foreignKeys": [{"fields": "a", "reference": {"resource": "zz", "fields": "id"}}]})})
    problems = validate.validate(pkg, tmp_path)
    text = "\n".join(p.render() for p in problems)
    assert "schema of resource 't': field type \"integr\" is not supported" in text
    assert "primaryKey names 'alpah', which is not among the schema's fields (did you mean 'alpha'?)" in text
    assert "refers to resource 'zz', which the package does not list" in text
    assert all(p.file == "data/datapackage.json" and p.rule == "descriptor" and p.fix for p in problems)


def test_other_resources_are_read_by_frictionless(tmp_path):
    """Inline data (not a local CSV) goes through frictionless, with the same rules and messages."""
    pkg = write_package(tmp_path, {"inline": (None, {"data": [["a", "n"], ["x", 1], ["y", -2], ["x", 3]],
                                                     "schema": {"fields": [{"name": "a"}, {"name": "n", "type": "integer", "unit": "count"}],
                                                                "primaryKey": ["a"]}})})
    problems = validate.validate(pkg, tmp_path)
    assert [(p.file, p.row, p.rule) for p in problems] == [("data/datapackage.json#inline", 3, "unit range"),
                                                            ("data/datapackage.json#inline", 4, "primary key")]


# Units (reprobook.units): what a unit cannot be

COUNT_SCHEMA = {"fields": [{"name": "place", "type": "string"},
                           {"name": "households", "type": "number", "unit": "count"}]}


def test_a_negative_count_is_rejected(tmp_path):
    pkg = write_package(tmp_path, {"census": ("place,households\nA,12\nB,-3\nC,2.5\n", COUNT_SCHEMA)})
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.column, p.rule) for p in problems] == [(3, "households", "unit range"), (4, "households", "unit range")]
    assert "-3 is below 0, the least a count can be" in problems[0].message
    assert "not a whole number" in problems[1].message


def test_a_percentage_share_outside_0_100_is_rejected_even_with_a_wider_minimum(tmp_path):
    schema = {"fields": [{"name": "group"}, {"name": "share", "type": "number", "unit": "percent",
                                              "constraints": {"minimum": -1e20}}]}
    pkg = write_package(tmp_path, {"shares": ("group,share\na,44.3\nb,-99999999999999\nc,100\nd,100.5\n", schema)})
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.rule) for p in problems] == [(3, "unit range"), (5, "unit range")]
    assert "-99,999,999,999,999 is below 0, the least a percentage share of a whole can be" in problems[0].message
    assert "'percent change'" in problems[0].fix


def test_changes_and_growth_rates_are_not_bounded(tmp_path):
    schema = {"fields": [{"name": "growth", "type": "number", "unit": "percent change"},
                         {"name": "gap", "type": "number", "unit": "percentage points"},
                         {"name": "balance", "type": "number", "unit": "thousand EUR"}]}
    pkg = write_package(tmp_path, {"t": ("growth,gap,balance\n-250,-130,-2615179\n370.5,12,5\n", schema)})
    assert validate.validate(pkg, tmp_path) == []


def test_unit_per_row_from_a_unit_field(tmp_path):
    schema = {"fields": [{"name": "value", "type": "number", "unitField": "unit"},
                         {"name": "unit", "type": "string"}]}
    pkg = write_package(tmp_path, {"t": ("value,unit\n-5,thousand EUR\n-5,percent\n101,fraction\n0.5,fraction\n", schema)})
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.column, p.rule) for p in problems] == [(3, "value", "unit range"), (4, "value", "unit range")]
    assert "the row's unit is 'percent'" in problems[0].message


def test_explicit_constraint_reported_once_not_twice(tmp_path):
    schema = {"fields": [{"name": "n", "type": "integer", "unit": "count", "constraints": {"minimum": 0}}]}
    pkg = write_package(tmp_path, {"t": ("n\n-1\n", schema)})
    assert [p.rule for p in validate.validate(pkg, tmp_path)] == ["minimum"]


def test_a_misspelt_unit_is_a_descriptor_problem(tmp_path):
    schema = {"fields": [{"name": "n", "type": "number", "unit": "percnet"}]}
    pkg = write_package(tmp_path, {"t": ("n\n500\n", schema)})
    [p] = validate.validate(pkg, tmp_path)
    assert p.rule == "unit" and "did you mean 'percent'" in p.message


# One missing-value rule

TEXT_SCHEMA = {"fields": [{"name": "code", "type": "string", "constraints": {"required": True}},
                          {"name": "note", "type": "string"}]}


def test_missing_value_spelled_as_text_is_reported(tmp_path):
    pkg = write_package(tmp_path, {"t": ("code,note\nn/a,x\nB,NULL\nC,\n", TEXT_SCHEMA)})
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.column, p.rule) for p in problems] == [(2, "code", "missing value spelled as text"),
                                                              (3, "note", "missing value spelled as text")]
    assert "fill in the value: the column is required" in problems[0].fix
    assert "leave the cell empty" in problems[1].fix


def test_declared_missing_values_and_enum_values_are_not_text_spellings(tmp_path):
    schema = {"fields": [{"name": "country", "type": "string", "constraints": {"enum": ["NA", "ZA"]}},
                         {"name": "note", "type": "string"}], "missingValues": ["", "n/a"]}
    pkg = write_package(tmp_path, {"t": ("country,note\nNA,n/a\nZA,\n", schema)})
    assert validate.validate(pkg, tmp_path) == []
    # declared missing in a required column: required, not "spelled as text"
    schema["fields"][1]["constraints"] = {"required": True}
    pkg = write_package(tmp_path, {"t": ("country,note\nNA,n/a\n", schema)})
    [p] = validate.validate(pkg, tmp_path)
    assert (p.rule, p.message) == ("required", "required value is missing ('n/a' means missing here)")


def test_na_spelling_in_a_number_column_gets_a_hint(tmp_path):
    pkg = write_package(tmp_path, {"t": ("n\nn/a\n", {"fields": [{"name": "n", "type": "integer"}]})})
    [p] = validate.validate(pkg, tmp_path)
    assert p.rule == "type integer" and "declare 'n/a' in the schema's missingValues" in p.message


# Finite numbers (reprobook rule, a deliberate departure from Table Schema, which reads NaN, INF
# and -INF as numbers: pandas reads NaN as missing and leaves the row out of a mean silently)

FINITE_CSV = "year,value\n2020,1.5\n2021,NaN\n2022,INF\n2023,-INF\n2024,1e999\n2025,nan\n2026,\n"


def test_non_finite_numbers_are_reported_where_frictionless_passes_them(tmp_path):
    schema = {"fields": [{"name": "year", "type": "integer"}, {"name": "value", "type": "number"}]}
    pkg = write_package(tmp_path, {"t": (FINITE_CSV, schema)})
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.column, p.rule) for p in problems] == [(r, "value", "finite") for r in (3, 4, 5, 6, 7)]
    assert theirs(pkg) == set(), "frictionless reads them all as numbers, as the standard says"
    nan, inf, big = problems[0], problems[1], problems[3]
    assert "'NaN' is not a number pandas can compute with: it reads it as missing" in nan.message
    assert "leave the cell empty, or declare 'NaN' in the schema's missingValues" in nan.fix
    assert 'set "finite": false on the field' in nan.fix
    assert "'INF' is infinite as a 64-bit float" in inf.message
    assert "'1e999' is infinite" in big.message  # a Decimal to frictionless, infinity to pandas


COMMENTS = {"t": {"dialect": {"commentChar": "#"}}}  # a dialect the streaming reader leaves to frictionless


@pytest.mark.parametrize("extra", [None, COMMENTS], ids=["streamed", "frictionless"])
def test_a_non_finite_number_next_to_a_bound_is_reported_as_such_and_odd_nans_are_not_numbers(tmp_path, extra):
    schema = {"fields": [{"name": "year", "type": "integer"},
                         {"name": "value", "type": "number", "constraints": {"required": True, "maximum": 10}}]}
    pkg = write_package(tmp_path, {"t": ("year,value\n2020,NaN\n2021,INF\n2022,NaN123\n2023,50\n", schema)}, extra=extra)
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.rule) for p in problems] == [(2, "finite"), (3, "finite"), (4, "type number"), (5, "maximum")]
    assert problems[0].fix.startswith("fill in the value: the column is required")
    # a signaling NaN: frictionless itself raises when it compares one with a bound
    pkg = write_package(tmp_path, {"t": ("year,value\n2020,sNaN\n2021,5\n", schema)}, extra=extra)
    assert [(p.row, p.rule) for p in validate.validate(pkg, tmp_path)][:1] in ([(2, "type number")], [(None, "read")])


@pytest.mark.parametrize("extra", [None, COMMENTS], ids=["streamed", "frictionless"])
def test_the_message_quotes_the_cell_as_written_and_the_fix_fits_it(tmp_path, extra):
    schema = {"fields": [{"name": "k"},
                         {"name": "a", "type": "number", "decimalChar": ","},
                         {"name": "b", "type": "number", "missingValues": ["-"]}]}
    text = 'k,a,b\nx,nan,1\ny,"1,5e999", NaN \nz,2,NaN\n'
    pkg = write_package(tmp_path, {"t": (text, schema)}, extra=extra)
    found = {(p.row, p.column): p for p in validate.validate(pkg, tmp_path)}
    assert set(found) == {(2, "a"), (3, "a"), (3, "b"), (4, "b")}
    assert found[2, "a"].message.startswith("'nan' is not a number pandas can compute with")
    assert "declare 'nan' in the schema's missingValues" in found[2, "a"].fix
    assert found[3, "a"].message.startswith("'1,5e999' is infinite as a 64-bit float")
    assert "missingValues" not in found[3, "a"].fix  # an infinity is not a missing value
    assert "missingValues" not in found[3, "b"].fix  # ' NaN ' with its spaces: declaring 'NaN' would not match
    assert "declare 'NaN' in the field's missingValues" in found[4, "b"].fix  # the field's own list wins


@pytest.mark.parametrize("extra", [None, COMMENTS], ids=["streamed", "frictionless"])
def test_signaling_nans_are_not_numbers_even_where_non_finite_ones_are_allowed(tmp_path, extra):
    schema = {"fields": [{"name": "v", "type": "number", "finite": False, "unit": "count"}], "primaryKey": ["v"]}
    pkg = write_package(tmp_path, {"t": ("v\nsNaN\nsNaN\nNaN7\nNaN\n", schema)}, extra=extra)
    assert [(p.row, p.rule) for p in validate.validate(pkg, tmp_path)] == [(2, "type number"), (3, "type number"),
                                                                            (4, "type number")]


def test_a_field_may_allow_non_finite_numbers_and_missing_values_stay_missing(tmp_path):
    schema = {"fields": [{"name": "year", "type": "integer"}, {"name": "value", "type": "number", "finite": False}]}
    pkg = write_package(tmp_path, {"t": (FINITE_CSV, schema)})
    assert validate.validate(pkg, tmp_path) == []
    schema = {"fields": [{"name": "year", "type": "integer"}, {"name": "value", "type": "number"}],
              "missingValues": ["", "NaN", "nan"]}
    pkg = write_package(tmp_path, {"t": ("year,value\n2020,NaN\n2021,nan\n2022,\n", schema)})
    assert validate.validate(pkg, tmp_path) == []


@pytest.mark.parametrize("extra", [None, COMMENTS], ids=["streamed", "frictionless"])
def test_an_integer_beyond_64_bits_is_reported(tmp_path, extra):
    schema = {"fields": [{"name": "n", "type": "integer"}]}
    pkg = write_package(tmp_path, {"t": ("n\n9223372036854775807\n99999999999999999999\n-9223372036854775809\n", schema)},
                        extra=extra)
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.rule) for p in problems] == [(3, "int64 range"), (4, "int64 range")]
    assert problems[0].message.startswith("99999999999999999999 does not fit in a 64-bit integer")


@pytest.mark.parametrize("extra", [None, COMMENTS], ids=["streamed", "frictionless"])
def test_nan_keys_are_duplicates_however_spelt_where_a_field_allows_them(tmp_path, extra):
    schema = {"fields": [{"name": "g"}, {"name": "v", "type": "number", "finite": False}], "primaryKey": ["g", "v"]}
    pkg = write_package(tmp_path, {"t": ("g,v\na,NaN\na,nan\nb,NaN\na,1\n", schema)}, extra=extra)
    assert [(p.row, p.rule) for p in validate.validate(pkg, tmp_path)] == [(3, "primary key")]


@pytest.mark.parametrize("extra", [None, COMMENTS], ids=["streamed", "frictionless"])
def test_numbers_with_underscores_or_other_digits_are_not_numbers(tmp_path, extra):
    """Python (so frictionless) reads 8_04 as 804 and １２ as 12; pandas and spreadsheets read text.
    Passed, a slip of the keyboard would publish a wrong mean."""
    schema = {"fields": [{"name": "n", "type": "integer"}, {"name": "x", "type": "number"}, {"name": "y", "type": "year"}]}
    pkg = write_package(tmp_path, {"t": ("n,x,y\n1,8.04,2020\n1_0,8_04,２０２０\n１２,٣,2021\n", schema)}, extra=extra)
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.column, p.rule) for p in problems] == [
        (3, "n", "type integer"), (3, "x", "type number"), (3, "y", "type year"),
        (4, "n", "type integer"), (4, "x", "type number")]
    assert all("digits 0-9 only, without '_'" in p.message for p in problems)
    # a missing-value spelling with '_', and a unit's superscript with bareNumber false, are no digits
    schema = {"fields": [{"name": "n", "type": "integer"}, {"name": "x", "type": "number", "bareNumber": False}],
              "missingValues": ["", "N_A"]}
    pkg = write_package(tmp_path, {"t": ("n,x\nN_A,12 m²\n3,N_A\n", schema)}, extra=extra)
    assert validate.validate(pkg, tmp_path) == []


@pytest.mark.parametrize("extra", [None, COMMENTS], ids=["streamed", "frictionless"])
def test_where_nan_is_allowed_it_passes_bounds_totals_and_foreign_keys(tmp_path, extra):
    parent = {"fields": [{"name": "k", "type": "number", "finite": False}], "primaryKey": ["k"]}
    child = {"fields": [{"name": "g"}, {"name": "part"}, {"name": "v", "type": "number", "finite": False},
                        {"name": "k", "type": "number", "finite": False},
                        {"name": "b", "type": "number", "finite": False, "constraints": {"maximum": 10}}],
             "foreignKeys": [{"fields": ["k"], "reference": {"resource": "p", "fields": ["k"]}}],
             "totals": [{"column": "part", "total": "all", "parts": ["x", "y"], "value": "v", "by": ["g"]}]}
    text = "g,part,v,k,b\nc,all,INF,NaN,NaN\nc,x,INF,nan,1\nc,y,1,1,nan\nd,x,NaN,2,11\n"
    pkg = write_package(tmp_path, {"p": ("k\nNaN\n1\n", parent), "c": (text, child)},
                        extra=None if extra is None else {"c": extra["t"]})
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.column, p.rule) for p in problems] == [(5, "b", "maximum"), (5, "k", "foreign key")], problems
    pkg = write_package(tmp_path, {"p": ("k\nNaN\nnan\n", parent), "c": ("g,part,v,k,b\n", child)})
    [dup] = validate.validate(pkg, tmp_path)
    assert dup.message == "duplicate key {'k': 'NaN'}, first on line 2"


def test_a_nan_with_a_payload_is_not_a_number_and_a_fix_fits_the_missing_values(tmp_path):
    schema = {"fields": [{"name": "v", "type": "number", "finite": False}, {"name": "w", "type": "number"}],
              "missingValues": ["-"]}
    pkg = write_package(tmp_path, {"t": ("v,w\nNaN0,1\n1,NaN\n", schema)})
    odd, nan = validate.validate(pkg, tmp_path)
    assert (odd.row, odd.rule) == (2, "type number")
    assert "leave the cell empty" not in nan.fix and "if it is missing, declare 'NaN' in the schema's missingValues" in nan.fix


def test_finite_is_a_boolean_and_false_only_on_number_fields(tmp_path):
    schema = {"fields": [{"name": "a", "type": "number", "finite": "no"}, {"name": "b", "type": "integer", "finite": False},
                         {"name": "c", "type": "integer", "finite": True}]}  # true anywhere is what holds anyway
    pkg = write_package(tmp_path, {"t": ("a,b,c\n1,2,3\n", schema)})
    assert [(p.rule, p.column) for p in validate.validate(pkg, tmp_path)] == [("descriptor", "a"), ("descriptor", "b")]


def test_non_finite_numbers_in_other_resources_are_reported_too(tmp_path):
    pkg = write_package(tmp_path, {"inline": (None, {"data": [["a", "n"], ["x", 1.5], ["y", "NaN"], ["z", "-INF"]],
                                                     "schema": {"fields": [{"name": "a"}, {"name": "n", "type": "number"}]}})})
    problems = validate.validate(pkg, tmp_path)
    assert [(p.row, p.column, p.rule) for p in problems] == [(3, "n", "finite"), (4, "n", "finite")]


def test_na_spellings_are_pandas_defaults():
    from pandas._libs.parsers import STR_NA_VALUES

    from reprobook.datapackage import NA_SPELLINGS

    assert NA_SPELLINGS == set(STR_NA_VALUES) - {""}


# Totals (reprobook rule)

def test_total_must_equal_sum_of_parts(tmp_path):
    schema = {"fields": [{"name": "region"}, {"name": "year", "type": "integer"}, {"name": "v", "type": "number"}],
              "totals": [{"column": "region", "total": "ALL", "parts": ["A", "B"], "value": "v", "by": ["year"], "tolerance": 1}]}
    text = "region,year,v\nA,2020,10\nB,2020,5\nALL,2020,16\nA,2021,1\nB,2021,1\nALL,2021,5\n"
    pkg = write_package(tmp_path, {"t": (text, schema)})
    [p] = validate.validate(pkg, tmp_path)
    assert (p.row, p.column, p.rule) == (7, "v", "total = sum of parts")
    assert "the ALL total 5 (year=2021) differs from the sum of its 2 parts 2 by +3, beyond the tolerance 1" in p.message


# A project without a data package; incremental checks

def test_no_datapackage_means_nothing_to_check(tmp_path):
    assert validate.check(tmp_path / "data" / "datapackage.json", tmp_path) == {}


CODES = ("code\nA\nB\n", {"fields": [{"name": "code"}], "primaryKey": ["code"]})
FACTS = ("code,n\nA,1\nB,2\n", {"fields": [{"name": "code"}, {"name": "n", "type": "integer"}],
                                "foreignKeys": [{"fields": "code", "reference": {"resource": "codes", "fields": "code"}}]})
OTHER = ("x\n1\n", {"fields": [{"name": "x", "type": "integer"}]})


def test_only_changed_files_and_their_dependents_are_rechecked(tmp_path):
    pkg = write_package(tmp_path, {"codes": CODES, "facts": FACTS, "other": OTHER})
    first = validate.validate_changed(pkg, tmp_path)
    assert first.problems == [] and set(first.checked) == {"data/codes.csv", "data/facts.csv", "data/other.csv"}
    assert validate.check(pkg, tmp_path) == first.digests

    again = validate.validate_changed(pkg, tmp_path, first.digests)
    assert again.checked == [] and again.digests == first.digests

    (tmp_path / "data/other.csv").write_text("x\n1\n2\n")
    after_other = validate.validate_changed(pkg, tmp_path, first.digests)
    assert after_other.checked == ["data/other.csv"]

    (tmp_path / "data/codes.csv").write_text("code\nA\nC\n")  # B gone: facts.csv now breaks its foreign key
    after_codes = validate.validate_changed(pkg, tmp_path, after_other.digests)
    assert set(after_codes.checked) == {"data/codes.csv", "data/facts.csv"}
    assert [(p.file, p.row, p.rule) for p in after_codes.problems] == [("data/facts.csv", 3, "foreign key")]
    assert "data/facts.csv" not in after_codes.digests and "data/codes.csv" in after_codes.digests
    with pytest.raises(DataError):
        validate.check(pkg, tmp_path, after_other.digests)

    (tmp_path / "data/facts.csv").write_text("code,n\nA,1\nC,2\n")  # the referencing file alone changed:
    fixed = validate.validate_changed(pkg, tmp_path, after_codes.digests)  # keys come from codes.csv unchanged
    assert fixed.checked == ["data/facts.csv"] and fixed.problems == []


def test_a_schema_change_rechecks_its_file(tmp_path):
    pkg = write_package(tmp_path, {"other": OTHER})
    digests = validate.check(pkg, tmp_path)
    schema = dict(OTHER[1], fields=[{"name": "x", "type": "integer", "constraints": {"minimum": 5}}])
    pkg = write_package(tmp_path, {"other": (OTHER[0], schema)})
    out = validate.validate_changed(pkg, tmp_path, digests)
    assert out.checked == ["data/other.csv"] and [p.rule for p in out.problems] == ["minimum"]


def test_duplicates_found_exactly_in_a_long_file(tmp_path):
    rows = [f"k{i},{i % 7}" for i in range(20000)] + ["k123,0", "k19999,1"]
    schema = {"fields": [{"name": "k"}, {"name": "v", "type": "integer"}], "primaryKey": ["k"]}
    pkg = write_package(tmp_path, {"t": ("k,v\n" + "\n".join(rows) + "\n", schema)})
    found = [(p.row, p.message) for p in validate.validate(pkg, tmp_path)]
    assert found == [(20002, "duplicate key {'k': 'k123'}, first on line 125"),
                     (20003, "duplicate key {'k': 'k19999'}, first on line 20001")]


def test_memory_stays_flat_as_rows_grow(tmp_path):
    """Rows are streamed: the peak Python memory of a check grows by at most a few bytes a row
    (the 8-byte key hashes), not by the rows themselves."""
    import tracemalloc

    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "group", "constraints": {"enum": ["a", "b", "c"]}},
                         {"name": "share", "type": "number", "unit": "percent"}], "primaryKey": ["id"]}

    def peak(n: int) -> int:
        root = tmp_path / str(n)
        text = "id,group,share\n" + "".join(f"{i},{'abc'[i % 3]},{i % 100}.5\n" for i in range(n))
        pkg = write_package(root, {"t": (text, schema)})
        tracemalloc.start()
        assert validate.validate(pkg, root) == []
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    peak(10)  # imports and caches first
    small, large = peak(4_000), peak(20_000)
    per_row = (large - small) / 16_000
    assert per_row < 40, f"peak memory grew by {per_row:.0f} bytes a row; rows must not be kept"


def test_a_project_without_a_data_package_passes_the_input_checks(mini):
    """The build's input checks (data package, bibliography) run only for the files that exist."""
    from reprobook import build
    from reprobook.paths import Paths
    from reprobook.testing import invoke

    from reprobook.state import StateStore

    (mini / "data" / "datapackage.json").unlink()
    assert not (mini / "references.bib").exists()
    paths = Paths.load(mini)
    store = StateStore(paths.state)
    _, plan = build.load_plan(paths, store, with_book=False)
    assert plan.checks == ()  # nothing to check, and nothing fails
    build.run_checks(paths, plan, store)
    proc = invoke(mini, "validate", check=True)
    assert "no data/datapackage.json, nothing to validate" in proc.stdout


def test_the_engine_fixture_data_is_valid_and_a_bad_cell_is_reported(mini):
    pkg = mini / "data" / "datapackage.json"
    assert validate.validate(pkg, mini) == []
    (mini / "data" / "numbers.csv").write_text("group,value\na,1\nb,-2\nc,1.5\n")
    found = [(p.row, p.column, p.rule) for p in validate.validate(pkg, mini)]
    assert found == [(3, "value", "minimum"), (4, "value", "unit range")]  # a count is whole
