"""The book layer: hand the sources and results to Jupyter Book, keep the last good book."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import stamps
from .errors import BookError
from .hashing import files_under, tree_digest
from .paths import DEFAULT_SOURCE_DATE_EPOCH, Paths

# the engine's modules that shape the book (its Sphinx extensions) and what they read
BOOK_ENGINE = ["engine/src/reprobook/sphinxext.py", "engine/src/reprobook/formatting.py",
               "engine/src/reprobook/latexbook.py", "engine/src/reprobook/tablefit.py",
               "engine/src/reprobook/citestyle.py", "engine/src/reprobook/static/reprobook-citations.css",
               "CITATION.cff"]
BOOK_INPUTS = ["book", "results", "_config.yml", "_toc.yml", "references.bib", *BOOK_ENGINE]


def book_digest(paths: Paths, extra: str = "") -> str:
    return tree_digest(paths.root, files_under(paths.root, BOOK_INPUTS)) + extra


def jupyter_book() -> str:
    exe = Path(sys.executable).parent / "jupyter-book"
    return str(exe) if exe.exists() else "jupyter-book"


def sphinx_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH)
    env["PYTHONHASHSEED"] = "0"
    return env


EXTENSION = [*BOOK_ENGINE, "_config.yml", "references.bib"]


def _run_builder(paths: Paths, builder: str, workdir: Path) -> None:
    # Sphinx re-reads pages whose sources or noted dependencies changed; when the extension
    # that renders results (or the configuration) changed, every page must be re-read.
    ext = tree_digest(paths.root, EXTENSION)
    full = stamps.read(paths.stamps, f"ext-{builder}") != ext
    cmd = [jupyter_book(), "build", str(paths.root), "--path-output", str(workdir), "--builder", builder,
           "-W", "-n", "--keep-going", "-q"] + (["--all"] if full else [])
    proc = subprocess.run(cmd, cwd=paths.root, env=sphinx_env(), capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        text = proc.stdout + proc.stderr
        lines = [ln for ln in text.splitlines() if "WARNING" in ln or "ERROR" in ln or "rror" in ln]
        detail = "\n".join(f"  {ln}" for ln in (lines or text.splitlines()[-25:])[:40])
        log = paths.logs / f"book-{builder}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(text, encoding="utf-8")
        raise BookError(f"the {builder} book build failed (warnings are errors); the last built book is unchanged.\n"
                        f"{detail}\n  full log: {paths.rel(log)}")
    stamps.write(paths.stamps, f"ext-{builder}", ext)


def check_config(paths: Paths) -> None:
    """_config.yml and _toc.yml parse, and every page the table of contents names exists."""
    import yaml

    from .errors import ConfigError

    docs = {}
    for name in ("_config.yml", "_toc.yml"):
        path = paths.root / name
        if not path.is_file():
            raise ConfigError(f"{name} not found in {paths.root}; the book needs it")
        try:
            docs[name] = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ConfigError(f"{name} is not valid YAML{where}: {getattr(exc, 'problem', exc)}; fix the syntax") from None
        if not isinstance(docs[name], dict):
            raise ConfigError(f"{name} must be a mapping of settings")
    toc = docs["_toc.yml"]
    if "root" not in toc:
        raise ConfigError("_toc.yml has no 'root:' entry naming the book's first page (e.g. root: book/index)")

    def files(node):
        if isinstance(node, dict):
            if "file" in node:
                yield node["file"]
            for v in node.values():
                yield from files(v)
        elif isinstance(node, list):
            for v in node:
                yield from files(v)

    for entry in [toc["root"], *files(toc)]:
        if not isinstance(entry, str) or not any((paths.root / f"{entry}{ext}").is_file() for ext in ("", ".md", ".ipynb", ".rst")):
            raise ConfigError(f"_toc.yml names page '{entry}', which does not exist; create book page {entry}.md "
                              "or fix the entry")


def build_html(paths: Paths, force: bool = False) -> bool:
    """Build the HTML book into _build/html when its inputs changed. Returns True if it built."""
    digest = book_digest(paths)
    if not force and stamps.read(paths.stamps, "html") == digest and (paths.html / "index.html").is_file():
        return False
    check_config(paths)
    work = paths.sphinx_work
    _run_builder(paths, "html", work)
    nxt, old = paths.build / "html.next", paths.build / "html.old"
    for p in (nxt, old):
        if p.exists():
            shutil.rmtree(p)
    shutil.copytree(work / "_build" / "html", nxt)
    if paths.html.exists():
        os.replace(paths.html, old)
    os.replace(nxt, paths.html)
    if old.exists():
        shutil.rmtree(old)
    stamps.write(paths.stamps, "html", digest)
    return True
