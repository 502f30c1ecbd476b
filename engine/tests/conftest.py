"""Fixtures of the engine's tests: small projects laid out in several ways."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import settings

FIXTURES = Path(__file__).parent / "fixtures"

# Property tests run beside end-to-end builds on every core (make test): a per-example deadline
# would time the machine's load, not the code (an example taking 250 ms on a busy core failed a
# run), so there is none; the number of examples stays hypothesis's default.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    dest = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", dest)
    return dest


@pytest.fixture(scope="session")
def _mini_built_once(tmp_path_factory) -> Path:
    from reprobook.testing import invoke

    root = tmp_path_factory.mktemp("mini-built") / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    invoke(root, "build", "--no-book", check=True)
    return root


@pytest.fixture
def built_mini(_mini_built_once: Path, tmp_path: Path) -> Path:
    """A copy of the mini project after `reprobook build --no-book` (results/ and _build/ current; the
    jobs ran once per test worker), for tests whose subject comes after a first build."""
    dest = tmp_path / "mini"
    shutil.copytree(_mini_built_once, dest, symlinks=True)
    return dest


def pytest_collection_modifyitems(items):
    """The slow (end-to-end) tests first, in their order, then the quick ones: with xdist the
    workers then finish together on the quick tests instead of one waiting for the other's last
    end-to-end build (longest first is the classic rule for balancing parallel work).

    Tests that mostly wait (for a Dask cluster, a kill, a time limit, another build's lock, the
    server) carry `xdist_group("waits")`: they run one after another on one worker, so that their
    waits overlap the other worker's builds, never each other's (two waits at once leave the
    cores idle)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: without it (-p no:xdist) nothing to do
def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one worker per core, plus one for the waiting tests (the "waits" group above)
    when they are selected (not with `-m "not slow"`, as in `make test-fast`). They sleep most of
    their time; without a worker of their own, a core idles while they wait (measured on 2 cores:
    85% busy with 2 workers, 99% with 3; the suite 121 s -> 108 s). The classic `make -j cores+1`
    rule, for the same reason."""
    import os

    cores = len(os.sched_getaffinity(0))
    return cores if "not slow" in (config.getoption("markexpr") or "") else cores + 1
