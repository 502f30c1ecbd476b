"""The generated reference of the adopter's guide: complete in both directions, and it cannot drift."""
from __future__ import annotations

import argparse
import inspect
import re
from pathlib import Path

import pytest

from reprobook import cli, nb, reference, settings, spec, sphinxext, testing
from reprobook.reference import IncompleteReference


def test_every_command_and_option_is_documented_and_nothing_else():
    parser = cli.build_parser()
    documented = reference.documented_cli_entries(reference.cli(parser))
    existing = reference.cli_entries(parser)
    assert documented == existing
    assert {("init", "DIR"), ("build", "--no-book"), ("run", "--param"), ("diff", "ref"), ("", "-C")} <= existing


def test_a_new_subcommand_appears_without_editing_the_guide():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    p = sub.add_parser("publish", help="publish the book somewhere")
    p.add_argument("--out", metavar="FILE", help="where to write it")
    p.add_argument("-j", "--jobs", type=int)  # no help of its own: the same option of `build` explains it
    text = reference.cli(parser)
    assert "## `reprobook publish`" in text and "reprobook publish [--out FILE] [-j JOBS]" in text
    build_jobs_help = next(a.help for a in sub.choices["build"]._actions if a.dest == "jobs")
    package_rows = text.split("## `reprobook publish`")[1]
    assert "`-j JOBS`, `--jobs JOBS`" in package_rows and build_jobs_help.lower() in package_rows.lower()
    assert reference.documented_cli_entries(text) == reference.cli_entries(parser)


def test_an_option_without_help_is_an_error_naming_it():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.add_parser("mirror", help="copy the book elsewhere").add_argument("--target")
    with pytest.raises(IncompleteReference, match=r"--target TARGET of 'reprobook mirror' has no help"):
        reference.cli(parser)
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.add_parser("bare")
    with pytest.raises(IncompleteReference, match="subcommand 'bare' has no help"):
        reference.cli(parser)


def test_the_synopsis_shows_positionals_and_repeatable_options():
    text = reference.cli()
    assert "reprobook run job [-p NAME=VALUE ...]" in text
    assert "reprobook diff [ref]" in text and "| `ref` | A git commit, branch or tag to compare with. | `HEAD` |" in text
    assert "Repeatable." in text.split("## `reprobook run`")[1].split("##")[0]


def test_every_key_of_pipeline_yml_is_described():
    text = reference.pipeline()
    for section, keys in reference.pipeline_keys().items():
        for key in keys:
            assert f"| `{key}` |" in text, (section, key)
    assert set(spec.JOB_KEYS) == set(reference.PIPELINE_DOCS["job"])


def test_an_undescribed_or_vanished_pipeline_key_is_an_error(monkeypatch):
    monkeypatch.setattr(spec, "JOB_KEYS", spec.JOB_KEYS | {"retries"})
    with pytest.raises(IncompleteReference, match="'retries' not described"):
        reference.pipeline()
    monkeypatch.setattr(spec, "JOB_KEYS", spec.JOB_KEYS - {"retries", "timeout"})
    with pytest.raises(IncompleteReference, match="'timeout' described but no longer exist"):
        reference.pipeline()


def test_the_settings_reference_is_the_schema():
    text = reference.render("settings")
    for key in settings.TOP_KEYS:
        if key.name != "paths":
            assert f"| `{key.name}` |" in text
    for key in settings.PATH_KEYS:
        assert f"| `paths.{key.name}` |" in text


def _public(module) -> list[str]:
    return [n for n, o in vars(module).items() if not n.startswith("_") and (inspect.isfunction(o) or inspect.isclass(o))
            and o.__module__ == module.__name__]


@pytest.mark.parametrize("module", [nb, testing])
def test_the_api_reference_lists_every_public_function_with_its_parameters(module):
    text = reference.api(module.__name__)
    short = module.__name__.rsplit(".", 1)[1]
    headings = re.findall(rf"^### `{short}\.(\w+)`$", text, re.M)
    assert sorted(headings) == sorted(_public(module)) and headings == reference.public_names(module.__name__)
    for name in headings:
        obj = getattr(module, name)
        if inspect.isfunction(obj):
            line = next(ln for ln in text.splitlines() if ln.startswith(f"{short}.{name}("))
            shown = [p.split(":")[0].split("=")[0].strip(" *") for p in re.split(r",\s*(?![^\[]*\])", line[line.index("(") + 1:line.rindex(")")])]
            assert [p for p in shown if p not in ("", "/")] == list(inspect.signature(obj).parameters), name
            assert inspect.getdoc(obj).split()[0] in text


def test_a_public_function_without_a_docstring_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "undocumented_mod.py").write_text('"""A module."""\n\ndef shown(a, *, b=1):\n    pass\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(IncompleteReference, match="undocumented_mod.shown has no docstring"):
        reference.api("undocumented_mod")


def test_signatures_are_written_as_in_the_source(tmp_path, monkeypatch):
    (tmp_path / "sig_mod.py").write_text(
        "def f(a, b: int = 2, /, c=3, *args: str, d: 'list[int] | None' = None, **kw) -> dict:\n    '''Doc.'''\n"
        "def g(x, *, y=1):\n    '''Doc.'''\n"
        "class E(ValueError):\n    '''An error.'''\n"
        "def _hidden():\n    '''Not shown.'''\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    text = reference.api("sig_mod")
    assert "sig_mod.f(a, b: int = 2, /, c=3, *args: str, d: 'list[int] | None' = None, **kw) -> dict" in text
    assert "sig_mod.g(x, *, y=1)" in text and "class sig_mod.E(ValueError)" in text and "_hidden" not in text


def test_docstrings_become_markdown_that_runs_nothing():
    doc = "Save `df` as *NAME*; cite it with {claim}`name` [sic] <b>.\n\nExample:\n\n    x = nb.save_table('t', df)\n"
    md = reference.docstring_markdown(doc)
    assert "`df`" in md and r"\*NAME\*" in md and "`` {claim}`name` ``" in md and r"\[sic\] \<b\>" in md
    assert "```python\nx = nb.save_table('t', df)\n```" in md


def test_every_directive_role_and_option_of_the_extension_is_described():
    rec = reference.registered()
    assert {"result-table", "result-figure", "result-record"} <= set(rec.directives) and "value" in rec.roles
    text = reference.sphinx()
    for name, options in reference.sphinx_entries(rec).items():
        assert f"### `{name}` (" in text
        for option in options - {""}:
            assert f"| `:{option}:` |" in text, (name, option)


def test_an_undescribed_directive_option_is_an_error(monkeypatch):
    monkeypatch.setitem(sphinxext.ResultFigure.option_spec, "align", str)
    with pytest.raises(IncompleteReference, match="option.*of result-figure: 'align' not described"):
        reference.sphinx()


def test_unknown_topic():
    with pytest.raises(IncompleteReference, match="unknown reference topic 'nope'"):
        reference.render("nope")


def test_the_directive_renders_sections_in_a_strict_sphinx_build(tmp_path):
    """The `reprobook-reference` directive in a real (small) Sphinx build with MyST, warnings as errors."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    def build(page: str, out: str) -> Path:
        src = tmp_path / out / "src"
        src.mkdir(parents=True)
        (src / "conf.py").write_text("extensions = ['myst_parser', 'reprobook.sphinxref']\n")
        (src / "index.md").write_text(page)
        with docutils_namespace():  # each app registers its nodes afresh
            Sphinx(str(src), str(src), str(tmp_path / out / "html"), str(tmp_path / out / "doctrees"), "html",
                   warningiserror=True, status=None, warning=None, freshenv=True).build()
        return tmp_path / out / "html/index.html"

    html = build("# Reference\n\nIntro.\n\n```{reprobook-reference} cli\n```\n", "ok").read_text()
    assert re.search(r'<section id="reprobook-build">\s*<h2>', html)
    assert html.index("Intro.") < html.index("Global options")
    with pytest.raises(Exception, match="unknown reference topic 'nothing'"):
        build("# Reference\n\n```{reprobook-reference} nothing\n```\n", "broken")


def test_every_error_class_has_its_exit_status_in_the_table():
    from reprobook import errors

    text = reference.render("exit-codes")
    for name, cls in vars(errors).items():
        if isinstance(cls, type) and issubclass(cls, errors.ReprobookError) and cls is not errors.ReprobookError:
            assert f"| `{cls.exit_code}` | `{name}` |" in text
