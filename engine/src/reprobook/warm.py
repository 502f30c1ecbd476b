"""Warm kernels: fork each job's kernel from a parent process that has already imported the
third-party libraries the notebooks import, so that a job does not pay for `import pandas`.

A local run keeps one warm parent (`python -m reprobook.warm`, the project's interpreter, with the
kernels' fixed environment), started by the coordinator before its workers fork and shared by them,
as multiprocessing's forkserver is: the workers inherit its pipes and take turns on them under a
lock. The parent imports what every stale job imports that is not project code (never
`reprobook.nb`, never the project's own modules, so editing them needs no restart) while the
coordinator goes on. For each set of further modules some jobs import (matplotlib, when every job
imports pandas and some plot), it forks a sub-parent that imports them, as Android's zygote
specialises; a set that includes another (seaborn with matplotlib) goes through that set's
sub-parent, which forks one of its own for the rest, so that no library is imported twice. A kernel is forked from the parent or sub-parent that has imported what its job
imports (`job_modules`) and nothing more; the child becomes a fresh kernel process (its own session,
the job's working directory, environment and import path, the read/write guard) and starts
ipykernel. Each job therefore starts from the interpreter state a cold kernel would have when the
job's imports are done. A parent is keyed by its interpreter and its environment (the project's
private folders and code folders among it): when either changes, or the parent has imported a
module that a stale job does not import, a new parent starts. A process that builds again
(`reprobook serve`, builds run in-process by `reprobook.testing.invoke`) keeps its parent and
sub-parents for its next runs; a build from the command line is one run in one process. The parent
runs in the kernels' private folder, not the user's home (matplotlib reads a `matplotlibrc` in the
working folder while it is imported).

Before it forks a kernel, the parent checks that the kernel would start as a cold kernel of the job
would, and refuses otherwise; that kernel then starts cold (same results, a note in its log):
- no module it imported has the name of a module or package in the job's own import path (the
  notebook's folder, the project's code folders), which a cold kernel would import instead (pandas
  imports `six`, say, and the project has its own `six.py`);
- that path has no `sitecustomize` or `usercustomize` (a cold kernel runs it at start), and the
  notebook's folder no `matplotlibrc` when matplotlib is preloaded (read while it is imported);
- the files of the modules it imported, the other files its imports opened (a library's
  configuration), the `.pth` files and the entries of the folders of its import path are
  unchanged (an editable install edited, a package installed, upgraded or removed: a Dask worker's
  parent lives as long as the worker).
A parent whose files changed (or whose sub-parent's did) is replaced. The parent dies with the
process that started it, and sub-parents and kernels with their parent (`PR_SET_PDEATHSIG`). A
sub-parent that dies while importing (a library that kills its importer) leaves the kernels of its
jobs to start cold, saying why; the other jobs' kernels stay warm. A process that finds no parent for its key (a Dask
worker) starts its own.

The seam is a jupyter-client kernel provisioner (`reprobook-warm`, registered as an entry point):
papermill and nbclient drive the kernel exactly as they drive a cold one.
"""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import List, Unicode

# Modules every kernel imports while it starts (ipykernel's kernel resolves its debugger class, which
# imports debugpy): worth preloading whatever the notebooks import.
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython",
                  "IPython.core.completerlib", "IPython.core.debugger", "IPython.extensions.storemagic",
                  "IPython.core.logger", "IPython.core.oinspect", "tornado.platform.asyncio", "faulthandler")
# What reprobook.nb's savers use, which a kernel would otherwise import at its first save (a figure's
# SVG and PDF backends and their font subsetting: 0.08 s a job): preloaded with their library.
SAVER_MODULES = {"matplotlib": ("matplotlib.backends.backend_svg", "matplotlib.backends.backend_pdf"),
                 "pandas": ("pandas.io.formats.csvs",)}


def job_modules(jp) -> tuple[str, ...]:
    """The modules a warm kernel of the job `jp` (a reprobook.plan.JobPlan) has imported before its
    first cell: what its notebook imports that is not project code, with the modules its library's
    savers use (SAVER_MODULES), sorted. A cold kernel of the job imports the same while it runs."""
    skip = {"reprobook", "__future__"}
    mods = {m for m in jp.libraries if m.split(".")[0] not in skip}
    for top in {m.split(".")[0] for m in mods}:
        mods.update(SAVER_MODULES.get(top, ()))
    return tuple(sorted(mods))


def preload_modules(plan, stale) -> tuple[str, ...]:
    """What a run's warm parent imports: the kernel's own modules and what every stale job imports
    (the intersection of their job_modules). A job that imports more gets its kernel from a child
    of the parent that has imported the rest (one per set of extra modules), so that no kernel has
    imported a library its job does not import."""
    sets = [set(job_modules(jp)) for jp in stale]
    common = set.intersection(*sets) if sets else set()
    return tuple(sorted(common)) + KERNEL_MODULES


# --- the warm parent (runs in its own process) ------------------------------------------------

_READS: set[str] = set()  # the files opened while _RECORDING (the audit hook below)
_RECORDING: list[bool] = []
_HOOKED: list[bool] = []
_CHANNEL_FDS: set[int] = set()  # pipes to sub-parents (or, in a sub-parent, to its parent): no kernel keeps them


def _note_reads(event: str, args: tuple) -> None:
    # the files the imports read besides their modules (a library's configuration or data),
    # watched as the modules are; audit hooks cannot be removed, so after the imports it returns at
    # once (in this process and in the kernels it forks)
    if _RECORDING and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _READS.add(os.fsdecode(args[0]))


@dataclass
class _Preloaded:
    """What a parent (or sub-parent) imported, and what it watches to know that still holds."""

    failed: list[str]
    set_by_imports: dict[str, str]
    base_path: list[str]
    watched: dict[str, tuple]
    loaded: frozenset[str]


def _import_all(names: list[str], log_path: str | None, inherited: dict[str, str] | None = None) -> _Preloaded:
    """Import `names` with what they print going to `log_path` (or nowhere), recording the files
    they open; a module that fails here fails in the job too (its name goes in `failed`)."""
    import importlib

    if not _HOOKED:
        sys.addaudithook(_note_reads)
        _HOOKED.append(True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(2)
    log = os.open(log_path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    before = dict(os.environ)
    failed = []
    _READS.clear()
    _RECORDING.append(True)
    try:
        with _as_in_a_kernel():
            for name in names:
                try:
                    importlib.import_module(name)
                except BaseException as exc:  # noqa: BLE001 - a module that fails here fails in the job too
                    failed.append(f"{name}: {type(exc).__name__}")
    finally:
        _RECORDING.clear()
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved, 1)
        os.dup2(saved, 2)
        os.close(saved)
        os.close(log)
    # variables the imports set (debugpy sets PYDEVD_USE_FRAME_EVAL): a kernel's environment is
    # replaced by its job's, so they are set again there, as the same imports would in a cold kernel
    set_by_imports = {**(inherited or {}), **{k: v for k, v in os.environ.items() if before.get(k) != v}}
    base_path = list(sys.path[1:])
    read = {f for f in _READS if _worth_watching(f)}
    return _Preloaded(failed, set_by_imports, base_path, _install_stamps(base_path, read), _shadowable_names())


def _worth_watching(path: str) -> bool:
    """Whether a file the imports opened is watched: not bytecode (its source is watched), nor the
    kernel's pseudo-files (/proc/stat and the like get a new inode and time whenever the kernel
    drops its cache of them). Devices (/dev/null, /dev/urandom) are not regular files, so never
    watched (`_file_stamp`); files on /dev/shm (tmpfs) are, like any project's files."""
    return not path.endswith(".pyc") and not path.startswith(("/proc/", "/sys/"))


def _serve() -> None:
    from .launcher import PARENT_ENV, die_with_parent

    parent = os.environ.get(PARENT_ENV)
    die_with_parent(int(parent) if parent else None)
    # Ctrl-C in the terminal reaches the whole process group: the coordinator handles it and ends
    # this process; left to Python's handler, it would die with a traceback mid-run (its kernels
    # inherit the setting, and ipykernel installs its own handler for interrupts)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    # the protocol owns stdin/stdout; anything the imports print goes to stderr
    proto_out = os.fdopen(os.dup(out.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), 1)
    first = json.loads(inp.readline())
    # what the imports print (debugpy warns about frozen modules) goes to a log file the worker
    # names, not to the build's terminal; the worker shows it if this process dies while importing
    # (a kernel's own output goes to its job's kernel log, and a failed import is reported below)
    done = _import_all(first.get("preload", []), first.get("log"))
    try:
        # one reply per request, none to the first: whoever asks first waits for the imports
        _serve_until_closed(inp, proto_out, done, first.get("sets", []))
    finally:
        # it holds nothing to save, and tearing down its imports takes a tenth of a second or more
        os._exit(0)


def _serve_until_closed(inp, proto_out, done: _Preloaded, sets=()) -> None:
    """What a parent or sub-parent does once its imports are done: start the sub-parents for
    `sets`, answer requests until the process that started it closes the pipe or asks it to exit,
    then end and reap its sub-parents and the kernels still running."""
    subs = _SubParents(done, proto_out, inp)
    left: set[int] = set()
    try:
        subs.prepare(sets)
        _answer(inp, proto_out, done, subs, left)
    finally:
        subs.close()
        _end_kernels(left)


class _PipeGone(Exception):
    """The other end of the protocol pipe closed it mid-request (it was killed)."""


def _answer(inp, proto_out, done: _Preloaded, subs: "_SubParents | None", forked: set[int]) -> None:
    """Answer requests, one JSON object a line, until the other end closes the pipe or asks this
    process to exit; `forked` gets the kernels forked here that have not been seen to end."""
    def reply(obj: dict) -> None:
        try:
            proto_out.write((json.dumps(obj) + "\n").encode())
            proto_out.flush()
        except (OSError, ValueError):
            raise _PipeGone from None

    try:
        _serve_requests(inp, proto_out, reply, done, subs, forked)
    except _PipeGone:
        pass


def _serve_requests(inp, proto_out, reply, done: _Preloaded, subs: "_SubParents | None", forked: set[int]) -> None:
    for line in iter(inp.readline, b""):
        req = json.loads(line)
        op = req.get("op")
        if op == "exit":  # no reply: the process that started it is closing it
            break
        if op == "ping":
            reply({"pid": os.getpid(), "failed": done.failed})
        elif op == "check":
            reply({"stale": _changed(done.watched) or (subs.check() if subs else "")})
        elif op == "prepare":
            if subs:
                subs.prepare(req.get("sets", []))
            reply({"ok": True})
        elif op == "start":
            sub = subs.for_modules(req.get("modules", [])) if subs else None
            if sub is not None:
                reply(subs.forward(sub, req))
                continue
            why, stale = _cannot_serve(req, done.watched, done.loaded)
            if why:
                reply({"refused": why, "stale": stale})
                continue
            pid = os.fork()
            if pid == 0:
                _become_kernel(req, done.base_path, proto_out, inp, done.set_by_imports)
            forked.add(pid)
            if subs:
                subs.owner.pop(pid, None)  # a number a sub-parent's ended kernel had
            reply({"pid": pid})
        elif op == "poll":
            if subs and req["pid"] in subs.owner:
                reply(subs.poll(req))
                continue
            try:
                finished, status = os.waitpid(req["pid"], os.WNOHANG)
            except ChildProcessError:
                forked.discard(req["pid"])
                reply({"status": 0})
                continue
            if finished:
                forked.discard(req["pid"])
            reply({"status": None if finished == 0 else os.waitstatus_to_exitcode(status)})
        elif op == "signal":
            try:
                os.killpg(req["pid"], req["signum"])
            except OSError:
                try:
                    os.kill(req["pid"], req["signum"])
                except OSError:
                    pass
            reply({"ok": True})


def _end_kernels(pids: set[int]) -> None:
    """Kill and reap the kernels still running (the run was stopped): a process whose parent has
    gone is left to init to reap, and in a container without one it stays a zombie."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass


@dataclass
class _Sub:
    """A sub-parent: a child of the warm parent that imported a set of extra modules, and the pipes
    to it."""

    extras: tuple[str, ...]
    pid: int
    to_sub: Any
    from_sub: Any
    log: str
    dead: str = ""  # why it is gone
    ready: bool = False  # its imports are done (it said so)


class _SubParents:
    """The children of a warm parent (or of a sub-parent) that serve the jobs importing more than
    it did: one per set of modules that are not imported here yet (a job importing pandas and
    matplotlib, when the parent has pandas), forked from this process when a run names the set (or
    its first job asks), each importing only those modules. A set that includes a child's (seaborn
    and matplotlib, when a child has matplotlib) goes to that child, which forks a child of its own
    for the rest, so that no library is imported twice. Kernels are forked from the sub-parent of
    their job's set, so that no kernel has imported a library its job does not import. A
    sub-parent that dies while importing is reported to the jobs that needed it (they start cold)
    and tried again in the next run."""

    def __init__(self, done: _Preloaded, proto_out, inp):
        self.done, self.proto_out, self.inp = done, proto_out, inp
        self.by_extras: dict[tuple[str, ...], _Sub] = {}
        self.owner: dict[int, _Sub] = {}  # kernel pid -> the sub-parent that forked it

    @staticmethod
    def extras(modules) -> tuple[str, ...]:
        return tuple(sorted(m for m in modules if m not in sys.modules))

    def prepare(self, sets) -> None:
        """Start the children for `sets` (module sets) now, smallest first, so that they import
        while the jobs that need nothing more run; a set that goes through a child's starts its
        own with the first job that asks."""
        for modules in sorted(sets, key=lambda m: len(self.extras(m))):
            self.for_modules(modules)

    def for_modules(self, modules) -> _Sub | None:
        """The child that serves a job importing `modules` (itself, or through a child of its own),
        started here if there is none; None when this process serves it."""
        extras = self.extras(modules)
        if not extras:
            return None
        if extras in self.by_extras:
            return self.by_extras[extras]
        within = [sub for e, sub in self.by_extras.items() if set(e) < set(extras) and not sub.dead]
        if within:
            return max(within, key=lambda sub: len(sub.extras))
        self.by_extras[extras] = self._spawn(extras)
        return self.by_extras[extras]

    def _spawn(self, extras: tuple[str, ...]) -> _Sub:
        import tempfile

        from .launcher import die_with_parent

        opened: list[int] = []
        log = ""
        try:
            fd, log = tempfile.mkstemp(prefix="reprobook-warm-", suffix=".log")
            os.close(fd)
            for _ in range(2):
                opened.extend(os.pipe())
        except OSError as exc:
            for end in opened:
                os.close(end)
            if log:
                _unlink(log)
            return _Sub(extras, 0, None, None, "", dead=f"no warm kernel parent could start for {', '.join(extras)} ({exc})")
        req_r, req_w, rep_r, rep_w = opened
        me = os.getpid()
        try:
            pid = os.fork()
        except OSError as exc:
            for end in (req_r, req_w, rep_r, rep_w):
                os.close(end)
            _unlink(log)
            return _Sub(extras, 0, None, None, "", dead=f"no warm kernel parent could start for {', '.join(extras)} ({exc})")
        if pid == 0:  # the sub-parent
            code = 0
            try:
                die_with_parent(me)
                null = os.open(os.devnull, os.O_RDONLY)
                for other in (*_CHANNEL_FDS, 0):  # the pipes to the other sub-parents, the coordinator's
                    os.dup2(null, other)
                os.close(null)
                _CHANNEL_FDS.clear()
                os.close(req_w)
                os.close(rep_r)
                self.proto_out.close()  # the coordinator's pipes belong to the warm parent
                done = _import_all(list(extras), log, inherited=self.done.set_by_imports)
                done.failed = self.done.failed + done.failed
                # what the parent's imports read (a library's configuration) as well as its own
                done.watched = {**done.watched, **self.done.watched}  # the parent's stamps: its modules as it has them
                _CHANNEL_FDS.update((req_r, rep_w))
                out = os.fdopen(rep_w, "wb", buffering=0)
                out.write(b'{"ready": true}\n')  # unasked: the parent goes on meanwhile (is_ready)
                _serve_until_closed(os.fdopen(req_r, "rb"), out, done)
            except BaseException:  # noqa: BLE001
                code = 1
            finally:
                os._exit(code)
        os.close(req_r)
        os.close(rep_w)
        _CHANNEL_FDS.update((req_w, rep_r))
        return _Sub(extras, pid, os.fdopen(req_w, "wb", buffering=0), os.fdopen(rep_r, "rb"), log)

    def is_ready(self, sub: _Sub) -> bool:
        """Whether the sub-parent has done its imports (it says so once, unasked), answered at
        once, so that the parent serves other jobs while a sub-parent imports. False for one that
        died (its `dead` says why)."""
        import select

        if not sub.ready and not sub.dead and select.select([sub.from_sub], [], [], 0)[0]:
            if self._read(sub) is not None:
                sub.ready = True
                if sub.log:  # it has imported: what it printed is no longer needed
                    _unlink(sub.log)
                    sub.log = ""
        return sub.ready and not sub.dead

    def _read(self, sub: _Sub) -> dict | None:
        try:
            line = sub.from_sub.readline()
        except (ValueError, OSError):
            line = b""
        if line:
            return json.loads(line)
        said = ""
        if sub.log:
            try:
                with open(sub.log, encoding="utf-8", errors="replace") as fh:
                    said = "\n".join(fh.read().strip().splitlines()[-20:])
            except OSError:
                pass
            _unlink(sub.log)
            sub.log = ""
        sub.dead = (f"the warm kernel parent that imports {', '.join(sub.extras)} exited"
                    + (f"; while importing it printed:\n{said}" if said else ""))
        self._close(sub)
        return None

    def _ask(self, sub: _Sub, req: dict) -> dict | None:
        """The reply of a sub-parent that is ready, or None when it is gone (its `dead` says why)."""
        if sub.dead:
            return None
        try:
            sub.to_sub.write((json.dumps(req) + "\n").encode())
        except (BrokenPipeError, ValueError, OSError):
            pass  # its reply pipe then says it is gone
        return self._read(sub)

    def close(self) -> None:
        """End every sub-parent (and so their kernels) and reap it: a process whose parent is gone
        is left to init to reap, and in a container without one it stays a zombie."""
        import time

        live = [sub for sub in self.by_extras.values() if not sub.dead]
        for sub in live:
            if not self.is_ready(sub) and not sub.dead:
                try:  # still importing (it has forked nothing): it would see its input end only after
                    os.kill(sub.pid, signal.SIGKILL)
                except OSError:
                    pass
        live = [sub for sub in live if sub.to_sub is not None and not sub.to_sub.closed]
        for sub in live:  # at the end of its input it ends its kernels and exits
            for pipe in (sub.to_sub, sub.from_sub):
                _CHANNEL_FDS.discard(pipe.fileno())
                pipe.close()
        end = time.monotonic() + 0.5
        for sub in live:
            while time.monotonic() < end and os.waitpid(sub.pid, os.WNOHANG)[0] == 0:
                time.sleep(0.01)
            try:
                if os.waitpid(sub.pid, os.WNOHANG)[0] == 0:
                    os.kill(sub.pid, signal.SIGKILL)
                    os.waitpid(sub.pid, 0)
            except ChildProcessError:
                pass
            sub.dead = "ended with the warm parent"
        for sub in self.by_extras.values():
            if sub.log:
                _unlink(sub.log)

    def _close(self, sub: _Sub) -> None:
        for pipe in (sub.to_sub, sub.from_sub):
            _CHANNEL_FDS.discard(pipe.fileno())
            pipe.close()
        try:
            os.waitpid(sub.pid, 0)
        except ChildProcessError:
            pass

    def forward(self, sub: _Sub, req: dict) -> dict:
        """The sub-parent's answer to a request to start a kernel; {"busy": true} while it imports
        (the worker asks again)."""
        if not self.is_ready(sub):
            if not sub.dead:
                return {"busy": True}
            return {"refused": sub.dead, "stale": False}
        answer = self._ask(sub, req)
        if answer is None:
            return {"refused": sub.dead, "stale": False}
        if "pid" in answer:
            self.owner[answer["pid"]] = sub
            answer.setdefault("via", sub.pid)  # the sub-parent that forked it, named if the kernel dies with it
        return answer

    def poll(self, req: dict) -> dict:
        answer = self._ask(self.owner[req["pid"]], req)
        if answer is None or answer["status"] is not None:
            del self.owner[req["pid"]]
        return {"status": -signal.SIGKILL} if answer is None else answer  # its kernels die with it

    def check(self) -> str:
        """The first file a live sub-parent watches that changed ('' when none did); the sub-parents
        that died are forgotten, to be tried again."""
        for extras, sub in list(self.by_extras.items()):
            if not self.is_ready(sub) and not sub.dead:
                continue  # still importing: it checks its files before every kernel it forks
            answer = self._ask(sub, {"op": "check"}) if not sub.dead else None
            if answer is None:
                del self.by_extras[extras]
            elif answer["stale"]:
                return answer["stale"]
        return ""


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# --- what a warm parent can serve -------------------------------------------------------------

def _install_stamps(base_path: list[str], read: set[str] = frozenset()) -> dict[str, tuple]:
    """What a parent watches: {file: (inode, mtime_ns, size)} of every module file imported here,
    every `.pth` file and every other file in `read` (what the imports opened), and {folder:
    its entries} of every folder of the import path (installing or removing a package adds or
    removes entries; compiled bytecode, written by any process that imports, does not count)."""
    files = {f for mod in list(sys.modules.values()) if isinstance(f := _attribute(mod, "__file__"), str)}
    files.update(read)
    out: dict[str, tuple] = {}
    for folder in base_path:
        entries = _entries(folder)
        if entries is not None:
            out[folder] = entries
            files.update(os.path.join(folder, e) for e in entries if e.endswith(".pth"))
    for path in files:
        stamp = _file_stamp(path)
        if stamp is not None:
            out[path] = stamp
    return out


def _entries(folder: str) -> tuple | None:
    """("folder", its entries): what can be imported or installed there, not bytecode caches or an
    editor's swap, lock and backup files (".x.swp", ".#x.py", "x.py~")."""
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    return ("folder", *sorted(e for e in names if e != "__pycache__" and not e.startswith((".", "#"))
                              and not e.endswith("~")))


def _file_stamp(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size) if stat.S_ISREG(st.st_mode) else None


def _changed(watched: dict[str, tuple]) -> str:
    """The first watched path that changed since the imports ('' when none did)."""
    for path, stamp in watched.items():
        now = _entries(path) if stamp[0] == "folder" else _file_stamp(path)
        if now != stamp:
            return path
    return ""


# run by a cold interpreter at start when found on its import path
STARTUP_MODULES = frozenset({"sitecustomize", "usercustomize"})


def _shadowable_names() -> frozenset[str]:
    """Top-level names of the modules imported here that a module on a kernel's own import path
    would take the place of in a cold kernel (built-in and frozen modules cannot be replaced)."""
    names = set(STARTUP_MODULES)
    for name in list(sys.modules):
        top = name.partition(".")[0]
        if top in sys.builtin_module_names or top == "__main__":
            continue
        spec = _attribute(sys.modules.get(top), "__spec__")
        if _attribute(spec, "origin") == "frozen":
            continue
        names.add(top)
    return frozenset(names)


def _importable_names(folder: str) -> dict[str, str]:
    """{top-level name: file or folder name} that a folder on the import path provides: modules (any
    suffix Python imports) and packages (sub-folders with an __init__; a folder without one cannot
    take the place of a regular module)."""
    from importlib.machinery import all_suffixes

    suffixes = sorted(all_suffixes(), key=len, reverse=True)  # ".cpython-311-x86_64-linux-gnu.so" before ".so"
    names = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return names
    for e in entries:
        suffix = next((x for x in suffixes if e.name.endswith(x)), None)
        try:
            if suffix is not None:
                name = e.name[:-len(suffix)]  # "numpy.old.py" is no module: "numpy.old" is no name
            elif e.is_dir() and any(os.path.exists(os.path.join(e.path, "__init__" + x)) for x in suffixes):
                name = e.name
            else:
                continue
        except OSError:  # a symbolic link in a loop, say: not a package
            continue
        if name.isidentifier():
            names[name] = e.name
    return names


def _attribute(mod, name: str):
    """getattr(mod, name, None) for whatever sits in sys.modules (a lazy module's __getattr__ may
    raise anything)."""
    try:
        return getattr(mod, name, None)
    except Exception:  # noqa: BLE001
        return None


def _loaded_from(name: str, folder: str) -> bool:
    """Whether the module `name` imported here is the one in `folder` (an editable install of the
    project puts its code folder on the interpreter's path too)."""
    mod = sys.modules.get(name)
    file = _attribute(mod, "__file__")
    if isinstance(file, str):  # folder/name.py, or a package: folder/name/__init__.py
        where = os.path.dirname(file)
        if os.path.basename(file).startswith("__init__."):
            where = os.path.dirname(where)
        return os.path.realpath(where) == os.path.realpath(folder)
    # a namespace package: folder/name among its portions
    return any(os.path.realpath(os.path.dirname(p)) == os.path.realpath(folder)
               for p in list(_attribute(mod, "__path__") or []) if isinstance(p, str))


def _cannot_serve(req: dict, watched, loaded: frozenset[str]) -> tuple[str, bool]:
    """(why a kernel forked from this parent would not start as a cold kernel of the job would, or
    '' when it would; True when the reason is that this parent's files changed)."""
    changed = _changed(watched)
    if changed:
        return f"{changed} changed since the warm kernel parent started", True
    cwd = req["cwd"]
    code_dirs = [p for p in req["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
    for folder in [cwd, *code_dirs]:
        provided = _importable_names(folder)
        clash = sorted(name for name in provided.keys() & loaded if not _loaded_from(name, folder))
        if clash:
            return (f"{os.path.join(folder, provided[clash[0]])} has the name of a module the warm kernel "
                    f"parent imported ({clash[0]}); a cold kernel imports the project's", False)
    if "matplotlib" in sys.modules and os.path.exists(os.path.join(cwd, "matplotlibrc")):
        return f"{os.path.join(cwd, 'matplotlibrc')}: a cold kernel reads it when it imports matplotlib", False
    return "", False


class _KernelShellStandIn:
    """What `get_ipython()` answers while a warm parent imports: a shell with a kernel, as in a job's
    kernel. Libraries that look at their host when imported configure themselves as they would in a
    Jupyter kernel (pandas, for one, then shows 20 columns of a wide table, not the terminal's
    width), so that warm and cold kernels print the same outputs."""

    class _Events:
        def register(self, *args, **kwargs) -> None:
            pass

        def unregister(self, *args, **kwargs) -> None:
            pass

    kernel = True
    config: dict = {}
    events = _Events()

    def enable_gui(self, *args, **kwargs) -> None:
        pass


class _as_in_a_kernel:
    """Context: `get_ipython` (a builtin in IPython) answers with a kernel shell stand-in."""

    def __enter__(self):
        import builtins

        self.had = hasattr(builtins, "get_ipython")
        self.old = getattr(builtins, "get_ipython", None)
        shell = _KernelShellStandIn()
        builtins.get_ipython = lambda: shell
        return self

    def __exit__(self, *exc):
        import builtins

        if self.had:
            builtins.get_ipython = self.old
        else:
            del builtins.get_ipython


def _become_kernel(req: dict, base_path: list[str], proto_out, inp, set_by_imports: dict[str, str]) -> None:
    """In the forked child: turn into a fresh kernel process, then never return."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        for fd in _CHANNEL_FDS:  # pipes between parents: a kernel must not hold them open
            os.dup2(null, fd)
        os.close(null)
        proto_out.close()
        os.setsid()  # its own session and process group, as jupyter-client gives a cold kernel
        fd = os.open(req["output"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        for k, v in set_by_imports.items():
            os.environ.setdefault(k, v)
        from .launcher import PARENT_ENV, prepare, start_kernel

        os.environ[PARENT_ENV] = str(os.getppid())
        import importlib
        import time

        time.tzset()
        code_dirs = [p for p in req["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [req["cwd"], *code_dirs, *[p for p in base_path if p not in code_dirs]]
        importlib.invalidate_caches()
        sys.argv = [sys.executable, *req["argv"]]
        prepare()
        argv = list(req["argv"])
        if req["env"].get("JPY_PARENT_PID", "").isdigit():
            # ipykernel reads JPY_PARENT_PID when it is imported, here in the parent: pass it on, so that
            # the kernel watches its parent as a cold kernel does
            argv.append(f"--IPKernelApp.parent_handle={req['env']['JPY_PARENT_PID']}")
        start_kernel(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


# --- the worker's side ------------------------------------------------------------------------

class WarmParent:
    """A warm parent process and the pipes to it. Any process forked after it started (the run's
    workers) may send requests: a request and its reply hold a lock on a file (POSIX record locks
    belong to a process, and a process that dies releases them) and a lock of the process's own
    threads, so replies never cross."""

    def __init__(self, env: dict[str, str], preload: tuple[str, ...], sets: tuple[tuple[str, ...], ...] = ()):
        """Start the parent and send it what to import (`preload`), and the module sets of the
        run's jobs (job_modules: a sub-parent starts for each that needs more); returns at once (the
        first request waits for the imports)."""
        from .launcher import PARENT_ENV

        import tempfile

        self.owner = os.getpid()
        self.preload = tuple(preload)
        self.dead = False
        self.stale = False  # its files changed: it serves no more kernels
        self._thread_locks: dict[int, threading.Lock] = {}
        env = {**env, PARENT_ENV: str(os.getpid())}
        fd, self.log = tempfile.mkstemp(prefix="reprobook-warm-", suffix=".log")
        os.close(fd)
        self._lock_fd, lock_path = tempfile.mkstemp(prefix="reprobook-warm-", suffix=".lock")
        os.unlink(lock_path)  # the open file is all the lock needs, and nothing is left behind
        # in the kernels' private folder (engine.kernel_environment), not the user's home: libraries
        # read files in the working folder while they are imported (matplotlib a `matplotlibrc`)
        home = os.path.dirname(env.get("MPLCONFIGDIR", "")) or "/"
        self.proc = subprocess.Popen([sys.executable, "-m", "reprobook.warm"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, cwd=home if os.path.isdir(home) else "/")
        self._send({"preload": list(preload), "sets": [list(m) for m in sets], "log": self.log})

    def _read_log(self) -> str:
        """The preload's output (its last lines); every process that asks gets it (the file goes
        when the parent is closed, or once a request has succeeded)."""
        try:
            with open(self.log, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-20:])

    def _send(self, obj: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        self.proc.stdin.flush()

    def request(self, obj: dict) -> dict:
        """Send one request and return its reply. Raises RuntimeError (with what the parent printed
        while importing) when the parent is gone."""
        import fcntl

        lock = self._thread_locks.setdefault(os.getpid(), threading.Lock())
        line = b""
        with lock:
            fcntl.lockf(self._lock_fd, fcntl.LOCK_EX)
            try:
                assert self.proc.stdout is not None
                self._send(obj)
                line = self.proc.stdout.readline()
            except (BrokenPipeError, ValueError):
                line = b""
            finally:
                fcntl.lockf(self._lock_fd, fcntl.LOCK_UN)
        if not line:
            self.dead = True
            said = self._read_log() if self.log else ""
            if os.getpid() == self.owner:  # other processes may still want to read it; the owner reads last
                self._remove_log()
            raise RuntimeError("the warm kernel parent exited" + (f"; while importing it printed:\n{said}" if said
                                                                   else ""))
        if self.log:  # the imports are done: their output is no longer needed
            self._remove_log()
        return json.loads(line)

    def _remove_log(self) -> None:
        try:
            os.unlink(self.log)
        except OSError:
            pass
        self.log = ""

    def ready(self) -> int:
        """Wait for the imports; returns the parent's pid. Raises RuntimeError as request() does."""
        return self.request({"op": "ping"})["pid"]

    def alive(self) -> bool:
        if self.dead:
            return False
        if os.getpid() == self.owner:
            return self.proc.poll() is None
        return _running(self.proc.pid)  # not our child: poll() cannot wait for it

    def close(self) -> None:
        """End the parent (the process that started it) or forget it (any other)."""
        if os.getpid() != self.owner or self._lock_fd < 0:
            return
        try:  # its input may stay open in a process forked from this one (a worker being killed)
            self._send({"op": "exit"})
        except (BrokenPipeError, ValueError, OSError):
            pass
        for pipe in (self.proc.stdin, self.proc.stdout):  # both: an unclosed pipe is a ResourceWarning
            if pipe:
                try:
                    pipe.close()
                except OSError:  # what was left to write to a parent that has exited
                    pass
        # asked to exit (or at the end of its input) it ends its sub-parents (waiting at most half a
        # second for each) and its kernels, and exits; killed if it has not within 3 s (stopped)
        try:
            self.proc.wait(timeout=3.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.log:
            self._remove_log()
        os.close(self._lock_fd)
        self._lock_fd = -1


_PARENTS: dict[str, WarmParent] = {}  # per process: key -> its warm parent (started here or inherited)
STATIC_SKIP = ("REPROBOOK_", "SOURCE_DATE_EPOCH", "PYTHONPATH", "JPY_PARENT_PID")  # per job or per worker


def _key(env: dict[str, str]) -> tuple[str, dict[str, str]]:
    static = {k: v for k, v in env.items() if not k.startswith(STATIC_SKIP)}
    return json.dumps([sys.executable, sorted(static.items())]), static


class Refused(RuntimeError):
    """The warm parent will not fork this job's kernel: it would not start as a cold one would."""


_FAILED: dict[str, str] = {}  # per process, for one run (new_run): key -> why its warm parent could not start
_AT_EXIT: list[bool] = []


def new_run() -> None:
    """A run starts in this process (its coordinator): a parent that failed to start in an earlier
    run is tried again, and a parent kept from an earlier run whose files changed is replaced."""
    _FAILED.clear()
    _GIVE_UP.clear()
    for wp in list(_PARENTS.values()):
        if os.getpid() == wp.owner and wp.alive() and not wp.stale:
            try:
                wp.stale = bool(wp.request({"op": "check"})["stale"])
            except RuntimeError:
                wp.stale = True


_LAST_VIA: list[int] = []  # the sub-parent that forked this process's last kernel (a worker runs one job at a time)
IMPORT_PATIENCE = 120.0  # seconds a job waits for a sub-parent's imports before its kernel starts cold
_GIVE_UP: dict[tuple, float] = {}  # (parent key, modules) -> when jobs stop waiting for that sub-parent
_RUN: list[str] = []  # the run whose jobs this process ran last (a Dask worker runs many runs' jobs)


def join_run(run_id: str) -> None:
    """A job of the run `run_id` starts in this process, which is no run's coordinator (a Dask
    worker, which lives across runs): at the first job of each run, what new_run() does for a
    coordinator (a parent that died while importing is tried again, one whose files changed is
    replaced)."""
    if run_id and _RUN != [run_id]:
        _RUN[:] = [run_id]
        new_run()


def parent_for(env: dict[str, str], preload: tuple[str, ...], sets: tuple[tuple[str, ...], ...] = ()) -> WarmParent:
    """This process's warm parent for the kernel environment `env`, importing `preload` (the run's
    common modules; `sets`, the module sets of its jobs, start sub-parents early): one it started,
    for this run or an earlier one whose modules are among `preload` (`reprobook serve`'s
    rebuilds, builds run by reprobook.testing.invoke), or the one a worker inherited from its
    coordinator; a new one when there is none, it died, its files changed or it imported a module
    that a job of this run does not import. Raises RuntimeError at once for an environment whose
    parent died while importing in this run, Refused for an inherited parent that cannot serve."""
    import atexit

    key, static = _key(env)
    if key in _FAILED:
        raise RuntimeError(_FAILED[key])
    wp = _PARENTS.get(key)
    fits = wp is not None and set(wp.preload) <= set(preload)
    if wp is not None and os.getpid() != wp.owner and (wp.stale or not fits):
        # a worker's inherited parent: the run's coordinator owns it; the rest of the run starts cold
        raise Refused("the warm kernel parent's files changed during the run" if wp.stale
                      else "the warm kernel parent imported modules this job does not import")
    if wp is None or not wp.alive() or wp.stale or not fits:
        close_parents()  # one parent per process: the environment changed, the parent died or went stale
        wp = _PARENTS[key] = WarmParent(static, preload, sets)
        if not _AT_EXIT:  # ended at exit too, not only by PR_SET_PDEATHSIG when this process dies
            atexit.register(close_parents)
            _AT_EXIT.append(True)
    elif sets and os.getpid() == wp.owner:
        try:
            wp.request({"op": "prepare", "sets": [list(m) for m in sets]})
        except RuntimeError as exc:  # it died since: this run's kernels start cold, saying why
            _FAILED[key] = str(exc)
    return wp


def start_kernel_process(env: dict[str, str], preload: tuple[str, ...], request: dict) -> tuple[WarmParent, int]:
    """Fork a kernel from the warm parent for `env` (or from its sub-parent for the request's
    `modules`, the job's job_modules): (parent, kernel pid). Raises Refused when the kernel would
    not start as a cold one would (reprobook.warm._cannot_serve), or its sub-parent died while
    importing; RuntimeError when the parent dies while importing (then at once for the same
    environment in this process)."""
    import time

    key, _ = _key(env)
    wp = parent_for(env, preload)
    modules = tuple(request.get("modules", ()))
    try:
        reply = wp.request(request)
        while reply.get("busy"):  # its sub-parent for the job's modules is still importing them
            give_up = _GIVE_UP.setdefault((key, modules), time.monotonic() + IMPORT_PATIENCE)
            if time.monotonic() > give_up:  # (the deadline is the first job's: the next do not wait again)
                raise Refused(f"the warm kernel parent for {', '.join(request.get('modules', []))} was still "
                              f"importing them after {IMPORT_PATIENCE:.0f} s")
            time.sleep(0.02)
            reply = wp.request(request)
    except Refused:
        raise
    except RuntimeError as exc:
        _FAILED[key] = str(exc)
        raise
    if "refused" in reply:
        wp.stale = wp.stale or reply["stale"]
        raise Refused(reply["refused"])
    _LAST_VIA[:] = [reply["via"]] if reply.get("via") else []
    return wp, reply["pid"]


def lost_parent() -> str:
    """Why a kernel of this process died, when it was forked from a warm parent that is gone
    (killed, or out of memory): its kernels die with it. '' when every parent is alive."""
    for wp in _PARENTS.values():
        if not wp.alive():
            return (f"the warm kernel parent it was forked from (pid {wp.proc.pid}) ended during the run, and its "
                    "kernels with it; run the build again")
    if _LAST_VIA and not _running(_LAST_VIA[0]):
        return (f"the warm kernel parent it was forked from (pid {_LAST_VIA[0]}, a child of the run's warm parent "
                "that imported the job's further modules) ended during the run, and its kernels with it; run the "
                "build again")
    return ""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def close_parents() -> None:
    """End the warm parents this process started (and forget inherited ones)."""
    for wp in list(_PARENTS.values()):
        wp.close()
    _PARENTS.clear()


class WarmProcess:
    """The part of subprocess.Popen's interface jupyter-client uses, for a kernel forked by a parent."""

    stdin = stdout = stderr = None

    def __init__(self, parent: WarmParent, pid: int):
        self.parent, self.pid = parent, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self.parent.request({"op": "poll", "pid": self.pid})["status"]
            except (RuntimeError, OSError, ValueError):
                self.returncode = -signal.SIGKILL  # the parent is gone, and its children with it
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.05)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        self.parent.request({"op": "signal", "pid": self.pid, "signum": signum})

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


# what the provisioner writes at the head of a kernel's log when the kernel starts cold instead
COLD_NOTE = "reprobook: no warm kernel parent ({}); this kernel starts cold"


def cold_start_reason(kernel_log: str) -> str | None:
    """Why the kernel whose log is `kernel_log` started cold (the provisioner's note, on one line;
    the reason may span lines, e.g. what a parent that died while importing printed), or None when
    the log has no such note."""
    import re

    head, tail = (re.escape(part) for part in COLD_NOTE.split("{}"))
    note = re.search(f"^{head}(.*?){tail}$", kernel_log, re.M | re.S)
    return " ".join(note.group(1).split()) if note else None


class WarmProvisioner(LocalProvisioner):
    """A kernel provisioner that forks the kernel from this worker's warm parent."""

    preload = List(Unicode(), help="modules the warm parent imports").tag(config=True)
    modules = List(Unicode(), help="modules the job's kernel has imported before its first cell").tag(config=True)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        env = kwargs.get("env") or dict(os.environ)
        launcher_args = cmd[3:] if cmd[1:3] == ["-m", "reprobook.launcher"] else cmd[1:]
        stream = kwargs.get("stderr") or kwargs.get("stdout")
        output = getattr(stream, "name", None) if stream is not None else None
        output = output if isinstance(output, str) else os.devnull
        env = {**env, "JPY_PARENT_PID": str(os.getpid())}  # as jupyter-client's launcher gives a cold kernel
        request = {"op": "start", "argv": launcher_args, "cwd": str(kwargs.get("cwd") or os.getcwd()),
                   "env": env, "output": output, "modules": list(self.modules)}
        try:
            wp, pid = start_kernel_process(env, tuple(self.preload), request)
        except RuntimeError as exc:
            # a library kills the process that imports it, or the parent cannot give this job the
            # kernel a cold start would (Refused): this kernel starts cold (results are the same), so
            # that only the jobs that import it fail, each with its own kernel log
            if output != os.devnull:
                # (errors: a folder's name in the reason may not be UTF-8)
                with open(output, "a", encoding="utf-8", errors="backslashreplace") as fh:
                    fh.write(COLD_NOTE.format(exc) + "\n")
            return await super().launch_kernel(cmd, **kwargs)
        self.process = WarmProcess(wp, pid)
        self.pid = pid
        self.pgid = None  # signals go through the parent (the kernel leads its own process group)
        self.cwd = kwargs.get("cwd")
        return self.connection_info


def warm_up(env: dict[str, str], preload: tuple[str, ...], sets: tuple[tuple[str, ...], ...] = ()) -> None:
    """Start the warm parent for `env` now (it imports while the caller goes on), and the
    sub-parents for `sets`, unless this process has them already (a worker inherits the
    coordinator's)."""
    parent_for(env, preload, sets)


if __name__ == "__main__":
    _serve()
