"""A Sphinx application kept alive between builds of the HTML book (for `reprobook serve`).

`jupyter-book build` starts Python, imports Sphinx and every extension and unpickles the build
environment on each call: seconds before the first changed page is read. `LiveBook` does that
once: a child process (`python -m reprobook.livebook ROOT`, with the book build's fixed
environment) creates the Sphinx application the way `jupyter-book build` does (its configuration
from `_config.yml` through `jupyter_book.config.get_final_config`, nitpicky, the same output and
doctree folders as `reprobook.book.build_html`), and runs each build in a fork of itself (the
engine's warm kernels work the same way). Sphinx re-reads only the pages whose sources or noted
dependencies (results/ files, see `reprobook.sphinxext`) changed.

Protocol: one JSON object a line. Request `{"full": false}`; reply `{"ok": true, "warnings": [...]}`
or `{"ok": false, "error": "..."}`, after which the parent starts a new child.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .errors import BookError
from .paths import Paths


class LiveBook:
    """The parent's handle on the Sphinx child; `build()` returns the warnings of one build."""

    def __init__(self, paths: Paths):
        self.paths = paths
        self.proc: subprocess.Popen | None = None

    @property
    def outdir(self) -> Path:
        """Where the child writes the HTML (the same folder `jupyter-book build` writes)."""
        return self.paths.sphinx_work / "_build" / "html"

    def start(self) -> None:
        from .book import sphinx_env

        self.close()
        self.proc = subprocess.Popen([sys.executable, "-m", "reprobook.livebook", str(self.paths.root)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=sphinx_env(self.paths),
                                     cwd=self.paths.root)
        reply = self._read()
        if not reply.get("ok"):
            self.close()
            raise BookError(f"the book's Sphinx application could not start: {reply.get('error')}")

    def build(self, full: bool = False) -> list[str]:
        """Bring outdir up to date (every page when `full`). Returns the warnings; raises BookError
        when the build failed (the next build starts a new Sphinx application)."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"full": full}) + "\n").encode())
        self.proc.stdin.flush()
        reply = self._read()
        if not reply.get("ok"):
            self.close()
            raise BookError(f"the book build failed; the last built book is unchanged.\n  {reply.get('error')}")
        return reply["warnings"]

    def _read(self) -> dict:
        assert self.proc is not None and self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.close()
            return {"ok": False, "error": "the Sphinx process exited (its output is above)"}
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.stdin:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def sync_tree(src: Path, dest: Path) -> int:
    """Make `dest` a copy of `src`, copying only files whose size or modification time differ (each
    replaced atomically, so a file being served is never half written) and removing files `src`
    no longer has. Returns the number of files copied."""
    import shutil

    copied, keep = 0, set()
    for folder, _, files in os.walk(src):
        rel = Path(folder).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            s, d = Path(folder) / name, dest / rel / name
            keep.add(rel / name)
            st = s.stat()
            try:
                dt = d.stat()
                if dt.st_size == st.st_size and dt.st_mtime_ns == st.st_mtime_ns:
                    continue
            except FileNotFoundError:
                pass
            tmp = d.with_name(f".{name}.sync")
            shutil.copy2(s, tmp)
            os.replace(tmp, d)
            copied += 1
    for folder, _, files in os.walk(dest):
        rel = Path(folder).relative_to(dest)
        for name in files:
            if rel / name not in keep:
                (Path(folder) / name).unlink()
    return copied


# --- the child ----------------------------------------------------------------------------------

def _application(paths: Paths, warning_stream):
    """The Sphinx application `jupyter-book build ROOT --path-output _build/sphinx -n` creates."""
    from jupyter_book.config import get_final_config
    from sphinx.application import Sphinx

    overrides = {"external_toc_path": paths.toc.as_posix(), "latex_individualpages": False, "nitpicky": True}
    config, _ = get_final_config(user_yaml=paths.config if paths.config.is_file() else None, cli_config=overrides,
                                 sourcedir=paths.root, use_external_toc=True)
    outdir = paths.sphinx_work / "_build" / "html"
    app = Sphinx(srcdir=paths.root, confdir=None, outdir=outdir, doctreedir=outdir.parent / ".doctrees",
                 buildername="html", confoverrides=config, status=None, warning=warning_stream, freshenv=False,
                 warningiserror=False, keep_going=True)
    if app.config["use_multitoc_numbering"] and "numbered: true" in json.dumps(app.config.external_site_map.as_json()):
        app.setup_extension("sphinx_multitoc_numbering")  # as jupyter_book.sphinx.build_sphinx does
    return app


def read_only_doctrees() -> dict:
    """Sphinx 7.4 unpickles a page's whole doctree each time it numbers figures and tables
    (`TocTreeCollector.assign_figure_numbers`: every page, on every build) and for every
    `{numref}` (`StandardDomain._resolve_numref_xref`: the target's page). Both only read it.
    Give them each page unpickled once: most of the time of an incremental build of a book that
    numbers its tables. Returns the cache: `_serve` fills it before forking and drops the pages
    a build re-reads."""
    from sphinx.domains.std import StandardDomain
    from sphinx.environment.collectors.toctree import TocTreeCollector

    from .numref import doctrees_from

    trees: dict = {}

    def reading(method):
        def wrapper(self, env, *args):
            with doctrees_from(env, trees):
                return method(self, env, *args)
        return wrapper

    StandardDomain._resolve_numref_xref = reading(StandardDomain._resolve_numref_xref)
    TocTreeCollector.assign_figure_numbers = reading(TocTreeCollector.assign_figure_numbers)
    return trees


def _build_in_fork(app, full: bool, warnings, read: list[str]) -> dict:
    """Run one build in a fork of this process and return its reply. The application here stays as
    it was loaded (the environment as the last build pickled it), so every build starts where a new
    `jupyter-book build` would, minus the start-up: Sphinx keeps state between builds in one process
    that a fresh one does not have (sphinx-multitoc-numbering then renumbers chapters)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the build
        os.close(r)
        mark = len(warnings.getvalue())
        try:
            t0 = time.perf_counter()
            app.build(force_all=full)
            text = warnings.getvalue()[mark:]
            out = {"ok": True, "read": len(read), "seconds": round(time.perf_counter() - t0, 3),
                   "warnings": [ln for ln in text.splitlines() if "WARNING" in ln or "ERROR" in ln]}
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            out = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(w, "w") as fh:
            fh.write(json.dumps(out))
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as fh:
        text = fh.read()
    os.waitpid(pid, 0)
    return json.loads(text) if text else {"ok": False, "error": "the build process died"}


def _serve(root: Path) -> None:
    import io

    from sphinx.util.docutils import docutils_namespace, patch_docutils

    from .launcher import die_with_parent

    die_with_parent()
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything printed goes to stderr; stdout carries the protocol

    def reply(obj: dict) -> None:
        proto.write(json.dumps(obj) + "\n")

    paths = Paths.load(root)
    trees = read_only_doctrees()
    started = False
    while True:  # one loaded application until a build re-reads many pages, then a newly loaded one
        with patch_docutils(None), docutils_namespace():
            warnings = io.StringIO()
            try:
                app = _application(paths, warnings)
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which says what failed
                reply({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
                return
            read: list[str] = []  # pages a build re-reads (filled in the fork only)

            def reading(_app, _env, names: list[str]) -> None:
                read.extend(names)
                for name in names:
                    trees.pop(name, None)

            app.connect("env-before-read-docs", reading)
            trees.clear()
            for name in app.env.all_docs:  # unpickled once here, shared by every fork
                trees[name] = app.env.get_doctree(name)
            if not started:
                reply({"ok": True})
                started = True
            for line in sys.stdin:
                out = _build_in_fork(app, bool(json.loads(line).get("full")), warnings, read)
                reply(out)
                if not out["ok"]:
                    return
                if out["read"] > 2:
                    break  # pages changed since this application loaded the environment are re-read on every build
            else:
                return


if __name__ == "__main__":
    _serve(Path(sys.argv[1]))
