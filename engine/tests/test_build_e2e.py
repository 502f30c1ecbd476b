"""End to end on a small project: real papermill, real Jupyter Book, no mocks."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reprobook.testing import invoke, tree_hashes

pytestmark = pytest.mark.slow


def executed_jobs(root) -> set[str]:
    return set(json.loads((root / "_build" / "run.json").read_text())["executed"])


def test_build_stale_fresh_and_failure(mini):
    # cold build: both jobs run, results and book appear
    invoke(mini, "build", check=True)
    assert executed_jobs(mini) == {"sums", "words"}
    assert json.loads((mini / "_build/run.json").read_text())["workers"] == min(2, len(os.sched_getaffinity(0)))
    assert (mini / "_build/html/index.html").is_file()
    assert (mini / "results/tables/totals.csv").read_text() == "group,value\na,3.0\nb,5.0\n"
    html = (mini / "_build/html/book/index.html").read_text()
    assert "8.0" in html  # the value role
    manifest = json.loads((mini / "results/manifest.json").read_text())
    kinds = {a["path"]: a["kind"] for a in manifest["artifacts"]}
    assert kinds["results/figures/bars.svg"] == "figure" and kinds["results/values.json#grand_total"] == "value"
    assert "started" not in json.dumps(manifest)  # nothing run-specific in the record

    # no-op: nothing executes, nothing rebuilt
    proc = invoke(mini, "build", check=True)
    assert "up to date" in proc.stderr

    # a data change re-runs exactly the job that declares it
    (mini / "data/numbers.csv").write_text("group,value\na,1\na,2\nb,6\n")
    status = invoke(mini, "status", check=True).stdout
    assert "STALE  sums" in status and "input data/numbers.csv changed" in status and "fresh  words" in status
    assert "after  book:html" in status  # current now, but it shows what sums computes
    proc = invoke(mini, "build", check=True)
    assert executed_jobs(mini) == {"sums"}
    # outside git: no impact report, but the moved values, and why there is no more
    assert "  value grand_total: 8.0 -> 9.0" in proc.stderr and "no impact report: no git commit" in proc.stderr
    assert json.loads((mini / "_build/run.json").read_text())["workers"] == 1  # one notebook, one worker
    assert "9.0" in (mini / "_build/html/book/index.html").read_text()

    # prose only: no job runs, the book is rebuilt
    with open(mini / "book/results.md", "a") as fh:
        fh.write("\nA new sentence about the totals.\n")
    invoke(mini, "build", check=True)
    assert executed_jobs(mini) == set()
    assert "A new sentence" in (mini / "_build/html/book/results.html").read_text()

    # a failing notebook: non-zero exit, clear report, results and book untouched, other job cached
    before_results, before_html = tree_hashes(mini / "results"), tree_hashes(mini / "_build/html")
    (mini / "data/words.csv").write_text("word\ngamma\n")
    nb = mini / "notebooks/sums.py"
    nb.write_text(nb.read_text() + "\nraise ValueError('broken on purpose')\n")
    proc = invoke(mini, "build")
    assert proc.returncode == 1
    assert "broken on purpose" in proc.stderr and "sums" in proc.stderr and "executed notebook" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert tree_hashes(mini / "results") == before_results
    assert tree_hashes(mini / "_build/html") == before_html
    # fix it: words comes from the cache, only sums executes
    nb.write_text(nb.read_text().replace("\nraise ValueError('broken on purpose')\n", "\n# fixed\n"))
    invoke(mini, "build", "--no-book", check=True)
    assert executed_jobs(mini) == {"sums"}
    assert "gamma" in (mini / "results/tables/word_lengths.csv").read_text()


def test_hand_edit_and_removed_job(built_mini):
    t = built_mini / "results/tables/totals.csv"
    t.write_text(t.read_text().replace("5.0", "50.0"))
    status = invoke(built_mini, "status", check=True).stdout
    assert "edited by hand" in status
    invoke(built_mini, "build", "--no-book", check=True)
    assert "5.0" in t.read_text() and "50.0" not in t.read_text()
    # removing a job from the spec removes its outputs from results/
    spec = built_mini / "pipeline.yml"
    spec.write_text(spec.read_text().split("  words:")[0])
    invoke(built_mini, "build", "--no-book", check=True)
    assert not (built_mini / "results/tables/word_lengths.csv").exists()
    assert "word_lengths" not in (built_mini / "results/manifest.json").read_text()


def test_unknown_parameter_is_an_error(mini):
    spec = mini / "pipeline.yml"
    spec.write_text(spec.read_text().replace("{scale: 1}", "{scale: 1, scael: 2}"))
    proc = invoke(mini, "build", "--no-book")
    assert proc.returncode == 2  # a configuration error, found before anything runs
    assert "scael" in proc.stderr and "not declared in the 'parameters' cell" in proc.stderr
    assert not (mini / "results").exists() or not any((mini / "results").iterdir())


@pytest.mark.xdist_group("waits")  # it mostly waits: see engine/tests/conftest.py
def test_sigkill_mid_run_then_rebuild_is_consistent(mini, tmp_path):
    nb = mini / "notebooks/sums.py"
    nb.write_text(nb.read_text().replace("import pandas as pd", "import time\ntime.sleep(2)\nimport pandas as pd"))
    env = {**os.environ}
    proc = subprocess.Popen([sys.executable, "-m", "reprobook", "build", "--no-book"], cwd=mini, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not any((mini / "_build" / "scratch").glob("sums-*")):
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (mini / "results" / "manifest.json").exists()
    invoke(mini, "build", "--no-book", check=True)
    clean = tmp_path / "clean"
    shutil.copytree(mini, clean, ignore=shutil.ignore_patterns("_build", "results"))
    invoke(clean, "build", "--no-book", check=True)
    assert tree_hashes(mini / "results") == tree_hashes(clean / "results")


def test_run_one_job_with_other_parameters_never_touches_results(built_mini):
    before = tree_hashes(built_mini / "results")
    proc = invoke(built_mini, "run", "sums", "-p", "scale=10", check=True)
    assert tree_hashes(built_mini / "results") == before
    assert "outputs in" in proc.stdout
    assert "80.0" in proc.stdout  # the differing value is shown


def test_a_project_laid_out_unlike_the_study_re_runs_exactly_the_dependents(tmp_path):
    """Real builds on the layout project: data outside data/, notebooks outside notebooks/, a helper
    beside a notebook, code under a declared folder, magics; each edit re-runs exactly the jobs that
    depend on it, and the build after that has nothing to do."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import layout

    root = layout.write(tmp_path / "proj")
    invoke(root, "build", "--no-book", check=True)
    assert executed_jobs(root) == {"clean", "other", "summary"}
    for rel in ("analysis/helper.py", "lib/mylib/rounding.py", "inputs/other.csv"):
        layout.edit(root, rel)
        status = invoke(root, "status", check=True).stdout
        invoke(root, "build", "--no-book", check=True)
        assert executed_jobs(root) == layout.EDITS[rel], (rel, status)
        assert "up to date" in invoke(root, "build", "--no-book", check=True).stderr
        last = invoke(root, "status", check=True).stdout.splitlines()[-1]
        assert last.startswith("0 of 3 job(s) would run"), (rel, last)
    # the book (the jobs' edits were built without it), then a prose edit: the book only
    proc = invoke(root, "build", check=True)
    assert executed_jobs(root) == set() and "book: built" in proc.stderr
    assert invoke(root, "status", check=True).stdout.splitlines()[-1].startswith("up to date")
    layout.edit(root, "chapters/more.md")
    assert "STALE  book:html" in invoke(root, "status", check=True).stdout
    proc = invoke(root, "build", check=True)
    assert executed_jobs(root) == set() and "book: built" in proc.stderr
    assert "up to date" in invoke(root, "build", check=True).stderr


def test_a_value_renamed_in_the_spec_reruns_the_job_and_names_the_mismatch(built_mini):
    """The job's run of record (and its cache) made `grand_total`; declaring `grand_totl` instead must
    run the notebook again, whose check names both, never restore the old run."""
    spec = built_mini / "pipeline.yml"
    spec.write_text(spec.read_text().replace("values: [grand_total]", "values: [grand_totl]"))
    before = tree_hashes(built_mini / "results")
    status = invoke(built_mini, "status", check=True).stdout
    assert "STALE  sums" in status and "declared outputs changed" in status
    proc = invoke(built_mini, "build", "--no-book")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "grand_totl" in proc.stderr and "grand_total" in proc.stderr
    assert tree_hashes(built_mini / "results") == before
