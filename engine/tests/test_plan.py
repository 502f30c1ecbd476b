"""The staleness oracle, in-process, on a project laid out unlike the study."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from reprobook import spec
from reprobook.cli import status_lines
from reprobook.errors import ConfigError
from reprobook.paths import Paths
from reprobook.plan import FRESH, make_plan
from reprobook.state import StateStore

sys.path.insert(0, str(Path(__file__).parent))
import layout  # noqa: E402


def plan_of(root: Path, with_book: bool = False):
    paths = Paths.load(root)
    store = StateStore(paths.state)
    plan = make_plan(paths, spec.load(root), store, with_book=with_book)
    store.save()
    return paths, plan


@pytest.fixture
def proj(tmp_path):
    return layout.write(tmp_path / "proj")


def keys(plan) -> dict[str, str]:
    return {jp.job.name: jp.key for jp in plan.jobs}


def test_code_is_followed_beside_the_notebook_in_code_folders_and_through_magics(proj):
    _, plan = plan_of(proj)
    code = plan.job("clean").record["code"]
    assert set(code) == {"analysis/helper.py", "lib/mylib/__init__.py", "lib/mylib/stats.py",
                         "lib/mylib/rounding.py"} | {k for k in code if k.startswith("engine/")}
    assert "lib/mylib/unused.py" not in code
    assert plan.job("summary").record["code"] == {} or all(k.startswith("engine/") for k in plan.job("summary").record["code"])


@pytest.mark.parametrize("rel", sorted(layout.EDITS))
def test_every_kind_of_change_makes_exactly_its_dependents_stale(proj, rel):
    paths, before = plan_of(proj)
    layout.accept(paths, before)
    _, same = plan_of(proj)
    assert all(jp.state == FRESH for jp in same.jobs)
    layout.edit(proj, rel)
    _, after = plan_of(proj)
    changed = {n for n, k in keys(after).items() if keys(before)[n] != k}
    assert changed == layout.EDITS[rel]
    assert {jp.job.name for jp in after.jobs if jp.state != FRESH} == layout.EDITS[rel]


def test_prose_cells_do_not_change_a_key_but_code_cells_do(proj):
    _, before = plan_of(proj)
    nb = proj / "analysis/clean.py"
    nb.write_text(nb.read_text().replace("# Cleans the raw table.", "# Cleans the raw table, carefully."))
    _, prose = plan_of(proj)
    assert keys(prose) == keys(before)
    nb.write_text(nb.read_text().replace("%matplotlib inline", "%matplotlib agg"))
    _, code = plan_of(proj)
    assert {n for n in keys(code) if keys(code)[n] != keys(before)[n]} == {"clean", "summary"}


def test_parameters_and_their_order_are_part_of_the_key(proj):
    _, before = plan_of(proj)
    spec_file = proj / "pipeline.yml"
    spec_file.write_text(spec_file.read_text().replace("labels: {a: first, b: second}", "labels: {b: second, a: first}"))
    paths, reordered = plan_of(proj)
    assert keys(reordered)["clean"] != keys(before)["clean"]
    layout.accept(paths, before)
    _, again = plan_of(proj)
    assert again.job("clean").reasons == ("parameters changed (the order of a mapping, which a notebook may follow)",)
    spec_file.write_text(spec_file.read_text().replace("factor: 2", "factor: 3"))
    _, changed = plan_of(proj)
    assert "parameters changed" in changed.job("clean").reasons


def test_the_lock_is_part_of_every_key(proj):
    _, before = plan_of(proj)
    (proj / "requirements.lock").write_text("pandas==0.0.1\n")
    _, after = plan_of(proj)
    assert all(keys(after)[n] != keys(before)[n] for n in keys(before))
    assert any("pandas" in d for d in after.lock_differences)


def test_a_page_outside_book_makes_only_the_book_stale(proj):
    paths, before = plan_of(proj, with_book=True)
    store = StateStore(paths.state)
    store.record_step(before.book.name, before.book.deps)
    store.save()
    (paths.html).mkdir(parents=True)
    (paths.html / "index.html").write_text("<html></html>")
    _, same = plan_of(proj, with_book=True)
    assert same.book.state == "current"
    layout.edit(proj, "chapters/more.md")
    _, after = plan_of(proj, with_book=True)
    assert after.book.state == "stale" and after.book.reasons == ("page chapters/more.md changed",)
    assert keys(after) == keys(before)


def test_an_unparsable_notebook_is_an_error_naming_cell_and_line(proj):
    nb = proj / "analysis/other.py"
    nb.write_text(nb.read_text() + "\n# %%\nx = (1,\n")
    with pytest.raises(ConfigError) as err:
        plan_of(proj)
    assert "analysis/other.py" in str(err.value) and "cell 1, line" in str(err.value)


def test_a_syntax_error_in_project_code_is_an_error_naming_the_file(proj):
    (proj / "lib/mylib/stats.py").write_text("def total(xs:\n")
    with pytest.raises(ConfigError) as err:
        plan_of(proj)
    assert "lib/mylib/stats.py" in str(err.value) and "line 1" in str(err.value)


def test_a_non_python_notebook_is_reported_as_unsupported(proj):
    nb = proj / "analysis/other.py"
    nb.write_text("# ---\n# jupyter:\n#   kernelspec:\n#     display_name: R\n#     language: R\n#     name: ir\n# ---\n\n"
                  + nb.read_text())
    with pytest.raises(ConfigError) as err:
        plan_of(proj)
    assert "language is 'r'" in str(err.value) and "Python notebooks only" in str(err.value)


def test_a_removed_job_and_a_stray_result_are_not_up_to_date(proj):
    paths, plan = plan_of(proj)
    layout.accept(paths, plan)
    (proj / "results/tables/stray.csv").write_text("x\n")
    _, after = plan_of(proj)
    assert not after.up_to_date and any("stray.csv" in p for p in after.record_problems)


EDIT_NAMES = sorted(layout.EDITS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(EDIT_NAMES), min_size=1, max_size=4))
def test_build_and_status_agree_after_any_sequence_of_edits(tmp_path_factory, edits):
    root = layout.write(tmp_path_factory.mktemp("prop") / "proj")
    paths, plan = plan_of(root)
    layout.accept(paths, plan)
    for i, rel in enumerate(edits):
        _, before = plan_of(root)
        layout.edit(root, rel, i)
        _, plan = plan_of(root)
        stale = {jp.job.name for jp in plan.jobs if jp.state != FRESH}
        assert stale == layout.EDITS[rel]
        lines = status_lines(plan)
        assert (lines[-1].startswith("up to date")) == plan.up_to_date == (not stale)
        layout.accept(paths, plan)  # what a successful build records
        _, after = plan_of(root)
        assert after.up_to_date and status_lines(after)[-1].startswith("up to date")


def test_a_checkout_that_converts_line_ends_changes_nothing(proj):
    """core.autocrlf=true turns every LF into CRLF on checkout: no job may become stale."""
    paths, plan = plan_of(proj)
    layout.accept(paths, plan)
    for f in list(proj.rglob("*")):
        if f.is_file() and "_build" not in f.parts:
            data = f.read_bytes()
            f.write_bytes(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    _, after = plan_of(proj)
    assert keys(after) == keys(plan) and after.up_to_date


def test_an_extensions_data_files_count_as_its_source(tmp_path, monkeypatch):
    from reprobook.bookinputs import module_source_files

    pkg = tmp_path / "myext"
    (pkg / "static").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "static" / "style.css").write_text("a { color: red }")
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "x.pyc").write_bytes(b"")
    monkeypatch.syspath_prepend(str(tmp_path))
    files = {p.relative_to(pkg).as_posix() for p in module_source_files("myext.sphinx")}
    assert files == {"__init__.py", "static/style.css"}  # a new style sheet rebuilds the book


def test_the_data_check_follows_schemas_kept_outside_the_data_folder_and_its_rules(tmp_path, monkeypatch):
    """A schema given by a path outside data/ is part of the data check's dependencies, and so are the
    check's rules: a new rule or another frictionless re-checks data that did not change."""
    import json
    import shutil

    from reprobook import validate
    from reprobook.plan import DATA_STEP

    root = tmp_path / "mini"
    shutil.copytree(Path(__file__).parent / "fixtures" / "mini", root)
    (root / "schemas").mkdir()
    shutil.move(root / "data/schemas/numbers.schema.json", root / "schemas/numbers.schema.json")
    pkg = json.loads((root / "data/datapackage.json").read_text())
    pkg["resources"][0]["schema"] = "../schemas/numbers.schema.json"
    (root / "data/datapackage.json").write_text(json.dumps(pkg))

    def data_step():
        paths = Paths.load(root)
        store = StateStore(paths.state)
        step = next(s for s in make_plan(paths, spec.load(root), store).checks if s.name == DATA_STEP)
        store.record_step(step.name, step.deps)  # as a passing check records it
        store.save()
        return step

    data_step()
    assert data_step().reasons == ()
    schema = root / "schemas/numbers.schema.json"
    schema.write_text(schema.read_text().replace('"number"', '"number", "finite": false', 1))
    assert data_step().reasons == ("file schemas/numbers.schema.json changed",)
    monkeypatch.setattr(validate, "RULES_VERSION", validate.RULES_VERSION + "-next")
    assert data_step().reasons == ("the rules of the data check changed",)
    paths = Paths.load(root)
    store = StateStore(paths.state)
    store.record_step(DATA_STEP, {})  # as a failing check records it
    store.save()
    assert data_step().reasons == ("the last check found problems",)
