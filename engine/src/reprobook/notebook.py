"""What the engine reads from a notebook: code cells, the `parameters` cell, imports, language.

Notebooks are text (jupytext: percent or light `.py`, MyST `.md`) or `.ipynb`. Code is parsed as
IPython runs it: magics (`%matplotlib inline`), shell escapes (`!ls`) and help (`x?`) are
transformed by IPython's own `TransformerManager` before the Python parser sees them, so a cell
with magics still yields its imports. A cell that cannot be parsed is an error naming the
notebook, the cell and the line, never a silently empty record.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class CodeCell:
    """One code cell: its index among all cells (0-based, as papermill counts), source and tags."""

    index: int
    source: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class NotebookFacts:
    """Everything the planner needs from one notebook file, computed once per file version."""

    cells: tuple[CodeCell, ...]
    language: str  # from the kernelspec / language_info; "python" when the notebook says nothing
    imports: tuple[str, ...]  # dotted module names imported anywhere in its code (absolute imports)
    parameters: dict[str, Any]  # name -> default, from the cell tagged `parameters` (literals only)
    parameters_cell: int | None
    problem: str = ""  # a code cell that cannot be parsed: "cell N, line L: message"

    def to_json(self) -> dict:
        return {"cells": [[c.index, c.source, list(c.tags)] for c in self.cells], "language": self.language,
                "imports": list(self.imports), "parameters": _jsonable(self.parameters),
                "parameters_cell": self.parameters_cell, "problem": self.problem}

    @classmethod
    def from_json(cls, d: dict) -> "NotebookFacts":
        return cls(tuple(CodeCell(i, s, tuple(t)) for i, s, t in d["cells"]), d["language"], tuple(d["imports"]),
                   _unjson(d["parameters"]), d["parameters_cell"], d.get("problem", ""))


UNREPRESENTABLE = "__reprobook_unrepresentable__"


def _jsonable(params: dict[str, Any]) -> dict:
    return {k: (["tuple", list(v)] if isinstance(v, tuple) else v) for k, v in params.items()}


def _unjson(params: dict) -> dict[str, Any]:
    return {k: (tuple(v[1]) if isinstance(v, list) and len(v) == 2 and v[0] == "tuple" and isinstance(v[1], list)
                else v) for k, v in params.items()}


def read(path: Path):
    """The notebook as an nbformat node (text formats through jupytext). Raises ConfigError."""
    try:
        if path.suffix == ".ipynb":
            import nbformat

            return nbformat.read(str(path), as_version=4)
        import jupytext

        return jupytext.read(path)
    except Exception as exc:  # a broken notebook file: say which and why
        raise ConfigError(f"cannot read notebook {path}: {type(exc).__name__}: {exc}; fix the file "
                          "(it must be a jupytext text notebook or an .ipynb)") from None


def python_source(cell_source: str) -> str:
    """The cell as IPython would run it: magics, `!` lines and `?` help turned into Python calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell_source)


def analyse(path: Path) -> NotebookFacts:
    """Read and analyse one notebook file (no caching here; see `plan` for the stat cache)."""
    nb = read(path)
    ks = nb.metadata.get("kernelspec", {}) or {}
    li = nb.metadata.get("language_info", {}) or {}
    language = str(ks.get("language") or li.get("name") or "python").lower()
    cells = tuple(CodeCell(i, c.source, tuple(sorted(c.metadata.get("tags", []))))
                  for i, c in enumerate(nb.cells) if c.cell_type == "code")
    imports: set[str] = set()
    params: dict[str, Any] = {}
    pcell = None
    problem = ""
    if language == "python":
        for cell in cells:
            try:
                tree = ast.parse(python_source(cell.source))
            except SyntaxError as exc:
                if not problem:
                    problem = f"cell {cell.index}, line {exc.lineno}: {exc.msg}"
                continue
            imports |= imported_modules(tree)
            if "parameters" in cell.tags and pcell is None:
                pcell = cell.index
                params = parameter_defaults(tree)
    return NotebookFacts(cells, language, tuple(sorted(imports)), params, pcell, problem)


def imported_modules(tree: ast.AST) -> set[str]:
    """Dotted names of absolute imports anywhere in `tree` (also inside functions and branches);
    for `from a.b import c` both `a.b` and `a.b.c` (c may be a submodule)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names if a.name != "*")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value)  # importlib.import_module("pkg.mod")
    return names


def parameter_defaults(tree: ast.AST) -> dict[str, Any]:
    """name -> default for plain assignments in a `parameters` cell; a default that is not a
    literal (an expression) is recorded as UNREPRESENTABLE: any value is then accepted."""
    out: dict[str, Any] = {}
    for node in getattr(tree, "body", []):
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for t in targets:
            if isinstance(t, ast.Name):
                try:
                    out[t.id] = ast.literal_eval(value)
                except (ValueError, SyntaxError, TypeError):
                    out[t.id] = UNREPRESENTABLE
    return out


def require_parseable(facts: NotebookFacts, notebook: str) -> None:
    """Raise ConfigError when the notebook's code cannot be parsed or is not Python."""
    if facts.language != "python":
        raise ConfigError(f"{notebook}: its kernelspec says the language is '{facts.language}'; reprobook runs "
                          "Python notebooks only for now (jobs run in the project's own Python interpreter)")
    if facts.problem:
        raise ConfigError(f"{notebook}: cannot parse its code ({facts.problem}), even with IPython's magics "
                          "transformed; the build cannot know what it imports. Fix the cell.")


def code_digest_material(facts: NotebookFacts) -> list:
    """What the job key hashes of a notebook: its code cells and their tags (prose never changes results)."""
    return [[c.source, list(c.tags)] for c in facts.cells]
