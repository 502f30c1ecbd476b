"""Faults and hostile input: locks, stray writes, missing outputs, injected markup, no network."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reprobook.testing import invoke, tree_hashes

pytestmark = pytest.mark.slow


def test_declared_output_not_written_is_an_error(built_mini):
    record = tree_hashes(built_mini / "results")
    spec = built_mini / "pipeline.yml"
    spec.write_text(spec.read_text().replace("tables: [word_lengths]", "tables: [word_lengths, word_counts]"))
    proc = invoke(built_mini, "build", "--no-book")
    assert proc.returncode == 1
    assert "did not write declared output(s) ['tables/word_counts.csv']" in proc.stderr
    assert tree_hashes(built_mini / "results") == record


def test_notebook_writing_into_the_project_is_reported(built_mini):
    record = tree_hashes(built_mini / "results")
    nb = built_mini / "notebooks/words.py"
    nb.write_text(nb.read_text() + "\nimport os\nopen(os.path.join(os.environ['REPROBOOK_ROOT'], 'data', 'sneaky.csv'), 'w').write('x')\n")
    proc = invoke(built_mini, "build", "--no-book")
    assert proc.returncode == 1
    assert "job 'words' wrote data/sneaky.csv" in proc.stderr
    assert not (built_mini / "data" / "sneaky.csv").exists()
    assert tree_hashes(built_mini / "results") == record


def test_undeclared_input_is_refused(built_mini):
    nb = built_mini / "notebooks/words.py"
    nb.write_text(nb.read_text() + "\nnb.input_path('data/numbers.csv')\n")
    proc = invoke(built_mini, "build", "--no-book")
    assert proc.returncode == 1 and "is not among this job's declared inputs" in proc.stderr


@pytest.mark.xdist_group("waits")  # it mostly waits: see engine/tests/conftest.py
def test_two_builds_at_once_one_waits(built_mini):
    mini = built_mini
    nb = mini / "notebooks/words.py"
    nb.write_text("import time\ntime.sleep(2)\n" + nb.read_text())
    first = subprocess.Popen([sys.executable, "-m", "reprobook", "build", "--no-book"], cwd=mini,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30  # until the first build runs its job (it holds the project's lock)
    while time.time() < deadline and not any((mini / "_build" / "scratch").glob("words-*")):
        time.sleep(0.1)
    second = invoke(mini, "build", "--no-book")
    out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 0, second.stderr
    assert "another build of this project is running" in second.stderr
    clean = mini.parent / "clean"
    shutil.copytree(mini, clean, ignore=shutil.ignore_patterns("_build", "results"))
    invoke(clean, "build", "--no-book", check=True)
    assert tree_hashes(mini / "results") == tree_hashes(clean / "results")


def test_parameters_are_literals_never_evaluated(built_mini):
    proc = invoke(built_mini, "run", "sums", "-p", "scale=__import__('os').getpid()")
    assert proc.returncode == 2  # read as a string, refused against the notebook's default
    assert "YAML read '__import__('os').getpid()' as a string" in proc.stderr and "write a whole number" in proc.stderr


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs root and unshare")
def test_build_needs_no_network(built_mini):
    """After setup, a build that runs a job and builds the book runs in a network namespace with
    loopback only."""
    (built_mini / "data/words.csv").write_text("word\ngamma\n")
    cmd = f"ip link set lo up && {sys.executable} -m reprobook build"
    proc = subprocess.run(["unshare", "-n", "sh", "-c", cmd], cwd=built_mini, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert set(json.loads((built_mini / "_build/run.json").read_text())["executed"]) == {"words"}
    assert "gamma" in (built_mini / "_build/html/book/results.html").read_text()


@pytest.mark.parametrize("name, text, fragment", [
    ("_toc.yml", "format: jb-book\nroot: book/index\nchapters:\n  - file: book/missing\n", "names page 'book/missing'"),
    ("_toc.yml", "format: jb-book\nchapters: [\n", "_toc.yml is not valid YAML at line"),
    ("_toc.yml", "format: jb-book\n", "no 'root:' entry"),
    ("_config.yml", "title: [unclosed\n", "_config.yml is not valid YAML at line"),
])
def test_book_configuration_errors_name_file_and_entry(built_mini, name, text, fragment):
    (built_mini / name).write_text(text)
    proc = invoke(built_mini, "build")
    assert proc.returncode == 2 and fragment in proc.stderr and "Traceback" not in proc.stderr


def test_hostile_text_is_escaped_in_html_and_latex(built_mini):
    (built_mini / "data/words.csv").write_text('word\n<script>alert(1)</script>\n"\\input{/etc/passwd}"\n')
    invoke(built_mini, "build", check=True)
    html = (built_mini / "_build/html/book/results.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\\input{/etc/passwd}" in html  # shown as text
    proc = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(built_mini), "--builder",
                           "latex", "--path-output", str(built_mini / "_build/latex-test")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    from reprobook.pdf import main_tex

    tex = main_tex(built_mini / "_build/latex-test/_build/latex").read_text()  # not the font fallback file
    tex = tex.replace("\\allowbreak{}", "")  # printed tables may wrap a path after a slash
    assert "\\input{/etc/passwd}" not in tex
    assert "\\textbackslash{}input\\{/etc/passwd\\}" in tex


def test_a_file_name_that_is_not_utf8_stops_the_build_before_any_job_naming_it(built_mini):
    """A name written in Latin-1 (Python reads it with surrogate escapes) cannot be recorded: a
    clear error before anything runs, not a traceback after the jobs."""
    record = tree_hashes(built_mini / "results")
    with open(os.fsencode(built_mini / "data") + b"/caf\xe9.csv", "wb") as fh:
        fh.write(b"a\n1\n")
    (built_mini / "notebooks/words.py").write_text((built_mini / "notebooks/words.py").read_text() + "\nx = 1\n")
    proc = invoke(built_mini, "build", "--no-book")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "data/caf\\xe9.csv: this file name is not valid UTF-8" in proc.stderr and "convmv" in proc.stderr
    assert tree_hashes(built_mini / "results") == record and "executed" not in proc.stderr


@pytest.mark.xdist_group("waits")  # it mostly waits: see engine/tests/conftest.py
def test_an_input_written_and_put_back_while_a_job_runs_publishes_nothing_and_caches_nothing(built_mini):
    """A spreadsheet's save and undo (or `git stash` and `git stash pop`) while a job runs: here the
    file ends as it began, content and modification time (restored as `cp -p` would), but the job
    may have read the other version. The build refuses to publish, and the job's run is not kept in
    the cache under the key of the version it may not have read."""
    import threading

    record = tree_hashes(built_mini / "results")
    nb = built_mini / "notebooks/words.py"
    nb.write_text(nb.read_text() + "\n# %%\nimport time\ntime.sleep(4)\n")
    data = built_mini / "data/words.csv"
    original, times = data.read_bytes(), (data.stat().st_atime_ns, data.stat().st_mtime_ns)

    def edit_and_undo():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any((built_mini / "_build" / "scratch").glob("words-*")):
            time.sleep(0.05)
        data.write_bytes(original.replace(b"alpha", b"omega"))
        time.sleep(0.2)
        data.write_bytes(original)
        os.utime(data, ns=times)

    editor = threading.Thread(target=edit_and_undo)
    editor.start()
    proc = invoke(built_mini, "build", "--no-book")
    editor.join()
    assert proc.returncode == 1, proc.stderr
    assert "during the run, data/words.csv was touched (its change time moved" in proc.stderr
    assert "Nothing was published or cached" in proc.stderr
    assert tree_hashes(built_mini / "results") == record
    again = invoke(built_mini, "build", "--no-book", check=True)
    assert "cached words" not in again.stderr and "done words" in again.stderr  # run again, not restored
