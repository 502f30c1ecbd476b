from pathlib import Path

import pytest

from reprobook import spec
from reprobook.errors import ConfigError


def write(root: Path, text: str) -> None:
    (root / "pipeline.yml").write_text(text)
    (root / "nb.py").write_text("# %%\nx = 1\n")


def test_parses_jobs_with_outputs(tmp_path):
    write(tmp_path, "jobs:\n  a:\n    notebook: nb.py\n    parameters: {k: 2}\n    inputs: [d.csv]\n"
                    "    outputs:\n      tables: {t: {key: [x], tolerance: 0.5}}\n      figures: [f]\n      values: [v]\n")
    p = spec.load(tmp_path)
    job = p.job("a")
    assert job.parameters == {"k": 2}
    assert job.tables[0].tolerance == 0.5 and job.tables[0].key == ("x",)
    assert "results/figures/f.pdf" in job.artifact_paths()
    assert job.output_files() == ["tables/t.csv", "figures/f.svg", "figures/f.pdf", "values.json"]


@pytest.mark.parametrize("text, fragment", [
    ("jobs: [1, 2", "not valid YAML at line"),
    ("jobs:\n  a:\n    notebook: missing.py\n    outputs: {tables: [t]}\n", "does not exist"),
    ("jobs:\n  a:\n    notebook: ../nb.py\n    outputs: {tables: [t]}\n", "leaves the project"),
    ("jobs:\n  a:\n    notebook: nb.py\n    inputs: [/etc/passwd]\n    outputs: {tables: [t]}\n", "leaves the project"),
    ("jobs:\n  a:\n    notebook: nb.py\n    outputs: {tables: [t]}\n  b:\n    notebook: nb.py\n    outputs: {tables: [t]}\n",
     "job 'a' also declares"),
    ("jobs:\n  a:\n    notebook: nb.py\n    notebok: x\n    outputs: {tables: [t]}\n", "unknown key(s) ['notebok']"),
    ("jobs:\n  a:\n    notebook: nb.py\n", "declares no outputs"),
    ("jobs:\n  a:\n    notebook: nb.py\n    inputs: [results/tables/u.csv]\n    outputs: {tables: [t]}\n"
     "  b:\n    notebook: nb.py\n    inputs: [results/tables/t.csv]\n    outputs: {tables: [u]}\n", "cycle"),
    ("jobs:\n  A-b:\n    notebook: nb.py\n    outputs: {tables: [t]}\n", "not valid"),
    ("jobz: {}\n", "'jobs:' section"),
])
def test_config_errors_name_the_entry(tmp_path, text, fragment):
    write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        spec.load(tmp_path)
    assert fragment in str(err.value)
    assert "pipeline.yml" in str(err.value)


def test_dependency_order(tmp_path):
    write(tmp_path, "jobs:\n  b:\n    notebook: nb.py\n    inputs: [results/tables/t.csv]\n    outputs: {tables: [u]}\n"
                    "  a:\n    notebook: nb.py\n    outputs: {tables: [t]}\n")
    p = spec.load(tmp_path)
    assert spec.order(p) == ["a", "b"]
    assert spec.upstream(p) == {"a": set(), "b": {"a"}}


def test_an_edit_whose_time_stamp_was_set_back_is_read(tmp_path):
    """The parsed pipeline.yml is cached by its stat; an edit of the same size whose modification
    time was restored (touch -r, rsync -t, an archive) still changes the inode's ctime."""
    import os

    path = tmp_path / "pipeline.yml"
    path.write_text("jobs: {}\nsettings: {timeout: 10}\n")
    before = os.stat(path)
    assert spec.read_raw(tmp_path)["settings"]["timeout"] == 10
    path.write_text("jobs: {}\nsettings: {timeout: 30}\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert spec.read_raw(tmp_path)["settings"]["timeout"] == 30
