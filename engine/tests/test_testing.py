"""reprobook.testing: `invoke` (the CLI inside the test's process) answers as `run_cli` (a new process) does."""
from __future__ import annotations

import os
import sys

import pytest

from reprobook.testing import invoke, run_cli, tree_hashes


@pytest.mark.slow
@pytest.mark.parametrize("args", [("status",), ("run", "no-such-job")])
def test_invoke_gives_what_the_command_line_gives(built_mini, args):
    by_process = run_cli(built_mini, *args)
    in_process = invoke(built_mini, *args)
    assert (in_process.returncode, in_process.stdout, in_process.stderr) == \
           (by_process.returncode, by_process.stdout, by_process.stderr)


@pytest.mark.slow
def test_invoke_restores_the_process_after_a_build(built_mini, tmp_path):
    (built_mini / "notebooks/sums.py").write_text((built_mini / "notebooks/sums.py").read_text() + "\n# %%\nprint(1)\n")
    cwd, env, streams = os.getcwd(), dict(os.environ), (sys.stdout, sys.stderr)
    proc = invoke(built_mini, "build", "--no-book", env={"REPROBOOK_TEST_VARIABLE": "x"})
    assert proc.returncode == 0 and "1 job(s) executed" in proc.stderr
    assert os.getcwd() == cwd and dict(os.environ) == env and (sys.stdout, sys.stderr) == streams
    with pytest.raises(AssertionError, match=r"reprobook build failed \(2\):\n\nerror: no pipeline.yml"):
        invoke(tmp_path, "build", check=True)  # no pipeline.yml


def slow_words(root, seconds: float) -> None:
    nb = root / "notebooks/words.py"
    nb.write_text(nb.read_text() + f"\n# %%\nimport time\ntime.sleep({seconds})\n")


def wait_for_scratch(root, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any((root / "_build" / "scratch").glob("words-*")):
        time.sleep(0.05)


@pytest.mark.slow
def test_a_second_call_from_another_thread_is_refused_and_nothing_is_left_open(built_mini):
    import gc
    import threading
    import warnings

    slow_words(built_mini, 1.5)
    result = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        worker = threading.Thread(target=lambda: result.setdefault("proc", invoke(built_mini, "build", "--no-book")))
        worker.start()
        wait_for_scratch(built_mini)
        with pytest.raises(RuntimeError, match="already running in this process"):
            invoke(built_mini, "status")
        worker.join()
        gc.collect()
    assert result["proc"].returncode == 0, result["proc"].stderr
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []  # the warm parent's pipes


@pytest.mark.slow
@pytest.mark.parametrize("signum, said", [("SIGINT", "interrupted"), ("SIGTERM", "terminated")])
def test_ctrl_c_or_sigterm_ends_the_build_at_once_then_reaches_the_caller(built_mini, signum, said):
    """As in a terminal (Ctrl-C), or for `kill` and a CI job's timeout (SIGTERM): the running job is
    stopped (not waited for), nothing of record changes, no worker or kernel is left, the project's
    lock is released (the next build has nothing to take over), and KeyboardInterrupt reaches the
    caller (pytest stops)."""
    import multiprocessing
    import signal
    import threading
    import time

    signum = getattr(signal, signum)
    slow_words(built_mini, 60)
    record = tree_hashes(built_mini / "results")
    sent = []

    def send():
        wait_for_scratch(built_mini)
        time.sleep(0.5)
        sent.append(time.monotonic())
        os.kill(os.getpid(), signum)

    threading.Thread(target=send, daemon=True).start()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    children = set(multiprocessing.active_children())
    with pytest.raises(KeyboardInterrupt, match=said) as caught:
        invoke(built_mini, "build", "--no-book")
    assert f"{said}{' (SIGTERM)' if said == 'terminated' else ''}: results/ is unchanged" in str(caught.value)
    assert time.monotonic() - sent[0] < 10  # the job sleeps 60 s
    assert tree_hashes(built_mini / "results") == record
    assert set(multiprocessing.active_children()) <= children
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    assert (built_mini / "_build/.lock").read_text() == ""  # released: no pid left for a build to take over
