"""Executors: where jobs run. The seam is concurrent.futures: local processes or a Dask cluster."""
from __future__ import annotations

import os
import re
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

    def warm(self) -> None:
        """Start every worker now (a process pool forks all of them at its first task), so they
        import the job runner while the coordinator is still busy, and before any other thread
        of the coordinator (the progress display) exists when they fork."""
        for _ in range(self.workers):
            self.executor.submit(execute.warm_up)

    def finish(self, future: Future, task: execute.Task) -> execute.Outcome:
        return future.result()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DaskRunner(Runner):
    ships = True

    def __init__(self, address: str, root: Path, lockfile: Path):
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
        self.code = shipping.zip_tree(root / "src")
        self.versions = shipping.locked_versions(lockfile)
        self.lost_errors = (KilledWorker, CommClosedError, FutureCancelledError, OSError)

    def warm(self) -> None:
        pass  # remote workers import what they need with their first job

    def submit(self, task: execute.Task) -> Future:
        from . import shipping

        return self.executor.submit(shipping.run_bundle, shipping.pack(task, self.root, self.code, self.versions))

    def finish(self, future: Future, task: execute.Task) -> execute.Outcome:
        from . import shipping

        return shipping.unpack(future.result(), task)

    def close(self) -> None:
        self.client.close()


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def _local(workers: int | None) -> Runner:
    import multiprocessing

    n = workers or default_workers()
    # fork is fast; each worker runs its jobs one after another, each job in its own kernel
    return Runner(ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")), n)


def choose(cli: str | None, env: str | None, spec_setting: str | None) -> str:
    """The scheduler: the CLI option, then SCHEDULER from make/the environment, then pipeline.yml."""
    for value in (cli, env, spec_setting):
        if value:
            return value
    return LOCAL


def make(name: str, workers: int | None, root: Path, lockfile: Path) -> Runner:
    if name == LOCAL:
        return _local(workers)
    if re.match(r"^(tcp|tls|inproc|ucx)://", name):
        return DaskRunner(name, root, lockfile)
    raise ConfigError(f"unknown scheduler '{name}': use 'local' or a Dask scheduler address such as tcp://host:8786")
