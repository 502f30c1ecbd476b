"""Executors: where jobs run. The seam is concurrent.futures: local processes or a Dask cluster.

Local workers are forked processes tied to the coordinating process (Linux `PR_SET_PDEATHSIG`):
if the coordinator dies, even by SIGKILL, its workers die with it, and their kernels with them.
A registry maps a scheduler name or address scheme to its runner (`register`).
"""
from __future__ import annotations

import contextlib
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Callable

from . import execute
from .errors import ConfigError

LOCAL = "local"


class Runner:
    """Submits tasks; each future resolves to an execute.Outcome (or raises if the worker was lost)."""

    ships = False  # True when jobs cannot see the project folder and travel as data
    lost_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, executor: Executor, workers: int):
        self.executor, self.workers = executor, workers

    def submit(self, task: execute.Task) -> Future:
        return self.executor.submit(execute.run, task)

    def warm(self, kernel_env: dict[str, str] | None = None, preload: tuple[str, ...] = (),
             sets: tuple[tuple[str, ...], ...] = ()) -> None:
        """Start every worker now (a process pool forks all of them at its first task), so they
        import the job runner while the coordinator is still busy, and before any other thread of
        the coordinator (the progress display) exists when they fork. With `kernel_env`, this
        process's warm kernel parent starts first, here, unless one kept from an earlier run
        serves (reprobook.warm), with a sub-parent for each of `sets` (the jobs' module sets) that
        needs more than `preload`; the workers inherit it."""
        if kernel_env is not None:
            from . import warm

            warm.new_run()
            warm.warm_up(kernel_env, preload, sets)
        for _ in range(self.workers):
            self.executor.submit(execute.warm_up, kernel_env, preload)

    def finish(self, future: Future, task: execute.Task) -> execute.Outcome:
        return future.result()

    def close(self) -> None:
        """Wait for the workers to end. The warm kernel parent stays for this process's next run with
        the same key (it ends with the process: reprobook.warm)."""
        self.executor.shutdown(wait=True, cancel_futures=True)

    def abort(self) -> None:
        """End the run now (Ctrl-C, or the coordinator failing): every worker is killed, then the
        warm parent ends its running kernels, instead of waiting for the running jobs to finish.
        Their scratch folders are left for the next build to clear."""
        from . import warm

        kill = getattr(self.executor, "kill_workers", None)  # Python 3.14's ProcessPoolExecutor
        if kill is not None:
            kill()
        else:
            for proc in list((getattr(self.executor, "_processes", None) or {}).values()):
                with contextlib.suppress(OSError, ValueError):
                    proc.kill()
        self.executor.shutdown(wait=True, cancel_futures=True)
        # then the parent: with the workers gone, its input ends, and it ends and reaps its kernels
        warm.close_parents()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
            self.abort()
        else:
            self.close()


class DaskRunner(Runner):
    ships = True

    def __init__(self, address: str, root: Path, lockfile: Path, workers: int | None = None):
        try:
            from distributed import Client
            from distributed.client import FutureCancelledError
            from distributed.comm.core import CommClosedError
            from distributed.scheduler import KilledWorker
        except ImportError:
            raise ConfigError("the Dask executor needs the 'distributed' package; it is in requirements.lock, "
                              "run `make setup`") from None
        from . import shipping

        try:
            self.client = Client(address, timeout="20s", set_as_default=False)
        except OSError as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc}; start it "
                              "(dask scheduler) and its workers, or build without --scheduler") from None
        n = len(self.client.scheduler_info().get("workers", {}))
        super().__init__(self.client.get_executor(pure=False), max(1, n))
        self.root = root
        self.versions = shipping.locked_versions(lockfile)
        self.lost_errors = (KilledWorker, CommClosedError, FutureCancelledError, OSError)

    def warm(self, kernel_env: dict[str, str] | None = None, preload: tuple[str, ...] = (),
             sets: tuple[tuple[str, ...], ...] = ()) -> None:
        pass  # remote workers import what they need with their first job

    def submit(self, task: execute.Task) -> Future:
        from . import shipping

        return self.executor.submit(shipping.run_bundle, shipping.pack(task, self.root, self.versions))

    def finish(self, future: Future, task: execute.Task) -> execute.Outcome:
        from . import shipping

        return shipping.unpack(future.result(), task)

    def close(self) -> None:
        self.client.close()

    def abort(self) -> None:
        self.client.close()  # its futures are released; remote workers are not ours to kill


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def _worker_init(coordinator: int) -> None:
    """In each local worker: die with the coordinator; leave Ctrl-C to the coordinator; SIGTERM
    ends the worker at once (not the coordinator's handler, inherited through fork)."""
    import signal

    from .launcher import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(coordinator)


def _local(workers: int | None, root: Path, lockfile: Path) -> Runner:
    import multiprocessing

    n = workers or default_workers()
    # fork is fast; each worker runs its jobs one after another, each job in its own kernel
    pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_init, initargs=(os.getpid(),))
    return Runner(pool, n)


RUNNERS: dict[str, Callable[..., Runner]] = {}


def register(name: str, factory: Callable[..., Runner]) -> None:
    """Make `factory(address, workers, root, lockfile)` the runner for a scheduler name or an
    address scheme (`tcp://`)."""
    RUNNERS[name] = factory


register(LOCAL, lambda address, workers, root, lockfile: _local(workers, root, lockfile))
for _scheme in ("tcp://", "tls://", "inproc://", "ucx://"):
    register(_scheme, lambda address, workers, root, lockfile: DaskRunner(address, root, lockfile, workers))


def choose(cli: str | None, env: str | None, setting: str | None) -> str:
    """The scheduler: the CLI option, then SCHEDULER from make/the environment, then settings."""
    for value in (cli, env, setting):
        if value:
            return value
    return LOCAL


def make(name: str, workers: int | None, root: Path, lockfile: Path) -> Runner:
    """The runner for scheduler `name` ('local' or an address). Raises ConfigError for an unknown one."""
    for key, factory in RUNNERS.items():
        if name == key or (key.endswith("://") and name.startswith(key)):
            return factory(name, workers, root, lockfile)
    raise ConfigError(f"unknown scheduler '{name}': use 'local' or a Dask scheduler address such as "
                      "tcp://host:8786")
