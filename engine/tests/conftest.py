"""Fixtures of the engine's tests: small projects laid out in several ways."""
from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def _session_folder(config, tmp_path_factory, name: str):
    """(folder, first): a folder shared by the test session's workers, held under an exclusive lock
    while the body runs; `first` is True for the one worker that finds it empty (it fills it).
    Without pytest-xdist the session is one process and the folder its own. The pattern of
    pytest-xdist's documentation ("making session-scoped fixtures execute only once"), with
    fcntl.flock for a lock."""
    import fcntl

    base = tmp_path_factory.getbasetemp()
    if hasattr(config, "workerinput"):  # an xdist worker (not a pytest it started)
        base = base.parent  # .../pytest-N/popen-gwK: the session's folder is the workers' parent
    folder = base / name
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / ".filled"
        yield folder, not done.exists()
        done.parent.mkdir(parents=True, exist_ok=True)
        done.touch()


@pytest.fixture(scope="session")
def _mini_built_once(pytestconfig, tmp_path_factory) -> Path:
    """The mini project after `reprobook build --no-book`, built by one worker of the session (the
    others wait for it); read only."""
    from reprobook.testing import invoke

    with _session_folder(pytestconfig, tmp_path_factory, "mini-built") as (folder, first):
        root = folder / "mini"
        if first:
            shutil.rmtree(root, ignore_errors=True)  # left by a worker whose build failed
            shutil.copytree(FIXTURES / "mini", root)
            invoke(root, "build", "--no-book", check=True)
    return root


@pytest.fixture
def built_mini(_mini_built_once: Path, tmp_path: Path) -> Path:
    """A copy of the mini project after `reprobook build --no-book` (results/ and _build/ current; the
    jobs ran once in the session), for tests whose subject comes after a first build."""
    dest = tmp_path / "mini"
    shutil.copytree(_mini_built_once, dest, symlinks=True)
    return dest


DURATIONS = "reprobook/durations"  # pytest's cache (.pytest_cache): seconds each test took last time
_took: dict[str, float] = {}


def pytest_collection_modifyitems(config, items):
    """The slow (end-to-end) tests first, the longest of the last run first (pytest's cache; a test
    it has not seen counts as the longest, and in a fresh clone the files' order holds; the tests
    of an xdist group keep the files' order), then the quick ones: with xdist the workers then
    finish together on the quick tests instead of one waiting for the other's last end-to-end
    build (longest first is the classic rule for balancing parallel work).

    Tests that mostly wait (for a Dask cluster, a kill, a time limit, another build's lock, the
    server) carry `xdist_group("waits")`: they run one after another on one worker, so that their
    waits overlap the other worker's builds, never each other's (two waits at once leave the
    cores idle)."""
    last = _durations(config)
    unseen = max(last.values(), default=0.0)

    def order(item) -> tuple[bool, float]:
        slow = item.get_closest_marker("slow") is not None
        if not slow or item.get_closest_marker("xdist_group") is not None:
            return not slow, 0.0  # a group runs whole on one worker, its tests in the files' order
        return False, -last.get(item.nodeid, unseen)

    items.sort(key=order)


def _durations(config) -> dict[str, float]:
    """The last run's times: read once, by the controller, and handed to the xdist workers (each
    reading the cache itself could see another session's write half done, and the workers must
    all order the tests alike)."""
    if hasattr(config, "workerinput"):
        return config.workerinput.get(DURATIONS, {})
    cache = getattr(config, "cache", None)
    return cache.get(DURATIONS, {}) if cache is not None else {}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist
def pytest_configure_node(node):
    node.workerinput[DURATIONS] = _durations(node.config)


def pytest_runtest_logreport(report):
    _took[report.nodeid] = _took.get(report.nodeid, 0.0) + report.duration  # setup, call, teardown


def pytest_sessionfinish(session):
    """Remember how long each test took (in the controller: it sees every worker's reports)."""
    cache = getattr(session.config, "cache", None)
    if cache is not None and _took and not hasattr(session.config, "workerinput"):
        cache.set(DURATIONS, {**cache.get(DURATIONS, {}), **{k: round(v, 2) for k, v in _took.items()}})


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
