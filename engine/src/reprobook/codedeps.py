"""The project code a notebook imports, followed transitively, wherever it lives in the project.

A module counts as project code when it resolves to a file inside the project folder: beside the
notebook (Jupyter runs a notebook with its own folder as the working directory, so such helpers
import), under the project's declared code folders (`settings.paths.code`, default `src/`), or
anywhere else inside the project that the interpreter finds it (an editable install of a package
kept in the project, for instance). The environment's own site-packages (even a `.venv` inside
the project) are not project code: the environment digest covers them.

Resolution reads files only; nothing is imported. Top-level names that are not found beside the
notebook or in a code folder are located with `importlib.util.find_spec`, which for a top-level
name searches the path without importing anything.
"""
from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from typing import Callable

from .errors import ConfigError
from .notebook import imported_modules


def _relative_imports(path: Path, tree: ast.AST) -> set[tuple[int, str, tuple[str, ...]]]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            out.add((node.level, node.module or "", tuple(a.name for a in node.names if a.name != "*")))
    return out


def module_imports(path: Path) -> dict:
    """{"absolute": [...dotted names], "relative": [[level, module, [names]], ...]} of one .py file.
    Raises ConfigError (file and line) when it cannot be parsed."""
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise ConfigError(f"{path}: line {exc.lineno}: {exc.msg}; the build follows the imports of project "
                          "code and cannot read this file. Fix the syntax error.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text; save it as UTF-8") from None
    return {"absolute": sorted(imported_modules(tree)),
            "relative": sorted([lvl, mod, list(names)] for lvl, mod, names in _relative_imports(path, tree))}


class Resolver:
    """Finds the project files behind dotted module names.

    `search` are the folders tried first, in order (the notebook's folder, then the code folders);
    `root` the project folder; files under `exclude` (the environment's prefix, `_build/`) are
    never project code."""

    def __init__(self, root: Path, search: list[Path], exclude: list[Path]):
        self.root = root.resolve()
        self.search = [s.resolve() for s in search]
        self.exclude = [e.resolve() for e in exclude]
        self._top: dict[str, Path | None] = {}

    def _inside(self, p: Path) -> bool:
        if not p.is_relative_to(self.root):
            return False
        return not any(p.is_relative_to(e) for e in self.exclude)

    def _locate_top(self, name: str) -> Path | None:
        """The package folder or module file of a top-level name, if it is project code."""
        if name in self._top:
            return self._top[name]
        found: Path | None = None
        for folder in self.search:
            if (folder / name / "__init__.py").is_file() or (folder / name).is_dir():
                found = folder / name
                break
            if (folder / f"{name}.py").is_file():
                found = folder / f"{name}.py"
                break
        if found is None and name not in sys.builtin_module_names:
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            if spec is not None:
                if spec.submodule_search_locations:
                    locs = [Path(p).resolve() for p in spec.submodule_search_locations]
                    found = next((p for p in locs if self._inside(p)), None)
                elif spec.origin and spec.origin not in ("built-in", "frozen"):
                    origin = Path(spec.origin).resolve()
                    found = origin if self._inside(origin) else None
        if found is not None and not self._inside(found.resolve()):
            found = None
        self._top[name] = found
        return found

    def files_of(self, dotted: str) -> list[Path]:
        """Project files that importing `dotted` executes: every package __init__ on the way and
        the module itself ([] when it is not project code)."""
        parts = dotted.split(".")
        top = self._locate_top(parts[0])
        if top is None:
            return []
        files: list[Path] = []
        if top.is_file():
            return [top]
        here = top
        if (here / "__init__.py").is_file():
            files.append(here / "__init__.py")
        for part in parts[1:]:
            if (here / part / "__init__.py").is_file():
                here = here / part
                files.append(here / "__init__.py")
            elif (here / f"{part}.py").is_file():
                files.append(here / f"{part}.py")
                break
            elif (here / part).is_dir():
                here = here / part
            else:
                break  # an attribute of the module, not a submodule
        return files


def _files_below(folder: Path, parts: list[str]) -> list[Path]:
    """Files executed when importing `parts` below a package folder (by location)."""
    files: list[Path] = []
    here = folder
    for part in parts:
        if (here / part / "__init__.py").is_file():
            here = here / part
            files.append(here / "__init__.py")
        elif (here / f"{part}.py").is_file():
            files.append(here / f"{part}.py")
            break
        elif (here / part).is_dir():
            here = here / part
        else:
            break
    return files


def _relative_files(f: Path, level: int, module: str, names: list[str]) -> list[Path]:
    """Files reached by `from <level dots><module> import <names>` written in file `f`."""
    folder = f.parent
    for _ in range(level - 1):
        folder = folder.parent
    parts = module.split(".") if module else []
    files = _files_below(folder, parts)
    target = folder.joinpath(*parts)
    if target.is_dir():
        for n in names:
            files += _files_below(target, [n])
    return files


def closure(imports: list[str], resolver: Resolver,
            imports_of: Callable[[Path], dict] = module_imports) -> list[Path]:
    """Project files reached from `imports` (dotted names), transitively, sorted.

    `imports_of(file)` gives a file's imports (see `module_imports`; the planner passes a cached
    version). Relative imports inside project modules are followed by location."""
    seen: dict[Path, None] = {}
    pending: list[Path] = []
    for name in imports:
        pending += resolver.files_of(name)
    while pending:
        f = pending.pop()
        if f in seen:
            continue
        seen[f] = None
        facts = imports_of(f)
        for name in facts["absolute"]:
            pending += resolver.files_of(name)
        for level, module, names in facts["relative"]:
            pending += _relative_files(f, level, module, names)
    return sorted(seen)
