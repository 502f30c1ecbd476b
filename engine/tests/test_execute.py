"""Hermetic, faithful jobs, end to end with real kernels: the project's interpreter whatever the user
has configured, time limits, no orphans, guarded reads and writes."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reprobook.testing import invoke, run_cli, tree_hashes

pytestmark = pytest.mark.slow


def add_settings(root: Path, text: str) -> None:
    spec = root / "pipeline.yml"
    spec.write_text("settings:\n" + text + spec.read_text())


def append_cell(root: Path, notebook: str, code: str) -> None:
    nb = root / notebook
    nb.write_text(nb.read_text() + "\n# %%\n" + code + "\n")


def test_jobs_run_in_the_projects_interpreter_whatever_the_user_configured(mini, _mini_built_once, tmp_path):
    clean = _mini_built_once  # the same project, built once in the session without the settings below (read only)
    # a user-level kernelspec named python3 from another environment, and a user's matplotlib settings
    kernels = tmp_path / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({"argv": ["/usr/bin/false", "-f", "{connection_file}"],
                                                     "display_name": "Other env", "language": "python"}))
    mpl = tmp_path / "mpl"
    mpl.mkdir()
    (mpl / "matplotlibrc").write_text("lines.linewidth: 9\nsvg.fonttype: none\naxes.facecolor: red\n")
    env = {"JUPYTER_PATH": str(tmp_path / "jupyter"), "JUPYTER_DATA_DIR": str(tmp_path / "jupyter"),
           "MPLCONFIGDIR": str(mpl), "MATPLOTLIBRC": str(mpl / "matplotlibrc"), "PYTHONPATH": str(tmp_path)}
    run_cli(mini, "build", "--no-book", check=True, env=env)
    assert tree_hashes(mini / "results") == tree_hashes(clean / "results")
    kernel = json.loads((mini / "_build/state.json").read_text())["kernel"]
    assert os.path.realpath(kernel["executable"]) == os.path.realpath(sys.executable)
    assert str(tmp_path) not in kernel["path"]  # the user's PYTHONPATH did not reach the kernel


@pytest.mark.xdist_group("waits")  # it mostly waits: see engine/tests/conftest.py
def test_a_job_that_runs_too_long_is_stopped_naming_the_cell_and_the_limit(built_mini):
    mini = built_mini
    record = tree_hashes(mini / "results")
    add_settings(mini, "  timeout: 4\n")
    append_cell(mini, "notebooks/words.py", "import time\ntime.sleep(600)")
    t0 = time.monotonic()
    proc = invoke(mini, "build", "--no-book")
    assert proc.returncode == 1
    assert time.monotonic() - t0 < 60
    assert "words" in proc.stderr and "time limit of 4 s" in proc.stderr and "stopped in cell 1" in proc.stderr
    assert tree_hashes(mini / "results") == record
    for named in re.findall(r"(?:executed notebook|log): (\S+?)(?:,|$)", proc.stderr, re.M):
        assert (mini / named).is_file(), f"the message names {named}, which does not exist"
    assert "log: _build/logs/words.log" in proc.stderr


def _processes_mentioning(text: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [ln for ln in out.splitlines() if text in ln and "ps -eo" not in ln]


@pytest.mark.xdist_group("waits")  # it mostly waits: see engine/tests/conftest.py
def test_killing_the_coordinator_leaves_no_workers_or_kernels_and_the_next_build_takes_over(built_mini):
    mini = built_mini
    append_cell(mini, "notebooks/words.py", "import time\ntime.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-m", "reprobook", "build", "--no-book"], cwd=mini,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 90
    while time.time() < deadline and not list((mini / "_build" / "scratch").glob("words-*/kernel.json")):
        time.sleep(0.2)
    assert list((mini / "_build" / "scratch").glob("words-*/kernel.json")), "the kernel never started"
    kernel_pid = json.loads(next((mini / "_build" / "scratch").glob("words-*/kernel.json")).read_text())["pid"]
    os.kill(proc.pid, signal.SIGKILL)  # the coordinator alone, as an OOM killer would
    proc.wait()
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            os.kill(kernel_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the busy kernel outlived its coordinator")
    time.sleep(1)
    assert _processes_mentioning(str(mini)) == []
    nb = mini / "notebooks/words.py"
    nb.write_text(nb.read_text().replace("time.sleep(600)", "pass"))
    t0 = time.monotonic()
    second = invoke(mini, "build", "--no-book", check=True)
    assert time.monotonic() - t0 < 60
    assert "this build took over" in second.stderr
    assert "waiting" not in second.stderr


def test_writes_outside_the_scratch_folder_and_undeclared_reads_fail_the_job(built_mini):
    mini = built_mini
    record = tree_hashes(mini / "results")
    append_cell(mini, "notebooks/words.py", "open('stray.csv', 'w').write('x')")  # cwd: the notebook's folder
    proc = invoke(mini, "build", "--no-book")
    assert proc.returncode == 1
    assert "job 'words' wrote notebooks/stray.csv" in proc.stderr and not (mini / "notebooks/stray.csv").exists()
    nb = mini / "notebooks/words.py"
    nb.write_text(nb.read_text().replace("open('stray.csv', 'w').write('x')",
                                         "try:\n    open('../data/numbers.csv').read()\nexcept OSError:\n    pass"))
    proc = invoke(mini, "build", "--no-book")
    assert proc.returncode == 1  # caught in the notebook, still reported
    assert "job 'words' read data/numbers.csv, which it does not declare as an input" in proc.stderr
    assert tree_hashes(mini / "results") == record


def test_cold_and_warm_kernels_give_identical_results(mini, tmp_path):
    """Including the executed notebooks of the record: a wide table displayed by pandas (whose
    display width depends on whether it was imported in a kernel) prints the same."""
    import shutil

    append_cell(mini, "notebooks/words.py", "pd.DataFrame({f'column_{i}': [i * 1000.5] for i in range(30)})")
    # what a kernel's imports leave behind (debugpy sets a variable and binds its log to a stream)
    append_cell(mini, "notebooks/words.py", "import os, sys, threading\nprint(sorted(os.environ))\n"
                "print(len(threading.enumerate()))\nlog = sys.modules.get('_pydev_bundle.pydev_log')\n"
                "print(type(log._LoggingGlobals._debug_stream).__name__ if log else None)")
    cold = tmp_path / "cold"
    shutil.copytree(mini, cold)
    add_settings(cold, "  warm_kernels: false\n")
    invoke(cold, "build", "--no-book", "-j", "1", check=True)  # one worker, cold kernels, another folder
    invoke(mini, "build", "--no-book", check=True)
    a, b = tree_hashes(cold / "results"), tree_hashes(mini / "results")
    assert a == b and "figures/bars.svg" in a and "manifest.json" in a
    printed = (mini / "results/notebooks/words.ipynb").read_text()
    assert "PYDEVD_USE_FRAME_EVAL" in printed and "JPY_PARENT_PID" in printed and "OutStream" in printed
    # each job's log says how its kernel started
    assert (cold / "_build/logs/words.log").read_text().splitlines()[0] == "job words: ok (cold kernel)"
    assert (mini / "_build/logs/words.log").read_text().splitlines()[0] == \
        "job words: ok (warm kernel, forked from a process that had imported its libraries)"


def kernel_parents(root: Path, *notebooks: str) -> set[str]:
    return {re.search(r"kernel parent (\d+)", (root / f"results/notebooks/{nb}.ipynb").read_text()).group(1)
            for nb in notebooks}


def test_the_workers_of_a_run_share_one_warm_parent_that_ends_with_the_process(mini):
    """One warm parent per run (it imports pandas and the rest once), not one per worker: both
    jobs' kernels, run by two workers, come from the same process, which is gone when the command
    has ended. A kernel has imported what its job imports and nothing more: the kernel of `words`
    (pandas) is the parent's child; that of `sums` (pandas and matplotlib), a child of the parent's
    sub-parent that has imported matplotlib too."""
    probe = ("# %%\nimport os, sys\nwith open(f'/proc/{os.getppid()}/stat') as fh:\n"
             "    grandparent = fh.read().rsplit(')', 1)[1].split()[1]\n"
             "print('kernel parent', os.getppid(), 'grandparent', grandparent, 'preloaded',\n"
             "      sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))\n\n")
    for nb in ("sums", "words"):
        path = mini / f"notebooks/{nb}.py"
        path.write_text(probe + path.read_text())  # before the notebook's own imports
    run_cli(mini, "build", "--no-book", "-j", "2", check=True)
    assert json.loads((mini / "_build/run.json").read_text())["workers"] == 2
    seen = {nb: re.search(r"kernel parent (\d+) grandparent (\d+) preloaded (\[.*?\])",
                          (mini / f"results/notebooks/{nb}.ipynb").read_text()).groups() for nb in ("sums", "words")}
    assert seen["words"][2] == "['pandas']" and seen["sums"][2] == "['matplotlib', 'pandas']"
    parent = seen["words"][0]
    assert seen["sums"][1] == parent and seen["sums"][0] != parent  # forked from the sub-parent
    assert not Path(f"/proc/{parent}").exists()
    assert ended(int(seen["sums"][0])), "the sub-parent outlived the warm parent"


def ended(pid: int, within: float = 10.0) -> bool:
    """Whether process `pid` ends (is gone, or a zombie left for init to reap) within `within` s."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                if fh.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_a_process_that_builds_again_keeps_its_warm_parent_until_its_files_change(mini, tmp_path):
    """As `reprobook serve` rebuilds (or tests build in-process): the next run in the same
    environment is served by the same parent (here its sub-parent that has imported dask and
    matplotlib for `sums`), also when the stale jobs import other modules; once a file it read while
    importing has changed on disk (a library's configuration, one of its modules), the next run
    starts a new one, whose kernels see the change as cold ones would."""
    import dask

    config = tmp_path / "dask-config"
    config.mkdir()
    (config / "review.yaml").write_text("review: one\n")
    env = {"DASK_CONFIG": str(config)}  # dask reads its configuration when it is imported
    append_cell(mini, "notebooks/sums.py", "import os\nimport dask\nprint('kernel parent', os.getppid(), "
                                           "'review', dask.config.get('review'))")
    append_cell(mini, "notebooks/words.py", "import os\nprint('kernel parent', os.getppid())")
    numbers, words = mini / "data/numbers.csv", mini / "data/words.csv"
    invoke(mini, "build", "--no-book", check=True, env=env)
    (first,), (parent,) = kernel_parents(mini, "sums"), kernel_parents(mini, "words")
    numbers.write_text(numbers.read_text() + "c,1\n")  # sums runs again, with the same modules
    invoke(mini, "build", "--no-book", check=True, env=env)
    assert kernel_parents(mini, "sums") == {first}
    words.write_text(words.read_text() + "gamma\n")  # words alone: the run's modules differ
    invoke(mini, "build", "--no-book", check=True, env=env)
    assert kernel_parents(mini, "words") == {parent}

    (config / "review.yaml").write_text("review: two\n")
    numbers.write_text(numbers.read_text() + "c,2\n")
    invoke(mini, "build", "--no-book", check=True, env=env)
    (second,) = kernel_parents(mini, "sums")
    assert second != first and ended(int(first))
    assert "review two" in (mini / "results/notebooks/sums.ipynb").read_text()

    # a module of a library the sums job imports (an upgrade, or an edited editable install): only
    # this test's parents have imported it (shifting the time of a module every parent imports, the
    # engine's, would send the kernels of tests running beside this one cold)
    module = Path(dask.__file__)
    st = module.stat()
    numbers.write_text(numbers.read_text() + "c,3\n")
    try:
        os.utime(module, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        invoke(mini, "build", "--no-book", check=True, env=env)
    finally:
        os.utime(module, ns=(st.st_atime_ns, st.st_mtime_ns))
    (third,) = kernel_parents(mini, "sums")
    assert third != second and ended(int(second))


def test_a_kernel_starts_warm_only_as_it_would_start_cold(mini):
    """What a cold kernel runs or reads as it starts, a kernel forked from the warm parent would
    miss: the project's sitecustomize (Python runs it at start, from the code folders) and a
    matplotlibrc beside the notebook (matplotlib reads it when it is imported, in the parent). The
    parent refuses to fork those kernels; they start cold and say why, and the results are a cold
    kernel's."""
    (mini / "src").mkdir()
    (mini / "src/sitecustomize.py").write_text("import os\nos.environ['SITE_CUSTOMIZED'] = 'yes'\n")
    (mini / "notebooks/matplotlibrc").write_text("lines.linewidth: 7\n")
    spec = mini / "pipeline.yml"
    spec.write_text(spec.read_text().replace("inputs: [data/numbers.csv]", "inputs: [data/numbers.csv, notebooks/matplotlibrc]"))
    append_cell(mini, "notebooks/sums.py", "import os\nprint('site', os.environ.get('SITE_CUSTOMIZED'), 'lw', "
                                           "plt.rcParams['lines.linewidth'])\n"
                                           "os.write(2, b'the kernel writes to its log\\n' * 20)")  # after the note
    invoke(mini, "build", "--no-book", check=True)
    assert "site yes lw 7.0" in (mini / "results/notebooks/sums.ipynb").read_text()
    logs = "".join(p.read_text(errors="replace") for p in (mini / "_build").rglob("*.log"))
    assert "sitecustomize" in logs and "this kernel starts cold" in logs
    first = (mini / "_build/logs/sums.log").read_text().splitlines()[0]  # the job's log says so too
    assert first.startswith("job sums: ok (cold kernel: ") and "sitecustomize" in first, first


def test_a_warm_parent_that_dies_while_importing_says_what_it_printed(tmp_path):
    """A library that kills the process on import (a missing shared library, say): the warm
    parent's output while importing is not shown on the terminal, so the error must carry it."""
    import os

    from reprobook import warm

    (tmp_path / "crashy.py").write_text("import os, sys\nprint('crashy: cannot load libfoo.so', file=sys.stderr)\n"
                                        "sys.stderr.flush()\nos._exit(3)\n")
    parent = warm.WarmParent({**os.environ, "PYTHONPATH": str(tmp_path)}, ("crashy",))
    log = parent.log
    with pytest.raises(RuntimeError, match="(?s)parent exited.*crashy: cannot load libfoo.so"):
        parent.ready()
    assert not os.path.exists(log)  # read, then removed by the process that started the parent
    parent.close()


def start_kernel(parent, modules: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """The warm parent's reply to a request for a kernel (one that prints its version and ends) of a
    job importing `modules`, once no sub-parent is busy importing."""
    import time

    request = {"op": "start", "argv": ["--version"], "cwd": str(cwd), "output": os.devnull,
               "env": {k: v for k, v in env.items() if k != "PYTHONPATH"}, "modules": list(modules)}
    reply = parent.request(request)
    while reply.get("busy"):
        time.sleep(0.02)
        reply = parent.request(request)
    return reply


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        return int(fh.read().rsplit(b")", 1)[1].split()[1])


def test_closing_the_parent_ends_and_reaps_its_sub_parents_also_while_they_import(tmp_path):
    """The process that started a warm parent closes it (the build ends, or Ctrl-C) while a
    sub-parent is still importing and while a process forked from it (a worker being killed) still
    holds the parent's input open: the parent is asked to exit and does so itself, at once, having
    reaped its sub-parent (a process whose parent has gone is left to init, and in a container
    without one it stays a zombie)."""
    import time

    from reprobook import warm

    (tmp_path / "slowmod.py").write_text("import time\ntime.sleep(60)\n")
    parent = warm.WarmParent({**os.environ, "PYTHONPATH": str(tmp_path)}, ("json",), (("slowmod",),))
    parent.ready()
    (sub,) = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == parent.proc.pid]
    holder = os.fork()
    if holder == 0:
        time.sleep(30)
        os._exit(0)
    try:
        parent.close()
    finally:
        os.kill(holder, signal.SIGKILL)
        os.waitpid(holder, 0)
    assert parent.proc.returncode == 0  # it exited itself: not killed after the wait for it ran out
    assert not Path(f"/proc/{sub}").exists()  # reaped by the parent, no zombie


def _ppid(pid: int) -> int | None:
    try:
        return parent_of(pid)
    except (OSError, IndexError, ValueError):
        return None


def test_a_set_of_modules_that_includes_another_goes_through_its_sub_parent(tmp_path):
    """Jobs that import sqlite3, and jobs that import sqlite3 and xml.dom.minidom, beside jobs that
    import neither: the second set's sub-parent is a child of the first's, so sqlite3 is imported
    once; closing the parent ends them all."""
    from reprobook import warm

    env = dict(os.environ)
    parent = warm.WarmParent(env, warm.KERNEL_MODULES, (("sqlite3", "xml.dom.minidom"), ("sqlite3",)))
    try:
        plain, one, both = (start_kernel(parent, m, tmp_path, env) for m in ([], ["sqlite3"], ["sqlite3", "xml.dom.minidom"]))
        assert "via" not in plain and parent_of(plain["pid"]) == parent.proc.pid
        assert parent_of(one["via"]) == parent.proc.pid and parent_of(one["pid"]) == one["via"]
        assert parent_of(both["via"]) == one["via"] and parent_of(both["pid"]) == both["via"]
    finally:
        parent.close()
    assert parent.proc.returncode == 0 and ended(one["via"]) and ended(both["via"])


def test_a_sub_parent_refuses_kernels_once_a_file_its_parent_read_while_importing_changed(tmp_path):
    """A sub-parent watches what its own imports read and what its parent's did (dask reads its
    configuration when it is imported, in the parent here): once that file changes, neither forks
    a kernel that would see the old configuration; a kernel forked before is unaffected."""
    import time

    from reprobook import warm

    config = tmp_path / "dask-config"
    config.mkdir()
    (config / "review.yaml").write_text("review: one\n")
    env = {**os.environ, "DASK_CONFIG": str(config)}
    parent = warm.WarmParent(env, ("dask",) + warm.KERNEL_MODULES, (("dask", "sqlite3"),))

    def start(modules):
        return start_kernel(parent, modules, tmp_path, env)

    try:
        parent.ready()
        served = start(["dask", "sqlite3"])
        assert served.get("via") and "pid" in served  # from the sub-parent
        time.sleep(0.05)
        (config / "review.yaml").write_text("review: two\n")
        for modules in (["dask"], ["dask", "sqlite3"]):
            refused = start(modules).get("refused", "")
            assert "review.yaml changed since the warm kernel parent started" in refused, refused
        assert parent.request({"op": "check"})["stale"].endswith("review.yaml")
    finally:
        parent.close()
    assert parent.proc.returncode == 0 and ended(served["via"])  # asked to exit, it ended its sub-parent


def test_a_kernel_lost_with_its_warm_parent_says_so():
    import os

    from reprobook import warm

    parent = warm.parent_for(dict(os.environ), ("json",))
    try:
        parent.ready()
        assert warm.lost_parent() == ""
        os.kill(parent.proc.pid, signal.SIGKILL)
        parent.proc.wait()
        assert f"warm kernel parent it was forked from (pid {parent.proc.pid}) ended" in warm.lost_parent()
    finally:
        warm.close_parents()


def test_ctrl_c_in_the_terminal_leaves_the_warm_parent_to_the_build(tmp_path):
    """Ctrl-C reaches the whole process group; the build ends its warm parent itself. A parent that
    died of the SIGINT would print a traceback and fail the running jobs."""
    import os

    from reprobook import warm

    parent = warm.WarmParent(dict(os.environ), ("json",))
    try:
        assert parent.ready() == parent.proc.pid
        os.kill(parent.proc.pid, signal.SIGINT)
        assert parent.ready() == parent.proc.pid and parent.alive()
    finally:
        parent.close()
    assert parent.proc.returncode == 0  # it ended at the end of its input, not by the SIGINT


def test_a_dynamic_import_of_project_code_fails_the_job_naming_the_module(built_mini):
    mini = built_mini
    (mini / "src" / "helpers").mkdir(parents=True)
    (mini / "src" / "helpers" / "__init__.py").write_text("")
    (mini / "src" / "helpers" / "hidden.py").write_text("X = 1\n")
    append_cell(mini, "notebooks/words.py", "import importlib\nname = 'helpers.' + 'hidden'\nimportlib.import_module(name)")
    proc = invoke(mini, "build", "--no-book")
    assert proc.returncode == 1
    assert "imported src/helpers/" in proc.stderr and "dynamic import" in proc.stderr


def test_a_library_that_kills_its_importer_fails_only_the_jobs_that_import_it(mini, tmp_path):
    """Warm parents import the jobs' libraries first; when one kills the process that imports it
    (here the sub-parent of the job that imports it), that job's kernel starts cold and fails, its
    kernel log saying why, and the other jobs run in warm kernels."""
    import sysconfig
    import venv

    from reprobook import warm

    env_dir = tmp_path / "venv"  # this environment, plus one library that exits when imported
    venv.EnvBuilder(with_pip=False).create(env_dir)
    site = next(env_dir.glob("lib/python*/site-packages"))
    (site / "project_env.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    (site / "crashy.py").write_text("import os, sys\nprint('crashy: cannot load libfoo.so', file=sys.stderr)\n"
                                    "sys.stderr.flush()\nos._exit(3)\n")
    append_cell(mini, "notebooks/words.py", "import crashy")
    proc = subprocess.run([str(env_dir / "bin" / "python"), "-m", "reprobook", "build", "--no-book"], cwd=mini,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "1 job(s) failed" in proc.stderr and "FAILED words" in proc.stderr and "done sums" in proc.stderr
    kernel_log = re.search(r"kernel log: (\S+?)\)", proc.stderr).group(1)
    assert "crashy: cannot load libfoo.so" in Path(kernel_log).read_text()
    # only the job that imports it started cold: its log says why, and its error blames no parent
    assert (mini / "_build/logs/sums.log").read_text().splitlines()[0] == \
        "job sums: ok (warm kernel, forked from a process that had imported its libraries)"
    assert warm.cold_start_reason(Path(kernel_log).read_text()).startswith(
        "the warm kernel parent that imports crashy exited; while importing it printed: crashy: cannot load")
    assert "forked from" not in proc.stderr, proc.stderr
