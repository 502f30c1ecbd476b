"""What the book reads, found from the book's own configuration, never from a fixed folder list.

The pages are those `_toc.yml` names (and, unless `only_build_toc_files` is true, every page file
Sphinx would read under the project root); each page adds the files it includes (`{include}`,
`{literalinclude}`, images and figures, Markdown images); `_config.yml` adds the bibliography
files, the favicon and logo, and the Sphinx extensions, which are hashed by their source files
wherever they are installed; results are read through the record (`results/`).
"""
from __future__ import annotations

import fnmatch
import importlib.util
import re
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import ConfigError
from .paths import Paths

PAGE_SUFFIXES = (".md", ".ipynb", ".rst")
INCLUDE = re.compile(r"^[`:]{3,}\{(include|literalinclude|image|figure)\}\s+(\S+)", re.M)
MD_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")
ENGINE_EXTENSION = "reprobook.sphinxext"


def load_yaml(path: Path) -> dict:
    """A book configuration file as a mapping; ConfigError with line and column on bad YAML."""
    import yaml

    if not path.is_file():
        raise ConfigError(f"{path.name} not found in {path.parent}; the book needs it")
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path.name} is not valid YAML{where}: {getattr(exc, 'problem', exc)}; fix the syntax") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name} must be a mapping of settings")
    return data


def toc_entries(toc: dict) -> list[str]:
    """Every `file:` (and the `root:`) the table of contents names, in order."""
    out = [toc["root"]] if "root" in toc else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                out.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk({k: v for k, v in toc.items() if k != "root"})
    return out


def page_file(root: Path, entry: str) -> Path | None:
    for ext in ("", *PAGE_SUFFIXES):
        p = root / f"{entry}{ext}"
        if p.is_file():
            return p
    return None


def pages(paths: Paths, toc: dict, config: dict) -> list[Path]:
    """The page files the book is built from. Raises ConfigError for a missing page."""
    root = paths.root
    if "root" not in toc:
        raise ConfigError("_toc.yml has no 'root:' entry naming the book's first page (e.g. root: book/index)")
    found: dict[Path, None] = {}
    for entry in toc_entries(toc):
        p = page_file(root, entry) if isinstance(entry, str) else None
        if p is None:
            raise ConfigError(f"_toc.yml names page '{entry}', which does not exist; create it (e.g. {entry}.md) "
                              "or fix the entry")
        found[p] = None
    if not config.get("only_build_toc_files", False):
        excluded = list(config.get("exclude_patterns") or []) + ["_build", "_build/*", ".*", "**/.*"]
        for p in _all_pages(root, excluded):
            found.setdefault(p, None)
    return list(found)


def _all_pages(root: Path, excluded: list[str]) -> list[Path]:
    out = []
    for p in root.rglob("*"):
        if p.suffix not in PAGE_SUFFIXES or not p.is_file():
            continue
        rel = p.relative_to(root).as_posix()
        parts = PurePosixPath(rel).parts
        if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(parts[0], pat) for pat in excluded):
            continue
        if any(part.startswith(".") or part in ("_build", "__pycache__") for part in parts):
            continue
        out.append(p)
    return sorted(out)


def page_references(page: Path) -> list[str]:
    """Paths a page includes or shows (relative to the page's folder, or to the root when they
    start with '/'), as written."""
    try:
        text = page.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    refs = [m.group(2) for m in INCLUDE.finditer(text)] + MD_IMAGE.findall(text)
    return sorted({r for r in refs if "://" not in r and not r.startswith(("#", "data:"))})


def resolve_reference(root: Path, page: Path, ref: str) -> list[Path]:
    if ref.startswith("/"):
        base = root / ref.lstrip("/")
    else:
        base = page.parent / ref
    if ref.endswith(".*"):  # Sphinx's "any format" image path
        stem = base.name[:-2]
        return sorted(p for p in base.parent.glob(f"{stem}.*") if p.is_file())
    return [base] if base.is_file() else []


def extension_modules(config: dict) -> list[str]:
    sphinx = config.get("sphinx") or {}
    mods = list(sphinx.get("extra_extensions") or []) + list(sphinx.get("local_extensions") or {})
    if ENGINE_EXTENSION not in mods:
        mods.append(ENGINE_EXTENSION)
    return [m for m in mods if isinstance(m, str)]


def module_source_files(name: str) -> list[Path]:
    """Files of the top-level package holding module `name` (its code and the style sheets and
    templates it ships), found without importing it; [] when it cannot be found."""
    top = name.split(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        out = []
        for loc in spec.submodule_search_locations:
            out += [p for p in Path(loc).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        return sorted(out)
    return [Path(spec.origin)] if spec.origin and spec.origin not in ("built-in", "frozen") else []


def config_files(paths: Paths, config: dict) -> list[Path]:
    """Files `_config.yml` points at: bibliographies, favicon, logo, static folders."""
    root = paths.root
    out: list[Path] = []
    for bib in config.get("bibtex_bibfiles") or []:
        out.append(root / bib)
    html = config.get("html") or {}
    for key in ("favicon",):
        if isinstance(html.get(key), str):
            out.append(root / html[key])
    if isinstance(config.get("logo"), str):
        out.append(root / config["logo"])
    if paths.citation.is_file():  # the title page, the PDF's metadata and the citation tags read it
        out.append(paths.citation)
    sphinx_cfg = ((config.get("sphinx") or {}).get("config") or {})
    for folder in sphinx_cfg.get("html_static_path") or ["_static"]:
        d = root / folder
        if d.is_dir():
            out += sorted(p for p in d.rglob("*") if p.is_file())
    return out
