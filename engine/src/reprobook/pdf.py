"""`pdf`: the book as a PDF with real TeX (XeLaTeX via latexmk), byte for byte reproducible.

The layout, fonts and metadata are set in the LaTeX the Sphinx extension writes
(reprobook.latexbook, reprobook.tablefit); this module checks that the system has what TeX needs,
runs latexmk with the environment that makes the output deterministic, and publishes the PDF
atomically: a failed run leaves the last PDF in place.

Determinism: SOURCE_DATE_EPOCH fixes the dates in the PDF's document information and \\today,
FORCE_SOURCE_DATE=1 makes TeX use it for its own clock, and xdvipdfmx derives the trailer /ID from
that date; the build directory's absolute path never enters the file. Nothing here installs system
packages: a missing program, LaTeX package or font is reported with the Debian packages that
provide it (``.ci/run`` installs them on CI).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import book, latexbook
from .errors import BookError
from .locking import project_lock
from .paths import Paths

# What the PDF build runs, with the Debian package that provides it.
PROGRAMS = {"latexmk": "latexmk", "xelatex": "texlive-xetex", "xdvipdfmx": "texlive-xetex",
            "fc-match": "fontconfig"}
# LaTeX packages the book's LaTeX loads (Sphinx's and ours), by the Debian package holding them.
LATEX_FILES = {
    "fontspec.sty": "texlive-latex-recommended", "polyglossia.sty": "texlive-latex-recommended",
    "ragged2e.sty": "texlive-latex-recommended", "pdflscape.sty": "texlive-latex-recommended",
    "fancyhdr.sty": "texlive-latex-base", "hyperref.sty": "texlive-latex-base",
    "newunicodechar.sty": "texlive-latex-extra", "tabulary.sty": "texlive-latex-extra",
    "capt-of.sty": "texlive-latex-extra", "needspace.sty": "texlive-latex-extra",
    "varwidth.sty": "texlive-latex-extra", "titlesec.sty": "texlive-latex-extra",
    "framed.sty": "texlive-latex-extra", "wrapfig.sty": "texlive-latex-extra",
    "fncychap.sty": "texlive-latex-extra", "upquote.sty": "texlive-latex-extra",
    "booktabs.sty": "texlive-latex-recommended", "colortbl.sty": "texlive-latex-extra",
    "placeins.sty": "texlive-latex-extra", "pict2e.sty": "texlive-pictures", "pzdr.tfm": "texlive-fonts-recommended",
}
INSTALL_HINT = "as root: apt-get update && apt-get install -y {packages}"
LOST_CHAR = re.compile(r"Missing character: There is no (.) \(U\+([0-9A-F]{4,6})\) in font ([^!\n]*?)(?:!|$)", re.M)


@dataclass(frozen=True)
class Missing:
    """Something the PDF build needs that this system lacks, and the Debian package with it."""

    what: str
    package: str


def missing_requirements(fonts: dict | None = None) -> list[Missing]:
    """Programs, LaTeX files and fonts the PDF build needs that are not installed."""
    out = [Missing(f"program {p}", pkg) for p, pkg in PROGRAMS.items() if shutil.which(p) is None]
    if shutil.which("kpsewhich"):
        names = list(LATEX_FILES)
        proc = subprocess.run(["kpsewhich", *names], capture_output=True, text=True)
        found = {Path(line).name for line in proc.stdout.splitlines()}
        out += [Missing(f"LaTeX package {n}", LATEX_FILES[n]) for n in names if n not in found]
    if shutil.which("fc-match"):
        fonts = fonts or latexbook.FONTS
        out += [Missing(f"font {f}", latexbook.FONT_PACKAGES.get(f, "a package with the font"))
                for f in latexbook.missing_fonts(fonts)]
    return out


def require_tex(fonts: dict | None = None) -> None:
    """Raise BookError naming what is missing and the Debian packages that provide it."""
    missing = missing_requirements(fonts)
    if missing:
        packages = sorted({m.package for m in missing})
        lines = "\n".join(f"  {m.what} (Debian package {m.package})" for m in missing)
        raise BookError("the PDF needs TeX and fonts that are not installed:\n" + lines + "\n  install them "
                        + INSTALL_HINT.format(packages=" ".join(packages)))


def tex_env(paths: Paths) -> dict[str, str]:
    """The environment for TeX: reproducible dates, unwrapped log lines."""
    env = book.sphinx_env(paths)
    env["FORCE_SOURCE_DATE"] = "1"
    env["max_print_line"] = "10000"  # one warning, one line: the log stays machine-readable
    return env


def check_book_config(paths: Paths) -> None:
    """The PDF's layout is reprobook's: Jupyter Book's own LaTeX extension must be off."""
    import yaml

    from .errors import ConfigError

    cfg = yaml.safe_load((paths.root / "_config.yml").read_text(encoding="utf-8")) or {}
    latex = cfg.get("latex") or {}
    if latex.get("use_jupyterbook_latex", True) is not False:
        raise ConfigError("_config.yml: the PDF needs `latex: use_jupyterbook_latex: false` (Jupyter Book's "
                          "LaTeX extension sets its own fonts, title page and document class, which reprobook "
                          "replaces); add it under `latex:`")


def main_tex(latex_dir: Path) -> Path:
    """The document Sphinx wrote (the .tex file with a \\documentclass). Raises BookError if none."""
    docs = [p for p in sorted(latex_dir.glob("*.tex"))
            if "\\documentclass" in p.read_text(encoding="utf-8", errors="replace")[:2000]]
    if len(docs) != 1:
        raise BookError(f"expected one LaTeX document in {latex_dir}, found {[p.name for p in docs]}; "
                        "set one entry in `latex: latex_documents:` of _config.yml")
    return docs[0]


def latex_engine(latex_dir: Path) -> str:
    """The engine Sphinx configured, from the latexmkrc it wrote ('xelatex' or 'lualatex')."""
    rc = (latex_dir / "latexmkrc").read_text(encoding="utf-8") if (latex_dir / "latexmkrc").is_file() else ""
    m = re.search(r"^\$pdflatex = '(\w+)", rc, re.M)
    return m.group(1) if m else "xelatex"


def explain_failure(log_text: str) -> list[str]:
    """Readable reasons from a failed TeX log: characters no font has, then TeX's own errors."""
    reasons = []
    for char, code, font in dict.fromkeys(LOST_CHAR.findall(log_text)):
        name = unicodedata.name(char, "unnamed character")
        reasons.append(f"character {char} (U+{code}, {name}) has no glyph in {font.strip()} nor in any fallback "
                       "font; install a font that has it and add it to `reprobook_pdf: {fonts: {fallback: [...]}}`")
    errors = [ln for ln in log_text.splitlines() if ln.startswith("!") or re.match(r"^\S+\.tex:\d+:", ln)]
    reasons += list(dict.fromkeys(errors))[:15]
    return reasons


def run_latexmk(paths: Paths, latex_dir: Path, target: str) -> subprocess.CompletedProcess:
    """latexmk on `target` in `latex_dir` with the engine Sphinx chose and tex_env()."""
    engine = latex_engine(latex_dir)
    flag = {"xelatex": "-pdfxe", "lualatex": "-pdflua"}.get(engine, "-pdf")
    cmd = ["latexmk", flag, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", target]
    return subprocess.run(cmd, cwd=latex_dir, env=tex_env(paths), capture_output=True, text=True, errors="replace")


PDF_STEP = "book:pdf"


def build_pdf(paths: Paths) -> str:
    """Run stale jobs, build the book's LaTeX and typeset it into _build/pdf/book.pdf when what it
    reads changed (the plan's book dependencies; step `book:pdf` of the state store).
    Returns the PDF's path. Raises BookError (TeX or fonts missing, LaTeX failed)."""
    from . import spec
    from .build import run_pipeline
    from .plan import make_plan
    from .state import StateStore

    require_tex()
    check_book_config(paths)
    out = paths.build / "pdf" / "book.pdf"
    with project_lock(paths.build_lock):
        store = StateStore(paths.state)
        run_pipeline(paths, store=store)
        step = make_plan(paths, spec.load(paths.root), store, with_book=True).book
        old = store.step(PDF_STEP)
        if old is not None and old.deps == step.deps and out.is_file():
            print(f"PDF unchanged: {paths.rel(out)}")
            return str(out)
        work = paths.build / "sphinx-latex"
        book.run_builder(paths, "latex", work, full=True)
        latex_dir = work / "_build" / "latex"
        tex = main_tex(latex_dir)
        proc = run_latexmk(paths, latex_dir, tex.name)
        tex_log = tex.with_suffix(".log")
        if proc.returncode != 0:
            log = paths.logs / "book-pdf.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            text = tex_log.read_text(encoding="utf-8", errors="replace") if tex_log.is_file() else ""
            log.write_text(proc.stdout + proc.stderr + "\n" + text, encoding="utf-8")
            reasons = explain_failure(text) or proc.stdout.splitlines()[-15:]
            raise BookError("LaTeX failed; the last PDF is unchanged.\n" + "\n".join(f"  {r}" for r in reasons)
                            + f"\n  full log: {paths.rel(log)}")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".pdf.tmp")
        shutil.copyfile(tex.with_suffix(".pdf"), tmp)
        os.replace(tmp, out)
        shutil.copyfile(tex_log, out.with_suffix(".log"))
        store.record_step(PDF_STEP, step.deps)
        store.save()
    print(f"PDF: {out}")
    return str(out)
