"""One build at a time per project: a POSIX record lock on `_build/.lock`.

A POSIX lock (`fcntl.lockf`) belongs to the process that took it: forked workers do not inherit
it, and the kernel drops it the moment that process dies, even by SIGKILL. So a lock is never
held by a process that no longer exists; when the pid written in the file is gone, the next build
takes the lock at once and says so.
"""
from __future__ import annotations

import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import LockBusy


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(fh) -> tuple[str, int | None]:
    fh.seek(0)
    text = fh.read().strip()
    try:
        return text, int(text.split()[1])
    except (IndexError, ValueError):
        return text, None


@contextmanager
def project_lock(path: Path, wait: float = 1800.0, say=lambda m: print(m, file=sys.stderr, flush=True)):
    """Hold the project's build lock for the `with` block; wait up to `wait` seconds for another
    build (0: fail at once with LockBusy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")
    held = False
    try:
        try:
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            text, _ = _holder(fh)
            holder = text or "another process"
            if wait <= 0:
                raise LockBusy(f"another build of this project is running ({holder}); "
                               "wait for it to finish, then run the command again") from None
            say(f"waiting: another build of this project is running ({holder}) ...")
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise LockBusy(f"gave up after {wait:.0f} s waiting for another build ({holder}); "
                                       "check that it is still running, then try again") from None
                    time.sleep(0.2)
        else:
            text, pid = _holder(fh)
            if pid is not None and pid != os.getpid() and _alive(pid):
                pass  # a live process that released the lock normally and left its pid behind
            elif pid is not None and pid != os.getpid():
                say(f"note: the last build (pid {pid}) ended without releasing the project; it no longer runs, "
                    "so this build took over")
        held = True
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        if held:  # a build that gave up waiting (or was interrupted waiting) leaves the holder's pid
            try:
                fh.seek(0)
                fh.truncate()
                fh.flush()
            except OSError:
                pass
        fh.close()
