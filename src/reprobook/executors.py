"""Executors: where jobs run. Any concurrent.futures.Executor fits the seam."""
from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Callable

_REGISTRY: dict[str, Callable[..., Executor]] = {}


def register(name: str, factory: Callable[..., Executor]) -> None:
    _REGISTRY[name] = factory


def make(name: str = "local", workers: int | None = None) -> Executor:
    if name not in _REGISTRY:
        from .errors import ConfigError

        raise ConfigError(f"unknown executor '{name}'; available: {sorted(_REGISTRY)}")
    return _REGISTRY[name](workers)


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def _local(workers: int | None) -> Executor:
    import multiprocessing

    # fork is fast; each worker runs its jobs one after another, each job in its own kernel
    return ProcessPoolExecutor(max_workers=workers or default_workers(),
                               mp_context=multiprocessing.get_context("fork"))


register("local", _local)
