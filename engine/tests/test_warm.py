"""The warm parent's checks that a kernel it forks would start as a cold kernel of the job would
(reprobook.warm), in-process: which names a folder on the import path provides, and which changes
of the installed code it notices."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from reprobook import warm


def test_a_folder_provides_its_modules_and_packages_but_not_plain_folders(tmp_path: Path):
    (tmp_path / "six.py").write_text("")
    (tmp_path / "fast.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "json").mkdir()  # a data folder: it cannot take the place of the json module
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "my-notebook.py").write_text("")  # not an importable name
    (tmp_path / "numpy.old.py").write_text("")  # nor this: Python never imports it as numpy
    (tmp_path / "loop").symlink_to(tmp_path / "loop")  # a link to itself: no package, and no error
    assert warm._importable_names(str(tmp_path)) == {"six": "six.py", "fast": "fast.cpython-311-x86_64-linux-gnu.so",
                                                     "pkg": "pkg"}


def test_a_kernel_is_refused_where_the_job_path_has_a_module_named_like_a_loaded_one(tmp_path: Path):
    notebooks, src = tmp_path / "notebooks", tmp_path / "src"
    notebooks.mkdir()
    src.mkdir()
    req = {"cwd": str(notebooks), "env": {"PYTHONPATH": str(src)}}
    loaded = frozenset({"json", "six"}) | warm.STARTUP_MODULES
    assert warm._cannot_serve(req, {}, loaded) == ("", False)
    (src / "six.py").write_text("")
    why, stale = warm._cannot_serve(req, {}, loaded)
    assert "six.py has the name of a module the warm kernel parent imported (six)" in why and not stale
    (src / "six.py").unlink()
    (notebooks / "sitecustomize.py").write_text("")
    assert "sitecustomize" in warm._cannot_serve(req, {}, loaded)[0]


def test_a_module_imported_from_the_projects_own_folder_is_no_clash(tmp_path: Path, monkeypatch):
    """An editable install of the project puts its code folder on the interpreter's path: the
    parent may have imported a module from that very folder, which a cold kernel imports too."""
    own, other = tmp_path / "src", tmp_path / "elsewhere"
    own.mkdir()
    other.mkdir()
    (own / "reprobook_probe_mod.py").write_text("")
    (other / "reprobook_probe_mod.py").write_text("")
    monkeypatch.syspath_prepend(str(own))
    import reprobook_probe_mod  # noqa: F401 - imported from src/, as a parent would

    loaded = frozenset({"reprobook_probe_mod"})
    assert warm._cannot_serve({"cwd": str(tmp_path), "env": {"PYTHONPATH": str(own)}}, {}, loaded) == ("", False)
    why, _ = warm._cannot_serve({"cwd": str(tmp_path), "env": {"PYTHONPATH": str(other)}}, {}, loaded)
    assert "elsewhere/reprobook_probe_mod.py has the name of a module" in why
    monkeypatch.delitem(sys.modules, "reprobook_probe_mod")


def stamps(site: Path, *files: Path) -> dict:
    """What a parent watches for an import path of `site` alone, plus module files it imported."""
    out = warm._install_stamps([str(site)])
    for f in files:
        st = os.stat(f)
        out[str(f)] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def test_installing_or_editing_code_is_noticed(tmp_path: Path):
    site = tmp_path / "site-packages"
    site.mkdir()
    module = site / "lib.py"
    module.write_text("X = 1\n")
    (site / "editable.pth").write_text(str(tmp_path / "src") + "\n")
    watched = stamps(site, module)
    assert warm._changed(watched) == ""
    (site / "editable.pth").write_text(str(tmp_path / "elsewhere" / "src") + "\n")  # pointed elsewhere
    assert warm._changed(watched) == str(site / "editable.pth")

    watched = stamps(site, module)
    (site / "new_dist-1.0.dist-info").mkdir()  # a package installed
    assert warm._changed(watched) == str(site)

    watched = stamps(site, module)
    module.write_text("X = 22\n")  # an editable install's source edited
    assert warm._changed(watched) == str(module)

    watched = stamps(site, module)
    for name in (".lib.py.swp", ".#lib.py", "lib.py~", "__pycache__"):  # an editor's and Python's own files
        (site / name).mkdir()
    assert warm._changed(watched) == ""


def test_a_process_that_runs_jobs_of_several_runs_tries_a_failed_parent_again_in_the_next_run(monkeypatch):
    """A Dask worker runs jobs of many runs: a warm parent that died while importing in one run is
    not tried again for the rest of that run (its jobs start cold at once), and is in the next."""
    monkeypatch.setattr(warm, "_FAILED", {})
    monkeypatch.setattr(warm, "_RUN", [])
    monkeypatch.setattr(warm, "_PARENTS", {})  # (none to check: parents of earlier builds in this process)
    warm.join_run("run-1")
    warm._FAILED["key"] = "the warm kernel parent exited"
    warm.join_run("run-1")  # another job of the same run
    assert warm._FAILED == {"key": "the warm kernel parent exited"}
    warm.join_run("run-2")
    assert warm._FAILED == {}


def test_preload_is_what_every_stale_job_imports_and_a_job_gets_its_own_modules():
    """The warm parent imports the modules every stale job imports (with the kernel's own); each
    job's kernel comes from a parent or sub-parent that has imported exactly its job's modules
    (with the modules its library's savers use)."""
    from types import SimpleNamespace

    plots = SimpleNamespace(libraries=("pandas", "matplotlib.pyplot", "reprobook.nb", "__future__"))
    table = SimpleNamespace(libraries=("pandas", "json"))
    assert warm.job_modules(plots) == ("matplotlib.backends.backend_pdf", "matplotlib.backends.backend_svg",
                                       "matplotlib.pyplot", "pandas", "pandas.io.formats.csvs")
    assert warm.job_modules(table) == ("json", "pandas", "pandas.io.formats.csvs")
    assert warm.preload_modules(None, [plots, table]) == ("pandas", "pandas.io.formats.csvs") + warm.KERNEL_MODULES
    assert warm.preload_modules(None, []) == warm.KERNEL_MODULES


def test_a_kernel_lost_with_its_sub_parent_says_so(monkeypatch):
    """A kernel forked by a sub-parent dies with it: the job's error names that process."""
    import subprocess

    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()
    monkeypatch.setattr(warm, "_PARENTS", {})
    monkeypatch.setattr(warm, "_LAST_VIA", [os.getpid()])
    assert warm.lost_parent() == ""
    monkeypatch.setattr(warm, "_LAST_VIA", [gone.pid])
    assert f"(pid {gone.pid}, a child of the run's warm parent" in warm.lost_parent()


def test_the_kernels_pseudo_files_and_bytecode_are_not_watched(tmp_path: Path):
    """/proc and /sys files, whose times change when the kernel drops its cache of them, are not
    watched, nor bytecode (its source is); devices have no stamp."""
    assert not warm._worth_watching("/proc/stat") and not warm._worth_watching("/sys/fs/cgroup/cpu.max")
    assert not warm._worth_watching(str(tmp_path / "__pycache__" / "m.cpython-311.pyc"))
    assert warm._file_stamp("/dev/null") is None


@pytest.mark.skipif(not os.access("/dev/shm", os.W_OK), reason="no writable /dev/shm (tmpfs) here")
def test_a_file_on_tmpfs_the_imports_read_is_watched():
    import tempfile

    with tempfile.TemporaryDirectory(dir="/dev/shm") as folder:
        config = Path(folder) / "review.yaml"
        config.write_text("a: 1\n")
        assert warm._worth_watching(str(config))
        watched = {str(config): warm._file_stamp(str(config))}
        config.write_text("a: 22\n")
        assert warm._changed(watched) == str(config)
