"""The start of every job kernel: `python -m reprobook.launcher -f CONNECTION_FILE [ipykernel args]`.

Run by the project's own interpreter (never a kernelspec looked up by name), it

1. ties the kernel's life to its parent's (Linux `PR_SET_PDEATHSIG`), so that killing a build,
   even with SIGKILL, leaves no kernel behind;
2. reports what the kernel is (interpreter, version, prefix, import path) into the file named by
   REPROBOOK_KERNEL_REPORT, for the job's record;
3. installs the job's read/write guard (`reprobook.guard`);
4. starts ipykernel.

It imports nothing of the project and not `reprobook.nb`.
"""
from __future__ import annotations

import json
import os
import platform
import signal
import sys

REPORT_ENV = "REPROBOOK_KERNEL_REPORT"
PARENT_ENV = "REPROBOOK_PARENT_PID"


def die_with_parent(expected_parent: int | None = None) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit now if it already has."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)  # the parent died before we could tie ourselves to it


def report(path: str) -> None:
    """Write what this interpreter is, as the kernel sees itself."""
    info = {"executable": sys.executable, "prefix": sys.prefix, "python": platform.python_version(),
            "implementation": platform.python_implementation(), "path": [p for p in sys.path if p],
            "pid": os.getpid()}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(info, fh)


def prepare() -> None:
    """Everything but starting the kernel (shared with warm kernels forked from a warm parent)."""
    parent = os.environ.get(PARENT_ENV)
    die_with_parent(int(parent) if parent else None)
    if os.environ.get(REPORT_ENV):
        report(os.environ[REPORT_ENV])
    from . import guard

    guard.install_from_env()


def start_kernel(argv: list[str]) -> None:
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(argv)
    _rebind_debugger_log()
    app.start()


def _rebind_debugger_log() -> None:
    """debugpy's log (pydevd's `pydev_log`) writes to the `sys.stderr` it saw when it first logged,
    which happens on import. In a cold kernel that is the kernel's stream; in a kernel forked from a
    warm parent it would be the parent's stderr. Point it at the kernel's stream, as in a cold
    kernel (pydevd's own re-initialisation after a fork; nothing happens when debugpy is not loaded)."""
    log = sys.modules.get("_pydev_bundle.pydev_log")
    if log is not None:
        try:
            log.initialize_debug_stream(reinitialize=True)
        except Exception:  # noqa: BLE001 - a debugger's log is never a reason for a job to fail
            pass


def main(argv: list[str] | None = None) -> None:
    prepare()
    start_kernel(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
