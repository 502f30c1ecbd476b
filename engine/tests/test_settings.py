"""The settings block: defaults, types, unknown keys, and the generated reference."""
from __future__ import annotations

import pytest

from reprobook import settings
from reprobook.errors import ConfigError
from reprobook.paths import Paths


def test_defaults_are_todays_layout(tmp_path):
    s = settings.parse(None)
    p = Paths(tmp_path, s)
    assert p.data == tmp_path / "data" and p.datapackage == tmp_path / "data/datapackage.json"
    assert p.book == tmp_path / "book" and p.bib == tmp_path / "references.bib"
    assert p.code_dirs == (tmp_path / "src",) and p.lockfile == tmp_path / "requirements.lock"
    assert s.warnings == "error" and s.warm_kernels is True and s.timeout == 1800


def test_layout_from_settings(tmp_path):
    s = settings.parse({"paths": {"data": "inputs", "code": "lib", "book": "chapters"}, "timeout": 60,
                        "warnings": "report"})
    p = Paths(tmp_path, s)
    assert p.datapackage == tmp_path / "inputs/datapackage.json" and p.code_dirs == (tmp_path / "lib",)
    assert s.timeout == 60.0 and s.warnings == "report"


@pytest.mark.parametrize("raw, fragment", [
    ({"timout": 5}, "unknown key(s) 'timout' (did you mean 'timeout'?) in settings"),
    ({"paths": {"dat": "x"}}, "'dat' (did you mean 'data'?) in settings.paths"),
    ({"timeout": -1}, "settings.timeout: must be a number of seconds above 0"),
    ({"warnings": "loud"}, "must be one of error, report"),
    ({"paths": {"data": "../elsewhere"}}, "leaves the project folder"),
    ({"scheduler": "http://x"}, "Dask scheduler address"),
    ({"warm_kernels": "yes"}, "must be true or false"),
])
def test_bad_settings_name_the_key(raw, fragment):
    with pytest.raises(ConfigError) as err:
        settings.parse(raw)
    assert fragment in str(err.value)


def test_reference_documents_every_key():
    ref = settings.reference()
    for key in settings.TOP_KEYS:
        if key.name != "paths":
            assert f"`{key.name}`" in ref
    for key in settings.PATH_KEYS:
        assert f"`paths.{key.name}`" in ref
