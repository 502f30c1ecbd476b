"""`init DIR`: write a small working project from the template shipped with the engine.

The template (`reprobook/templates/project/`) is a complete project: one CSV with its
Frictionless data package, one parameterised notebook writing a table, a figure and in-text
values, a chapter that includes them, `pipeline.yml`, `_config.yml`, `_toc.yml`, a bibliography,
a self-documenting Makefile (`make book`, `make test`), a pytest test, a README, `.gitignore`,
`.gitattributes` and `.ci/run`. Template files whose path has a part starting with `dot-` are
written with a leading `.` instead (`dot-gitignore` -> `.gitignore`), so that the template's own
`.gitignore` does not act on the engine's repository. `{{ title }}` and `{{ version }}` in a
template file are replaced by the project's title (the folder's name) and the engine's version.

An existing file is never overwritten: the folder must not exist yet, or be empty.
"""
from __future__ import annotations

import json
import os
import shutil
from importlib import resources
from pathlib import Path, PurePosixPath

from .errors import ReprobookError

TEMPLATE = "templates/project"
DOT = "dot-"
EXECUTABLE = frozenset({".ci/run"})


class FolderNotEmpty(ReprobookError):
    """`reprobook init` was given a file, or a folder that already holds something; nothing was written.

    (Kept here rather than in `reprobook.errors`, which every job's kernel imports through
    `reprobook.nb`: in a project holding the engine's source, editing that module re-runs every job.)"""


def engine_version() -> str:
    """The installed engine's version (its distribution's metadata, else the package's)."""
    from importlib import metadata

    try:
        return metadata.version("reprobook")
    except metadata.PackageNotFoundError:
        from . import __version__

        return __version__


def template_files() -> dict[str, str]:
    """Project-relative posix path -> text of every file of the template, as `init` writes it
    (before the placeholders are filled), sorted by path."""
    root = resources.files("reprobook").joinpath(TEMPLATE)
    out: dict[str, str] = {}

    def walk(node, parts: tuple[str, ...]) -> None:
        for child in node.iterdir():
            if child.name == "__pycache__":
                continue
            here = parts + (("." + child.name[len(DOT):]) if child.name.startswith(DOT) else child.name,)
            if child.is_dir():
                walk(child, here)
            else:
                out[PurePosixPath(*here).as_posix()] = child.read_text(encoding="utf-8")

    walk(root, ())
    return dict(sorted(out.items()))


def fill(text: str, title: str, version: str) -> str:
    """The template text with its placeholders filled; a quoted `"{{ title }}"` (YAML) gets the
    title as a double-quoted YAML string, whatever characters it holds."""
    return (text.replace('"{{ title }}"', json.dumps(title, ensure_ascii=False))
            .replace("{{ title }}", title).replace("{{ version }}", version))


def _refuse(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise FolderNotEmpty(f"{dest} is a file; reprobook init writes a new project into a folder: give a folder "
                             "name that does not exist yet")
    if dest.is_dir():
        entries = sorted(p.name for p in dest.iterdir())
        if entries:
            shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
            raise FolderNotEmpty(f"{dest} is not empty (it holds {shown}); reprobook init never overwrites files: "
                                 "give a new folder name, or empty this folder first")


def init(dest: Path, title: str | None = None) -> list[Path]:
    """Write the template project into the folder `dest` (created with its parents when missing;
    an existing folder must be empty). `title` (default: the folder's name) becomes the book's
    title and the README's heading. Returns the absolute paths of the files written, sorted.

    Raises FolderNotEmpty when `dest` is a file or a folder that holds anything; if writing
    fails part way, the files written so far (and the folder, if `init` created it) are removed."""
    dest = Path(dest).absolute()
    _refuse(dest)
    title = title or dest.name
    version = engine_version()
    created = not dest.exists()
    written: list[Path] = []
    folders: list[Path] = []  # folders this call created inside dest, outermost first
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for rel, text in template_files().items():
            path = dest / rel
            for folder in reversed(path.relative_to(dest).parents[:-1]):
                if not (dest / folder).is_dir():
                    (dest / folder).mkdir()
                    folders.append(dest / folder)
            with open(path, "x", encoding="utf-8", newline="\n") as fh:  # "x": never overwrite
                written.append(path)
                fh.write(fill(text, title, version))
            if rel in EXECUTABLE:
                path.chmod(0o755)
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        else:
            for path in written:
                path.unlink(missing_ok=True)
            for folder in reversed(folders):
                os.rmdir(folder)
        raise
    return sorted(written)
