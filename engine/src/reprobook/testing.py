"""Helpers for a project's own tests: run the real CLI on a copy of a project, hash a tree.

    from reprobook.testing import invoke, run_cli, tree_hashes

    def test_builds(tmp_path):
        proc = run_cli(project, "build", check=True)   # a new process, as a user types it
        proc = invoke(project, "build", check=True)    # the same command inside the test's process

`run_cli` starts `python -m reprobook` (about 0.7 s of interpreter start and imports per call);
`invoke` calls the same `reprobook.cli.main` in the test's own process, as click's `CliRunner` or
doit's `DoitMain().run` do, so that only the first call pays the imports. Both return a
`subprocess.CompletedProcess` with the exit code and the captured output, child processes' too.
Use `run_cli` when the subject is the process itself: signals, exit on a kill, the interpreter or
the environment it starts with.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path


def run_cli(root: Path, *args: str, check: bool = False, timeout: float = 600,
            env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m reprobook ARGS` in `root` with this interpreter; returns the finished process
    (stdout and stderr as text). With check=True a non-zero exit raises AssertionError showing both."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("REPROBOOK_ROOT", None)
    proc = subprocess.run([sys.executable, "-m", "reprobook", *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"reprobook {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


_INVOKE_LOCK = threading.Lock()


def invoke(root: Path, *args: str, check: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the command line `reprobook ARGS` with `root` as the working folder, inside this process:
    `reprobook.cli.main(ARGS)`, with `env` added to os.environ (and REPROBOOK_ROOT removed) for the
    call. Returns a CompletedProcess: returncode, and stdout and stderr as text, captured at the
    file-descriptor level, so that what the command's child processes print is in them too, as
    with `run_cli` (and so is anything another thread of this process prints meanwhile).

    The working folder, os.environ, sys.stdout/sys.stderr and file descriptors 1 and 2 are restored
    afterwards, also when the command raises. An exception the CLI does not turn into an exit code
    propagates (in a subprocess it would be a traceback), with what the command printed attached as
    a note. Ctrl-C (SIGINT, in the main thread) ends the command as in a terminal (the CLI reports
    it and exits 130), then raises KeyboardInterrupt here, so that pytest stops; so does SIGTERM (the
    CLI ends the command as after Ctrl-C and exits 143). With check=True a
    non-zero exit raises AssertionError showing both streams. There is no time limit beyond the
    project's job `timeout`.

    One call at a time per process: a second call while one runs (from another thread) raises
    RuntimeError, since the working folder and file descriptors 1 and 2 belong to the whole process."""
    import contextlib
    import io
    import signal
    import tempfile

    from .cli import main

    if not _INVOKE_LOCK.acquire(blocking=False):
        raise RuntimeError("reprobook.testing.invoke is already running in this process (another thread): the "
                           "working folder and standard streams are the process's; call it from one thread at a "
                           "time, or use run_cli")
    argv = list(args)
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    interrupted = []

    def on_sigint(signum, frame):
        interrupted.append(signum)
        raise KeyboardInterrupt

    try:
        with contextlib.ExitStack() as stack:
            files = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(2)]
            for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
                with contextlib.suppress(Exception):
                    stream.flush()
            saved_fds = [os.dup(1), os.dup(2)]
            saved_streams = sys.stdout, sys.stderr
            in_main = threading.current_thread() is threading.main_thread()
            saved_sigint = signal.signal(signal.SIGINT, on_sigint) if in_main else None
            try:
                os.dup2(files[0].fileno(), 1)
                os.dup2(files[1].fileno(), 2)
                sys.stdout = io.TextIOWrapper(os.fdopen(os.dup(1), "wb", buffering=0), encoding="utf-8",
                                              write_through=True)
                sys.stderr = io.TextIOWrapper(os.fdopen(os.dup(2), "wb", buffering=0), encoding="utf-8",
                                              write_through=True)
                os.environ.update(env or {})
                os.environ.pop("REPROBOOK_ROOT", None)
                os.chdir(root)
                try:
                    code = main(argv)
                except SystemExit as exc:  # argparse: usage errors (2) and --help (0)
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException as exc:
                exc.add_note("what `reprobook " + " ".join(argv) + "` printed before it raised:\n"
                             + "\n".join(_read(f) for f in files))
                raise
            finally:
                if in_main:
                    signal.signal(signal.SIGINT, saved_sigint)
                for stream in (sys.stdout, sys.stderr):
                    if stream not in saved_streams:
                        stream.close()
                sys.stdout, sys.stderr = saved_streams
                os.dup2(saved_fds[0], 1)
                os.dup2(saved_fds[1], 2)
                for fd in saved_fds:
                    os.close(fd)
                os.chdir(saved_cwd)
                os.environ.clear()
                os.environ.update(saved_env)
            out, err = (_read(f) for f in files)
    finally:
        _INVOKE_LOCK.release()
    if interrupted or code == 143:  # Ctrl-C, or SIGTERM (which the CLI handles as Ctrl-C, exit code 143)
        raise KeyboardInterrupt(f"reprobook {' '.join(argv)} was {'interrupted' if interrupted else 'terminated'} "
                                f"(exit code {code}):\n{err}")
    proc = subprocess.CompletedProcess(["reprobook", *argv], code, out, err)
    if check and proc.returncode != 0:
        raise AssertionError(f"reprobook {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _read(f) -> str:
    f.seek(0)
    return f.read().decode("utf-8", errors="replace")


def copy_project(src: Path, dest: Path) -> Path:
    """Copy into `dest` the files git lists in the project `src` (tracked files, and untracked ones
    git does not ignore, as they are in the working tree): a fresh clone with the working tree's
    edits, without .venv, _build or caches. Returns `dest`. Raises CalledProcessError outside git."""
    import shutil

    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=src,
                         capture_output=True, check=True).stdout
    for rel in filter(None, out.decode("utf-8").split("\0")):
        if (src / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, dest / rel)
    return dest


def tree_hashes(folder: Path) -> dict[str, str]:
    """Relative posix path -> sha256 of every file under `folder` ({} when it does not exist)."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def html_links(html_root: Path) -> tuple[dict[Path, set[str]], list[tuple[Path, str, str]]]:
    """Every page of a built HTML book: (page -> its element ids, [(page, href, class) of every link])."""
    from html.parser import HTMLParser

    class Parser(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ids: set[str] = set()
            self.links: list[tuple[str, str]] = []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if a.get("id"):
                self.ids.add(a["id"])
            if tag == "a" and a.get("href"):
                self.links.append((a["href"], a.get("class") or ""))

    ids: dict[Path, set[str]] = {}
    links: list[tuple[Path, str, str]] = []
    for page in sorted(Path(html_root).rglob("*.html")):
        p = Parser()
        p.feed(page.read_text(encoding="utf-8"))
        ids[page.resolve()] = p.ids
        links += [(page.resolve(), href, cls) for href, cls in p.links]
    return ids, links


def broken_links(html_root: Path, classes: tuple[str, ...] = ()) -> list[str]:
    """Links of a built HTML book (only those with one of `classes`, when given) whose page or
    anchor does not exist, as 'page: href' lines. Links to other sites are not followed."""
    from urllib.parse import urldefrag, urlparse

    ids, links = html_links(html_root)
    broken = []
    for page, href, cls in links:
        if classes and not set(cls.split()) & set(classes):
            continue
        if urlparse(href).scheme or href.startswith(("mailto:", "//")):
            continue
        target, frag = urldefrag(href)
        tpath = (page.parent / target).resolve() if target else page
        if tpath.is_dir():
            tpath = tpath / "index.html"
        if not tpath.exists():
            broken.append(f"{page.name}: {href} (no such page)")
        elif frag and tpath.suffix == ".html" and frag not in ids.get(tpath, set()):
            broken.append(f"{page.name}: {href} (no anchor '{frag}')")
    return broken


def sphinx_build(srcdir: Path, builder: str = "html", outdir: Path | None = None) -> str:
    """Build the Sphinx project in `srcdir` in-process (about 3 s) into `outdir` (default
    srcdir/_build/<builder>); returns the warnings. What the build registers with docutils, and
    the source suffixes extensions add to Sphinx's shared defaults (a default dict that Sphinx
    lets extensions change in place), are undone afterwards, and the build starts from Sphinx's
    own default, so that builds with different extensions can follow each other in one process."""
    import io

    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.util.docutils import docutils_namespace

    srcdir = Path(srcdir)
    outdir = Path(outdir) if outdir is not None else srcdir / "_build" / builder
    shared = Config.config_values["source_suffix"].default
    suffixes = dict(shared)
    shared.clear()
    shared.update({".rst": "restructuredtext"})  # Sphinx's own default, whatever earlier builds left there
    warnings = io.StringIO()
    try:
        with docutils_namespace():
            app = Sphinx(str(srcdir), str(srcdir), str(outdir), str(outdir.parent / f"doctrees-{builder}"), builder,
                         status=None, warning=warnings, freshenv=True)
            app.build()
    finally:
        shared.clear()
        shared.update(suffixes)
    return warnings.getvalue()
