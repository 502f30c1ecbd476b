"""`pdf`: the book as a PDF with real TeX (pdflatex via latexmk), deterministic."""
from __future__ import annotations

import os
import shutil
import subprocess

from . import book
from .errors import BookError
from .locking import project_lock
from .paths import Paths

TEX_PACKAGES = ["texlive-latex-recommended", "texlive-latex-extra", "texlive-fonts-recommended", "tex-gyre", "latexmk"]


def ensure_tex() -> None:
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing TeX Live (Debian packages: " + " ".join(TEX_PACKAGES) + ") ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *TEX_PACKAGES]):
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace")
            if proc.returncode != 0:
                raise BookError(f"could not install TeX with {' '.join(cmd)}:\n{proc.stderr[-2000:]}")
        return
    raise BookError("the PDF needs TeX Live, which is not installed; as root run: apt-get install "
                    + " ".join(TEX_PACKAGES))


PDF_STEP = "book:pdf"


def build_pdf(paths: Paths) -> str:
    """Bring results/ up to date, then build the PDF book into _build/pdf/book.pdf when what it
    reads changed. Raises BookError when LaTeX fails (the last PDF is kept)."""
    from . import spec
    from .build import run_pipeline
    from .plan import CURRENT, make_plan
    from .state import StateStore

    ensure_tex()
    out = paths.build / "pdf" / "book.pdf"
    with project_lock(paths.build_lock):
        store = StateStore(paths.state)
        run_pipeline(paths, store=store)
        pipeline = spec.load(paths.root)
        step = make_plan(paths, pipeline, store, with_book=True).book
        old = store.step(PDF_STEP)
        if old is not None and old.deps == step.deps and out.is_file():
            print(f"PDF unchanged: {paths.rel(out)}")
            return str(out)
        work = paths.build / "sphinx-latex"
        book.run_builder(paths, "latex", work, full=True)
        latex_dir = work / "_build" / "latex"
        env = {**book.sphinx_env(paths), "FORCE_SOURCE_DATE": "1"}
        cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "book.tex"]
        proc = subprocess.run(cmd, cwd=latex_dir, env=env, capture_output=True, text=True, errors="replace")
        if proc.returncode != 0:
            log = paths.logs / "book-pdf.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
            errors = [ln for ln in proc.stdout.splitlines() if ln.startswith("!") or ".tex:" in ln][:15]
            raise BookError("LaTeX failed; the last PDF is unchanged.\n" + "\n".join(f"  {e}" for e in errors)
                            + f"\n  full log: {paths.rel(log)}")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".pdf.tmp")
        shutil.copyfile(latex_dir / "book.pdf", tmp)
        os.replace(tmp, out)
        store.record_step(PDF_STEP, step.deps)
        store.save()
    print(f"PDF: {out}")
    return str(out)
