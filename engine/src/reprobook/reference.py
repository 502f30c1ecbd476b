"""Reference pages of the adopter's guide, generated from the code so that they cannot drift.

Each topic renders Markdown (MyST) from the thing it documents:

- `cli`: every subcommand and option of the command line, from its argparse parser;
- `settings`: the `settings:` block of pipeline.yml, from its schema (`settings.reference()`);
- `pipeline`: every key of a job in pipeline.yml, from the key sets `spec` validates against;
- `api MODULE`: the public functions and classes of a module (`reprobook.nb`, `reprobook.testing`)
  with their signatures and docstrings, read from the source (nothing is imported);
- `sphinx`: the directives, roles and configuration values `reprobook.sphinxext` registers, with
  every option each directive accepts;
- `exit-codes`: the command line's exit status for each error class of `reprobook.errors`.

Where the code holds names but not their meaning (the keys of a job, the options of a
directive), the meaning is written here, and rendering fails with `IncompleteReference`, naming
the key, when something exists that is not described or is described but no longer exists. The
book build therefore stops until the guide and the code agree. `reprobook.sphinxref` is the thin
Sphinx directive that puts a topic into a page.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import re
from pathlib import Path
from typing import Any, Callable

from .errors import ReprobookError


class IncompleteReference(ReprobookError):
    """Something the guide must describe is not described, or a description names nothing."""


# --- helpers ----------------------------------------------------------------------------------

def _cell(text: str) -> str:
    """Text for one cell of a Markdown table."""
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


_SPECIAL = re.compile(r"([\\*_{}\[\]<>#|$~])")
_TOKENS = re.compile(r"(\{[a-z][a-z:-]*\}`[^`\n]+`|``.+?``|`[^`\n]+`)")


def _escape_text(text: str) -> str:
    """Prose of a docstring as MyST Markdown: code spans kept, everything else literal (a role
    written in a docstring, such as {claim}`name`, is shown as code, never run)."""
    out = []
    for i, part in enumerate(_TOKENS.split(text)):
        if i % 2 == 0:
            out.append(_SPECIAL.sub(r"\\\1", part))
        elif part.startswith("{"):
            out.append(f"`` {part} ``")
        else:
            out.append(part)
    return "".join(out)


def docstring_markdown(doc: str) -> str:
    """A docstring (as `inspect.cleandoc` leaves it) as Markdown: paragraphs of prose, and blocks
    indented by four spaces or more as Python code."""
    blocks, current = [], []
    for line in doc.splitlines() + [""]:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    out = []
    for block in blocks:
        if all(line.startswith("    ") for line in block):
            out.append("```python\n" + "\n".join(line[4:] for line in block) + "\n```")
        else:
            out.append(_escape_text(" ".join(line.strip() for line in block)))
    return "\n\n".join(out)


# --- the command line -------------------------------------------------------------------------

def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser, str]]:
    """(name, parser, help) of every subcommand, in the order they were added."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return [(name, sub, helps.get(name, "")) for name, sub in action.choices.items()]
    return []


def _arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions
            if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)) and a.help != argparse.SUPPRESS]


def _metavar(action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    mv = action.metavar if action.metavar is not None else (action.dest if not action.option_strings
                                                            else action.dest.upper())
    return mv if isinstance(mv, str) else " ".join(mv)


def _forms(action: argparse.Action) -> list[str]:
    """How the argument is written: `-j JOBS`, `--jobs JOBS`, or `DIR` for a positional."""
    mv = _metavar(action)
    if not action.option_strings:
        return [mv]
    return [f"{o} {mv}".strip() for o in action.option_strings]


def _synopsis_part(action: argparse.Action) -> str:
    form = _forms(action)[0]
    if isinstance(action, argparse._AppendAction):
        form += " ..."
    if action.option_strings and not action.required:
        return f"[{form}]"
    if not action.option_strings and action.nargs in ("?", "*"):
        return f"[{form}]"
    return form


def _shared_help(parser: argparse.ArgumentParser) -> dict[tuple[str, ...], str]:
    """Option strings -> help, for options documented under any subcommand: an option spelled
    the same way means the same thing everywhere (e.g. `-j/--jobs`)."""
    out: dict[tuple[str, ...], str] = {}
    for _, sub, _ in _subcommands(parser):
        for a in _arguments(sub):
            if a.option_strings and a.help:
                out.setdefault(tuple(a.option_strings), a.help)
    return out


def argument_help(action: argparse.Action, shared: dict[tuple[str, ...], str]) -> str:
    """The argument's help: its own, else that of the same option under another subcommand;
    '' when there is none."""
    text = action.help or ""
    if not text and action.option_strings:
        text = shared.get(tuple(action.option_strings), "")
    if "%(" in text:
        try:
            text = text % {**vars(action), "prog": "reprobook"}
        except (KeyError, TypeError, ValueError):
            pass
    return text


def _argument_rows(actions: list[argparse.Action], shared: dict, where: str) -> list[str]:
    rows = ["| argument | meaning | default |", "|---|---|---|"]
    for a in actions:
        text = argument_help(a, shared)
        if not text:
            raise IncompleteReference(f"the argument {'/'.join(_forms(a))} of {where} has no help text; give it "
                                      "help= in reprobook.cli.build_parser")
        if isinstance(a, argparse._AppendAction):
            text = _sentence(text) + " Repeatable."
        default = "" if a.default in (None, False, argparse.SUPPRESS) or a.nargs == 0 else f"`{a.default}`"
        rows.append(f"| {', '.join(f'`{f}`' for f in _forms(a))} | {_cell(_sentence(text))} | {default} |")
    return rows


def cli(parser: argparse.ArgumentParser | None = None) -> str:
    """The command line: global options, then one section per subcommand with its synopsis and a
    table of its arguments (from the parser; `reprobook.cli.build_parser()` by default)."""
    if parser is None:
        from .cli import build_parser

        parser = build_parser()
    shared = _shared_help(parser)
    prog = parser.prog
    out = [_escape_text(_sentence(parser.description or "")), "",
           f"Run `{prog} SUBCOMMAND --help` for the same information in a terminal. Global options go "
           f"before the subcommand (`{prog} -C ../paper status`).", "", "## Global options", ""]
    out += _argument_rows(_arguments(parser), shared, prog)
    for name, sub, text in _subcommands(parser):
        args = _arguments(sub)
        if not text:
            raise IncompleteReference(f"the subcommand '{name}' has no help text; give it help= in "
                                      "reprobook.cli.build_parser")
        synopsis = " ".join([prog, name] + [_synopsis_part(a) for a in args])
        out += ["", f"## `{prog} {name}`", "", _escape_text(_sentence(text)), "", "```text", synopsis, "```", ""]
        out += _argument_rows(args, shared, f"'{prog} {name}'") if args else ["It takes no arguments."]
    return "\n".join(out) + "\n"


def cli_entries(parser: argparse.ArgumentParser) -> set[tuple[str, str]]:
    """(subcommand or '' for global, option string or positional metavar) of every argument."""
    out = {("", f) for a in _arguments(parser) for f in (a.option_strings or [_metavar(a)])}
    for name, sub, _ in _subcommands(parser):
        out.add((name, ""))
        out |= {(name, f) for a in _arguments(sub) for f in (a.option_strings or [_metavar(a)])}
    return out


def documented_cli_entries(markdown: str) -> set[tuple[str, str]]:
    """The (subcommand, option) pairs a rendered CLI reference documents: read back from its
    section headings and the first column of its tables."""
    out: set[tuple[str, str]] = set()
    command = ""
    for line in markdown.splitlines():
        m = re.match(r"^## `\S+ (\S+)`$", line)
        if m:
            command = m.group(1)
            out.add((command, ""))
        elif line.startswith("| `"):
            first = line.split(" | ")[0].lstrip("| ")
            for form in re.findall(r"`([^`]+)`", first):
                out.add((command, form.split(" ")[0] if form.startswith("-") else form))
    return out


# --- pipeline.yml ---------------------------------------------------------------------------

# (section, key) -> meaning. The sections and their keys must be exactly those `spec` accepts.
PIPELINE_DOCS: dict[str, dict[str, str]] = {
    "top": {
        "jobs": "mapping of job names (lowercase letters, digits, `_`) to jobs; a job runs one notebook",
        "settings": "project-wide settings (see the settings reference below); optional",
    },
    "job": {
        "notebook": "path of the notebook, relative to the project folder: jupytext text (`.py` percent or "
                    "light, MyST `.md`) or `.ipynb`. Required",
        "description": "one line saying what the job computes (shown in reports)",
        "parameters": "mapping of parameter names to values, injected after the notebook's cell tagged "
                      "`parameters`. Each name must have a default in that cell; a value is checked against "
                      "the default's type (a date or a number-looking string is converted where the default's "
                      "type allows it, otherwise an error says what to write)",
        "inputs": "list of the files the notebook reads, relative to the project folder: data files, or "
                  "another job's outputs (`results/tables/NAME.csv`), which makes this job run after that "
                  "one. Their content is part of the job's key; the notebook reads them with "
                  "`nb.input_path`, and reading any other project file fails the job",
        "outputs": "what the notebook must save, by kind (below); a job that saves anything else, or less, "
                   "fails. Every output has exactly one producing job",
        "sweep": "run the notebook over a grid of values of one parameter (below); a sweep job declares "
                 "tables only, with one or more rows per point",
        "timeout": "seconds the job may run, across all its cells, before it is stopped (default: "
                   "`settings.timeout`)",
    },
    "outputs": {
        "tables": "list of table names, or a mapping of names to table options (below); saved with "
                  "`nb.save_table`, published as `results/tables/NAME.csv`",
        "figures": "list of figure names (or a mapping of names to figure options); saved with "
                   "`nb.save_figure`, published as `results/figures/NAME.svg` and `.pdf`",
        "values": "list of in-text value names; saved with `nb.save_value`, published in "
                  "`results/values.json`, shown in the text with the `value` role",
        "claims": "list of claim names; saved with `nb.save_claim`, published in `results/claims.json`; a "
                  "build stops when a claim the book cites does not hold",
    },
    "table": {
        "key": "column or list of columns identifying a row; `verify` and `diff` match rows by it",
        "tolerance": "largest absolute difference of a numeric cell that `verify` still accepts as "
                     "reproduced (default 0: exact)",
        "description": "what the table holds",
        "report": "`true` prints the table's rows after every build that changes it (for findings a reader "
                  "of the build log should see)",
    },
    "figure": {
        "description": "what the figure shows",
    },
    "sweep": {
        "parameter": "the notebook parameter that takes the list of points (it must have a default in the "
                     "`parameters` cell, and must not also be set under `parameters:`)",
        "values": "the points: a list, or `{start, stop, step}` (stop included, reached in whole steps)",
        "column": "the column of every output table that holds the point (default: the parameter's name)",
        "chunks": "into how many kernels the points are split; `0` or `auto`: one per worker. Each point is "
                  "cached, so widening the grid runs only the new points",
    },
}

PIPELINE_TITLES = {
    "top": "Top level", "job": "A job: `jobs: NAME:`", "outputs": "Outputs: `outputs:`",
    "table": "Table options: `outputs: tables: NAME:`", "figure": "Figure options: `outputs: figures: NAME:`",
    "sweep": "Sweeps: `sweep:`",
}


def pipeline_keys() -> dict[str, set[str]]:
    """Section -> the keys `reprobook.spec` accepts there."""
    from . import spec

    return {"top": set(spec.TOP_KEYS), "job": set(spec.JOB_KEYS), "outputs": set(spec.OUTPUT_KINDS),
            "table": set(spec.TABLE_KEYS), "figure": set(spec.FIGURE_KEYS), "sweep": set(spec.SWEEP_KEYS)}


def _check_described(kind: str, existing: set[str], described: set[str], fix: str) -> None:
    missing, stale = sorted(existing - described), sorted(described - existing)
    if missing:
        raise IncompleteReference(f"{kind} {', '.join(repr(m) for m in missing)} not described; {fix}")
    if stale:
        raise IncompleteReference(f"{kind} {', '.join(repr(s) for s in stale)} described but no longer "
                                  f"exist(s); remove the description ({fix.split(';')[0]})")


def pipeline() -> str:
    """Every key of pipeline.yml below `jobs:`, section by section, with its meaning."""
    keys = pipeline_keys()
    _check_described("pipeline.yml section(s)", set(keys), set(PIPELINE_DOCS), "add them to PIPELINE_DOCS in "
                     "reprobook.reference")
    out = []
    for section, docs in PIPELINE_DOCS.items():
        _check_described(f"pipeline.yml key(s) of '{section}':", keys[section], set(docs),
                         "describe them in PIPELINE_DOCS in reprobook.reference")
        out += [f"### {PIPELINE_TITLES[section]}", "", "| key | meaning |", "|---|---|"]
        out += [f"| `{k}` | {_cell(_sentence(v))} |" for k, v in docs.items()]
        out.append("")
    return "\n".join(out)


def settings() -> str:
    """The `settings:` block: every key with its type, default and meaning (from its schema)."""
    from . import settings as settings_mod

    return settings_mod.reference()


# --- the Python API ---------------------------------------------------------------------------

def _arg(arg: ast.arg, default: ast.expr | None) -> str:
    text = arg.arg + (f": {ast.unparse(arg.annotation)}" if arg.annotation is not None else "")
    if default is not None:
        text += (" = " if arg.annotation is not None else "=") + ast.unparse(default)
    return text


def signature(args: ast.arguments) -> str:
    """A function's parameters as written in its source, e.g. `name: str, *, unit: str = ''`."""
    parts: list[str] = []
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for i, (a, d) in enumerate(zip(positional, defaults)):
        parts.append(_arg(a, d))
        if args.posonlyargs and i == len(args.posonlyargs) - 1:
            parts.append("/")
    if args.vararg is not None:
        parts.append("*" + _arg(args.vararg, None))
    elif args.kwonlyargs:
        parts.append("*")
    parts += [_arg(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg is not None:
        parts.append("**" + _arg(args.kwarg, None))
    return ", ".join(parts)


def public_names(module: str) -> list[str]:
    """Public functions and classes a module defines (not imports), in source order."""
    return [name for name, _ in _public_nodes(module)[1]]


def _public_nodes(module: str) -> tuple[str, list[tuple[str, ast.AST]]]:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise IncompleteReference(f"module {module} not found (or not Python source); check the name")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"), filename=spec.origin)
    nodes = [(n.name, n) for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
             and not n.name.startswith("_")]
    return ast.get_docstring(tree) or "", nodes


def api(module: str) -> str:
    """One section per public function or class of `module`: its signature and its docstring.
    Raises IncompleteReference for a public function or class without a docstring."""
    short = module.rsplit(".", 1)[-1]
    _, nodes = _public_nodes(module)
    out = []
    for name, node in nodes:
        doc = ast.get_docstring(node)
        if not doc:
            raise IncompleteReference(f"{module}.{name} has no docstring; every public function says what it takes, "
                                      "returns and raises")
        if isinstance(node, ast.ClassDef):
            bases = ", ".join(ast.unparse(b) for b in node.bases)
            sig = f"class {short}.{name}" + (f"({bases})" if bases else "")
        else:
            returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
            sig = f"{short}.{name}({signature(node.args)}){returns}"
        out += [f"### `{short}.{name}`", "", "```python", sig, "```", "", docstring_markdown(doc), ""]
    return "\n".join(out)


# --- the Sphinx extension ---------------------------------------------------------------------

SPHINX_DOCS: dict[str, dict[str, str]] = {
    "result-table": {
        "": "a result table, `results/tables/NAME.csv`, as a numbered table with its caption and a provenance "
            "line (notebook, job, inputs, short hash) from the manifest, which in HTML links to the notebook cell "
            "that saved the table. Numbers are shown in the book's "
            "format; columns whose name contains `year` or ends in `_id` or `_code` are shown as written. The "
            "page is rebuilt when the table changes",
        "caption": "the caption (default: the directive's content, else the table's name)",
        "name": "a label for cross-references with the `numref` role; without it the table still gets the "
                "HTML anchor `table-NAME` (with `-` for `_`)",
        "columns": "comma-separated columns to show, in that order (default: all); with `:pivot:`, the columns "
                   "that identify a row (default: every column not named in `:pivot:` or `:values:`)",
        "headers": "the column headers to print, separated by `|`, one per shown column (default: the "
                   "column names)",
        "text-columns": "comma-separated columns shown exactly as written, without number formatting",
        "widths": "accepted for compatibility and not used: column widths follow the content, so that long "
                  "text columns wrap on a printed page",
        "pivot": "show a long table wide: the column (or comma-separated columns) whose values become column "
                 "headers, so that the page never types them (needs `:values:`)",
        "values": "with `:pivot:`, the column(s) whose cells fill the new columns",
        "pivot-headers": "with `:pivot:`, one header template per `:values:` column, separated by `|`, in which "
                         "`{column}` is replaced by the pivot value (e.g. `{year}` or `Exports {year}`); default: "
                         "the pivot values, followed by the value column's name when there are several",
    },
    "result-figure": {
        "": "a result figure, `results/figures/NAME.svg` in HTML and `.pdf` in LaTeX, as a numbered figure "
            "with its caption and a provenance line",
        "caption": "the caption (default: the directive's content, else the figure's name)",
        "name": "a label for cross-references with the `numref` role; without it the figure still gets the "
                "HTML anchor `figure-NAME` (with `-` for `_`)",
        "alt": "the text alternative for screen readers (default: the caption)",
        "width": "the displayed width, e.g. `80%` or `12cm`",
    },
    "result-values": {
        "": "the values appendix: every in-text value of `results/values.json`, by job, with what it is about, "
            "the notebook cell that computed it, the data rows that fed it (when the notebook names them with "
            "`nb.save_value(..., rows=...)`) and where the book shows it: links to each page in HTML, page "
            "numbers in the PDF (a long table that breaks across pages)",
    },
    "result-record": {
        "": "the record as a table: every artifact of `results/manifest.json` (path, kind, job, notebook, "
            "hash) and the environment it was computed in (Python and package versions)",
        "caption": "the caption (default: a sentence naming the manifest)",
        "name": "a label for cross-references with the `numref` role",
    },
    "value": {
        "": "the display form of an in-text value, `results/values.json[NAME]`: a number formatted once, by "
            "`nb.save_value`, in the book's format. `NAME.FACET` prints what the value is about instead, as "
            "recorded with `nb.save_value(..., about={...})` (a year stays as written), and `NAME.unit` its "
            "unit. In HTML the number links to the notebook cell that computed it (the job's executed notebook, "
            "kept in the record and shown as a page), with a tooltip naming job, notebook, inputs and the data "
            "rows that fed it. An unknown name or facet is an error that stops a strict build",
    },
    "claim": {
        "": "a small check mark after a sentence that makes claim NAME, stated in a notebook with "
            "`nb.save_claim(NAME, holds, statement, values=[...])` and declared under the job's `outputs: claims:`; "
            "in HTML it links to the cell that states the claim, with the statement as its tooltip. A build whose "
            "data make a cited claim false stops before anything is published, naming the claim, its values and "
            "the sentence; an unknown claim is an error",
    },
    "reprobook_citation": {
        "": "in `_config.yml` under `sphinx: config:`, a mapping of citation metadata written into every HTML "
            "page as Highwire Press tags (`citation_title`, `citation_author`, ...), which Google Scholar and "
            "Zotero read: `title`, `authors` (a list), `publication_date`, `date`, `pdf_url`, `public_url`, "
            "`publisher`, `language`, `abstract_html_url`",
    },
}


class _Recorder:
    """Stands in for the Sphinx application: records what an extension's setup() registers."""

    def __init__(self) -> None:
        self.directives: dict[str, Any] = {}
        self.roles: dict[str, Any] = {}
        self.config: dict[str, Any] = {}

    def add_directive(self, name: str, cls: Any, override: bool = False) -> None:
        self.directives[name] = cls

    def add_role(self, name: str, role: Any, override: bool = False) -> None:
        self.roles[name] = role

    def add_config_value(self, name: str, default: Any, *args: Any, **kwargs: Any) -> None:
        self.config[name] = default

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


def registered(extension: str = "reprobook.sphinxext") -> _Recorder:
    """What the Sphinx extension registers (directives, roles, configuration values)."""
    import importlib

    rec = _Recorder()
    importlib.import_module(extension).setup(rec)
    return rec


def sphinx_entries(rec: _Recorder) -> dict[str, set[str]]:
    """Name -> its options ('' for the thing itself) of every directive, role and config value."""
    out = {name: {""} | set(getattr(cls, "option_spec", None) or {}) for name, cls in rec.directives.items()}
    out.update({name: {""} for name in [*rec.roles, *rec.config]})
    return out


def sphinx() -> str:
    """The directives (with their arguments and options), roles and configuration values of the
    book, as `reprobook.sphinxext` registers them."""
    rec = registered()
    entries = sphinx_entries(rec)
    fix = "describe it in SPHINX_DOCS in reprobook.reference"
    _check_described("Sphinx directive(s), role(s) or setting(s)", set(entries), set(SPHINX_DOCS), fix)
    for name, options in entries.items():
        _check_described(f"option(s) of {name}:", options, set(SPHINX_DOCS[name]), fix)
    out = []
    for name, cls in rec.directives.items():
        docs = SPHINX_DOCS[name]
        arg = " NAME" if getattr(cls, "required_arguments", 0) else ""
        example = [f"```{{{name}}}{arg}"] + [f":{o}: ..." for o in ("caption",) if o in docs] + ["```"]
        out += [f"### `{name}` (directive)", "", _sentence(docs[""]), "", "````markdown", *example, "````", ""]
        options = [f"| `:{o}:` | {_cell(_sentence(t))} |" for o, t in docs.items() if o]
        if options:  # a directive without options gets no (empty) table
            out += ["| option | meaning |", "|---|---|", *options, ""]
    for name in rec.roles:
        examples = [f"{{{name}}}`NAME`"] + ([f"{{{name}}}`NAME.FACET`"] if name == "value" else [])
        out += [f"### `{name}` (role)", "", _sentence(SPHINX_DOCS[name][""]), "", "```markdown", *examples, "```", ""]
    for name in rec.config:
        out += [f"### `{name}` (configuration)", "", _sentence(SPHINX_DOCS[name][""]), ""]
    return "\n".join(out)


# --- exit status ------------------------------------------------------------------------------

def exit_codes() -> str:
    """The command line's exit status for each kind of error (`reprobook.errors`), as a table."""
    import inspect

    from . import errors

    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, errors.ReprobookError) and c.__module__ == errors.__name__]
    classes.sort(key=lambda c: (c.exit_code, c is not errors.ReprobookError, c.__name__))
    rows = ["| exit status | error | when |", "|---|---|---|", "| `0` | | the command did what it was asked |"]
    for c in classes:
        doc = inspect.getdoc(c) or ""
        if not doc:
            raise IncompleteReference(f"reprobook.errors.{c.__name__} has no docstring; say when it is raised")
        if c is errors.ReprobookError:
            rows.append(f"| `{c.exit_code}` | any other error | a mistake the message names, with what to do |")
        else:
            rows.append(f"| `{c.exit_code}` | `{c.__name__}` | {_cell(_escape_text(doc.splitlines()[0]))} |")
    return "\n".join(rows) + "\n"


# --- the registry -----------------------------------------------------------------------------

TOPICS: dict[str, Callable[..., str]] = {"cli": cli, "settings": settings, "pipeline": pipeline, "api": api,
                                          "sphinx": sphinx, "exit-codes": exit_codes}


def render(topic: str, *args: str) -> str:
    """The Markdown of one topic (`api` takes a module name). Raises IncompleteReference."""
    if topic not in TOPICS:
        raise IncompleteReference(f"unknown reference topic '{topic}'; known: {', '.join(TOPICS)}")
    try:
        return TOPICS[topic](*args)
    except TypeError as exc:
        raise IncompleteReference(f"reference topic '{topic}' takes other arguments: {exc}") from None
