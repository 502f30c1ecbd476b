"""The Jupyter Book layer (thin): hand the project to `jupyter-book build`, keep the last good book.

Whether the book must be rebuilt is decided by the plan (`reprobook.plan`, step `book:html`);
this module only runs the builder and swaps the new HTML in. Warnings are errors unless
`settings.warnings` is `report`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import BookError
from .paths import Paths
from .plan import StepPlan
from .state import StateStore


def jupyter_book() -> str:
    exe = Path(sys.executable).parent / "jupyter-book"
    return str(exe) if exe.exists() else "jupyter-book"


def source_date_epoch(paths: Paths) -> str:
    """SOURCE_DATE_EPOCH for dated outputs (the PDF): the environment's, else CITATION.cff's
    `date-released` (midnight UTC), else 0. Fixed, so that builds are byte-identical."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    if paths.citation.is_file():
        import datetime as dt
        import re

        m = re.search(r"^date-released:\s*['\"]?(\d{4}-\d{2}-\d{2})", paths.citation.read_text(encoding="utf-8"), re.M)
        if m:
            day = dt.datetime.strptime(m.group(1), "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
            return str(int(day.timestamp()))
    return "0"


def sphinx_env(paths: Paths) -> dict[str, str]:
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = source_date_epoch(paths)
    env["PYTHONHASHSEED"] = "0"
    return env


def run_builder(paths: Paths, builder: str, workdir: Path, full: bool) -> list[str]:
    """Run `jupyter-book build` with `builder`; returns the warnings (when they are reported, not
    errors). Raises BookError with the relevant lines and the log's path when it fails."""
    strict = paths.settings.warnings == "error"
    cmd = [jupyter_book(), "build", str(paths.root), "--path-output", str(workdir), "--builder", builder,
           "-n", "--keep-going", "-q"] + (["-W"] if strict else []) + (["--all"] if full else [])
    proc = subprocess.run(cmd, cwd=paths.root, env=sphinx_env(paths), capture_output=True, text=True,
                          errors="replace")
    text = proc.stdout + proc.stderr
    warnings = [ln for ln in text.splitlines() if "WARNING" in ln or "ERROR" in ln]
    if proc.returncode != 0:
        lines = warnings or [ln for ln in text.splitlines() if "rror" in ln] or text.splitlines()[-25:]
        detail = "\n".join(f"  {ln}" for ln in lines[:40])
        log = paths.logs / f"book-{builder}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(text, encoding="utf-8")
        why = "warnings are errors; set `warnings: report` under settings to report them instead" if strict else ""
        raise BookError(f"the {builder} book build failed ({why or 'see the log'}); the last built book is "
                        f"unchanged.\n{detail}\n  full log: {paths.rel(log)}")
    return warnings


def needs_full_rebuild(step: StepPlan, store: StateStore, name: str) -> bool:
    """Sphinx re-reads only pages whose sources changed; when the configuration or an extension
    changed, every page must be re-read."""
    old = store.step(name)
    if old is None:
        return True
    return any(old.deps.get(k) != v for k, v in step.deps.items() if k.startswith(("config:", "extension:")))


def build_html(paths: Paths, step: StepPlan, store: StateStore) -> list[str]:
    """Build the HTML book into _build/html (swapped in only when the build succeeded) and
    record the step. Returns the warnings reported (settings.warnings: report)."""
    work = paths.sphinx_work
    warnings = run_builder(paths, "html", work, needs_full_rebuild(step, store, step.name))
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
    store.record_step(step.name, step.deps)
    return warnings
