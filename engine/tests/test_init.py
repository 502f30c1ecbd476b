"""`reprobook init`: the files it writes, what they declare, and its refusal to overwrite anything."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from reprobook import cli, init, notebook, settings, spec, usage, validate
from reprobook.paths import Paths
from reprobook.testing import invoke

EXPECTED = {
    ".ci/run", ".gitattributes", ".gitignore", "Makefile", "README.md", "_config.yml", "_toc.yml",
    "book/index.md", "book/quartet.md", "data/anscombe.csv", "data/datapackage.json", "notebooks/quartet.py",
    "pipeline.yml", "references.bib", "requirements.txt", "tests/test_quartet.py",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "new" / "demo"
    init.init(dest)
    return dest


def test_writes_the_template_and_returns_what_it_wrote(tmp_path):
    dest = tmp_path / "demo"
    written = init.init(dest)
    assert [p.relative_to(dest).as_posix() for p in written] == sorted(EXPECTED)
    assert {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()} == EXPECTED
    assert os.access(dest / ".ci/run", os.X_OK) and not os.access(dest / "Makefile", os.X_OK)
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "{{" not in text, f"{path.name}: a placeholder was not filled"
        assert "\r" not in text


def test_the_title_and_version_are_filled_in(tmp_path):
    dest = tmp_path / 'a "quoted": title'
    init.init(dest)
    assert yaml.safe_load((dest / "_config.yml").read_text())["title"] == 'a "quoted": title'
    assert (dest / "README.md").read_text().startswith('# a "quoted": title\n')
    assert f'reprobook=={init.engine_version()}' in (dest / ".ci/run").read_text()


def test_the_project_is_valid_as_written(project):
    pipeline = spec.load(project)  # validated: notebook exists, names, outputs
    job = pipeline.job("quartet")
    facts = notebook.analyse(project / job.notebook)
    assert facts.parameters_cell is not None and set(job.parameters) <= set(facts.parameters)
    assert "reprobook.nb" in facts.imports
    assert validate.validate(Paths.load(project).datapackage, project) == []
    used = usage.result_usage(project / "book", project)
    assert {"table:quartet_summary", "figure:quartet_scatter", "value:correlation_min"} <= set(used)
    declared = {f"table:{t.name}" for t in job.tables} | {f"figure:{f}" for f in job.figures} | \
        {f"value:{v}" for v in job.values}
    assert set(used) == declared  # the chapter shows every output and names nothing undeclared
    toc = yaml.safe_load((project / "_toc.yml").read_text())
    assert toc["root"] == "book/index" and toc["chapters"] == [{"file": "book/quartet"}]


def test_the_data_package_names_its_source_and_licence(project):
    package = json.loads((project / "data/datapackage.json").read_text())
    assert package["licenses"][0]["name"] and package["sources"][0]["path"].startswith("https://doi.org/")
    bib = (project / "references.bib").read_text()
    doi = package["sources"][0]["path"].removeprefix("https://doi.org/")
    assert f"doi = {{{doi}}}" in bib  # the chapter cites the same article the data package names


def test_the_commented_settings_block_is_the_schema_with_its_defaults(project):
    text = (project / "pipeline.yml").read_text()
    block = text[text.index("# settings:"):]
    raw = yaml.safe_load("\n".join(re.sub(r"^# ?", "", line) for line in block.splitlines()))
    parsed = settings.parse(raw["settings"])
    # the data package's default is "datapackage.json in the data folder", which the block spells out
    assert Paths(project, parsed).datapackage == Paths(project).datapackage
    assert replace(parsed, paths=replace(parsed.paths, datapackage=None)) == settings.Settings()
    assert set(raw["settings"]) == {k.name for k in settings.TOP_KEYS}
    assert set(raw["settings"]["paths"]) == {k.name for k in settings.PATH_KEYS}


def test_the_makefile_documents_book_and_test(project):
    proc = subprocess.run(["make", "-s"], cwd=project, capture_output=True, text=True, check=True)
    assert re.search(r"make book\s+run stale notebooks", proc.stdout)
    assert re.search(r"make test\s+run the project's tests", proc.stdout)
    readme = (project / "README.md").read_text()
    assert "make book" in readme and "make test" in readme and "REPROBOOK_SPEC" in readme


def test_the_makefile_says_when_reprobook_is_missing(project):
    proc = subprocess.run(["make", "book", "PYTHON=/usr/bin/env python3 -I -S"], cwd=project, capture_output=True,
                          text=True)
    assert proc.returncode != 0 and "reprobook is not installed" in proc.stderr


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    dest = tmp_path / "paper"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    with pytest.raises(init.FolderNotEmpty, match="not empty.*notes.txt.*never overwrites"):
        init.init(dest)
    assert [p.name for p in dest.iterdir()] == ["notes.txt"] and (dest / "notes.txt").read_text() == "mine"


def test_refuses_a_file(tmp_path):
    (tmp_path / "paper").write_text("x")
    with pytest.raises(init.FolderNotEmpty, match="is a file"):
        init.init(tmp_path / "paper")


def test_writes_into_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    assert len(init.init(tmp_path / "empty")) == len(EXPECTED)


def test_a_failure_part_way_leaves_nothing_behind(tmp_path, monkeypatch):
    files = init.template_files()
    broken = dict(list(files.items())[:3]) | {"z/boom": None}  # None: writing it raises TypeError
    monkeypatch.setattr(init, "template_files", lambda: broken)
    monkeypatch.setattr(init, "fill", lambda text, title, version: text)
    with pytest.raises(TypeError):
        init.init(tmp_path / "new")
    assert not (tmp_path / "new").exists()
    (tmp_path / "kept").mkdir()
    with pytest.raises(TypeError):
        init.init(tmp_path / "kept")
    assert list((tmp_path / "kept").iterdir()) == []


def test_cli_init_lists_the_files_and_refuses_without_a_traceback(tmp_path, capsys):
    assert cli.main(["init", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert f"wrote {len(EXPECTED)} files" in out and "  .ci/run" in out and "make book && make test" in out
    assert cli.main(["init", str(tmp_path / "demo")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is not empty" in err and "Traceback" not in err


def test_cli_init_needs_no_project(tmp_path):
    """`init` runs anywhere, even where no pipeline.yml is found above the working directory."""
    proc = subprocess.run([sys.executable, "-m", "reprobook", "init", "demo"], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "REPROBOOK_ROOT": ""})
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "demo/pipeline.yml").is_file()


@pytest.mark.slow
def test_the_new_project_builds_tests_and_runs_by_hand(tmp_path):
    """What CI does in a fresh environment (.ci/run, with `make book` and the project's own CI
    script), here with this environment's reprobook: the build `make book` runs, `make test`, and
    the notebook run by hand from its own folder."""
    dest = tmp_path / "demo"
    init.init(dest)
    invoke(dest, "build", check=True)  # `make book` is `python -m reprobook build`
    env = {k: v for k, v in os.environ.items() if k not in ("REPROBOOK_ROOT", "MAKEFLAGS", "MAKELEVEL")}
    proc = subprocess.run(["make", "test", f"PYTHON={sys.executable}"], cwd=dest, capture_output=True, text=True,
                          env=env, timeout=900)
    assert proc.returncode == 0, f"make test:\n{proc.stdout}\n{proc.stderr}"
    values = json.loads((dest / "results/values.json").read_text())
    html = (dest / "_build/html/book/quartet.html").read_text()
    assert values["correlation_min"]["display"] in html and values["correlation_max"]["display"] in html
    assert "3 passed" in proc.stdout
    # the executed notebook is part of the record: the template's .gitignore must not drop it
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    ignored = subprocess.run(["git", "check-ignore", "results/notebooks/quartet.ipynb", "notebooks/x.ipynb"],
                             cwd=dest, capture_output=True, text=True).stdout.split()
    assert (dest / "results/notebooks/quartet.ipynb").is_file() and ignored == ["notebooks/x.ipynb"]

    # by hand, from the notebook's folder (as Jupyter runs it): nb finds the project root
    proc = subprocess.run([sys.executable, "quartet.py"], cwd=dest / "notebooks", capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    hand = dest / "_build/interactive/tables/quartet_summary.csv"
    assert hand.read_bytes() == (dest / "results/tables/quartet_summary.csv").read_bytes()
    assert not (dest / "notebooks/_build").exists()
