"""Sweeps, job dependencies and the Dask executor, with a real distributed.LocalCluster."""
from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from reprobook.testing import invoke, tree_hashes
FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]

# one worker shares the module's cluster; these tests mostly wait for it, as the other waiting tests
# do, with which they share that worker (engine/tests/conftest.py)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("waits")]


def make_swept(mini: Path) -> Path:
    """The mini project plus a sweep of 7 points in 2 chunks and a job that plots the gathered table."""
    shutil.copy(FIXTURES / "sweep" / "sweep.py", mini / "notebooks")
    shutil.copy(FIXTURES / "sweep" / "scaled_plot.py", mini / "notebooks")
    spec = mini / "pipeline.yml"
    spec.write_text(spec.read_text() + (FIXTURES / "sweep" / "jobs.yml").read_text())
    shutil.copy(REPO / "requirements.lock", mini / "requirements.lock")
    return mini


@pytest.fixture
def swept(mini):
    return make_swept(mini)


@pytest.fixture(scope="module")
def built_locally(tmp_path_factory):
    """(the swept project after its first local build, what that build printed): built once for
    the module; tests copy it."""
    root = tmp_path_factory.mktemp("swept") / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    make_swept(root)
    return root, invoke(root, "build", "--no-book", check=True).stderr


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A local Dask cluster of two worker processes, shared by the module's tests (the test that
    kills a worker comes last; the nanny restarts it)."""
    from distributed import LocalCluster

    workdir = tmp_path_factory.mktemp("workers")
    cwd = os.getcwd()
    os.chdir(workdir)  # workers start here, away from the project folder
    try:
        c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, local_directory=str(workdir),
                         dashboard_address=None)
    finally:
        os.chdir(cwd)
    with c:
        yield c


def test_sweep_gathers_points_and_caches_each(built_locally, tmp_path):
    swept = tmp_path / "mini"
    shutil.copytree(built_locally[0], swept, symlinks=True)
    assert "2 chunk(s) of 7 point(s)" in built_locally[1]
    table = (swept / "results/tables/scaled.csv").read_text()
    assert table.splitlines()[0] == "factor,total" and len(table.splitlines()) == 8
    assert "0.50,4.00" in table and "2.00,16.00" in table
    assert (swept / "results/figures/scaled.svg").is_file()  # the downstream job read the gathered table
    # widen the grid: only the new points run
    spec = swept / "pipeline.yml"
    spec.write_text(spec.read_text().replace("stop: 2.0", "stop: 2.5"))
    proc = invoke(swept, "build", "--no-book", check=True)
    assert "of 2 point(s)" in proc.stderr
    assert len((swept / "results/tables/scaled.csv").read_text().splitlines()) == 10
    # chunking never changes the result
    other = swept.parent / "other"
    shutil.copytree(swept, other, ignore=shutil.ignore_patterns("_build", "results"))
    (other / "pipeline.yml").write_text((other / "pipeline.yml").read_text().replace("column: factor}", "column: factor, chunks: 3}"))
    invoke(other, "build", "--no-book", check=True)
    assert (other / "results/tables/scaled.csv").read_bytes() == (swept / "results/tables/scaled.csv").read_bytes()


def test_cluster_build_gives_byte_identical_results(swept, built_locally, cluster):
    invoke(swept, "build", "--no-book", check=True, env={"SCHEDULER": cluster.scheduler_address})
    assert tree_hashes(swept / "results") == tree_hashes(built_locally[0] / "results")
    log = (swept / "_build/logs/sums.log").read_text()
    assert log.startswith("[ran on ") and str(swept) not in log


def test_worker_with_other_environment_is_refused(swept, cluster):
    lock = swept / "requirements.lock"
    lock.write_text(lock.read_text().replace("pandas==", "pandas==0.0.1.dev0+x", 1).replace("pandas==0.0.1.dev0+x", "pandas==0.0.1", 1))
    proc = invoke(swept, "build", "--no-book", "--scheduler", cluster.scheduler_address)
    assert proc.returncode == 1
    assert "differs from requirements.lock: pandas" in proc.stderr
    assert not (swept / "results").exists()


def test_killed_worker_ends_in_correct_results(swept, built_locally, cluster):
    from distributed import Client

    spec = swept / "pipeline.yml"
    spec.write_text(spec.read_text().replace("column: factor}", "column: factor}\n    parameters: {delay: 3}"))
    client = Client(cluster.scheduler_address)
    pids = list(client.run(os.getpid).values())

    def kill_one():
        time.sleep(4)  # the chunks sleep 3 s once their kernels are up
        os.kill(pids[0], signal.SIGKILL)

    killer = threading.Thread(target=kill_one)
    killer.start()
    proc = invoke(swept, "build", "--no-book", "--scheduler", cluster.scheduler_address)
    killer.join()
    client.close()
    if proc.returncode == 0:  # the exhibits of a local build (the executed notebooks differ: the delay)
        for kind in ("tables", "figures"):
            assert tree_hashes(swept / "results" / kind) == tree_hashes(built_locally[0] / "results" / kind)
        assert (swept / "results/values.json").read_bytes() == (built_locally[0] / "results/values.json").read_bytes()
    else:
        assert "lost" in proc.stderr and not (swept / "results").exists()
