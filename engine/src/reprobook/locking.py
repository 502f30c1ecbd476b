"""One build at a time per project: an advisory lock on _build/.lock."""
from __future__ import annotations

import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import LockBusy


@contextmanager
def project_lock(path: Path, wait: float = 1800.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            if wait <= 0:
                raise LockBusy(f"another build of this project is running ({holder}); "
                               "wait for it to finish, then run the command again") from None
            print(f"waiting: another build of this project is running ({holder}) ...", file=sys.stderr, flush=True)
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise LockBusy(f"gave up after {wait:.0f} s waiting for another build ({holder}); "
                                       "check that it is still running, then try again") from None
                    time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()
