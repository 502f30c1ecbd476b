"""Content hashes: what a job's result depends on, decided by bytes, never by file times."""
from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterable


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    st = os.stat(path)
    return _sha256_file(str(path), st.st_mtime_ns, st.st_size, st.st_ino)


@functools.lru_cache(maxsize=4096)
def _sha256_file(path: str, mtime_ns: int, size: int, ino: int) -> str:
    """Memoised within one process by the file's identity and time stamp (a changed file
    has a new time stamp, so it is read again)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256_json(obj: Any) -> str:
    return sha256_bytes(canonical_json(obj))


def tree_digest(root: Path, rel_paths: Iterable[str], sha: Callable[[Path], str] | None = None) -> str:
    """One hash over several files, each named by its relative path (missing files count too)."""
    sha = sha or sha256_file
    h = hashlib.sha256()
    for rel in sorted(set(rel_paths)):
        p = root / rel
        h.update(rel.encode() + b"\0")
        h.update(sha(p).encode() if p.is_file() else b"<missing>")
        h.update(b"\n")
    return h.hexdigest()


def files_under(root: Path, folders: Iterable[str], suffixes: tuple[str, ...] | None = None) -> list[str]:
    out = []
    for folder in folders:
        base = root / folder
        if base.is_file():
            out.append(folder)
            continue
        if not base.is_dir():
            continue
        for p in base.rglob("*"):
            if not p.is_file() or "__pycache__" in p.parts or p.name.startswith("."):
                continue
            if suffixes and p.suffix not in suffixes:
                continue
            out.append(p.relative_to(root).as_posix())
    return sorted(out)


# --- the project code a notebook imports -------------------------------------------------------

def _imported_modules(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _module_file(src: Path, dotted: str) -> Path | None:
    parts = dotted.split(".")
    pkg = src.joinpath(*parts)
    if (pkg / "__init__.py").is_file():
        return pkg / "__init__.py"
    mod = src.joinpath(*parts[:-1], parts[-1] + ".py")
    return mod if mod.is_file() else None


def _relative_imports(path: Path, source: str, src: Path) -> set[str]:
    """Dotted names of `from . import x` style imports inside a project module."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    pkg_parts = list(path.relative_to(src).with_suffix("").parts)
    if pkg_parts[-1] == "__init__":
        pkg_parts = pkg_parts[:-1]
    else:
        pkg_parts = pkg_parts[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = pkg_parts[: len(pkg_parts) - (node.level - 1)] if node.level > 1 else pkg_parts
            if node.module:
                base = base + node.module.split(".")
            out.add(".".join(base))
            out.update(".".join(base + [a.name]) for a in node.names)
    return out


def project_code_closure(code: str, src: Path) -> list[Path]:
    """Files of the project's own packages (under src/) that `code` imports, transitively."""
    todo = list(_imported_modules(code))
    seen: dict[Path, None] = {}
    visited: set[str] = set()
    while todo:
        name = todo.pop()
        if name in visited:
            continue
        visited.add(name)
        parts = name.split(".")
        # every parent package's __init__ runs on import too
        for i in range(1, len(parts) + 1):
            f = _module_file(src, ".".join(parts[:i]))
            if f is None or f in seen:
                continue
            seen[f] = None
            st = f.stat()
            todo.extend(_file_imports(f, src, st.st_mtime_ns, st.st_size))
    return sorted(seen)


@functools.lru_cache(maxsize=None)
def _file_imports(f: Path, src: Path, mtime_ns: int, size: int) -> tuple[str, ...]:
    text = f.read_text(encoding="utf-8")
    return tuple(_imported_modules(text) | _relative_imports(f, text, src))


def environment_digest(lockfile: Path) -> str:
    """The locked environment: the lock file's bytes and the interpreter's version."""
    h = hashlib.sha256()
    h.update(sys.version.split()[0].encode())
    h.update(sha256_file(lockfile).encode() if lockfile.is_file() else b"<no lock>")
    return h.hexdigest()
