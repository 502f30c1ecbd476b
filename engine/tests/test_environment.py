"""The environment's description (reprobook.environment), part of every job's key."""
from __future__ import annotations

from importlib import metadata

from reprobook import environment


def test_names_and_versions_are_what_importlib_metadata_reads_for_every_installed_distribution():
    folders = environment.search_path()
    packages, local = environment.distributions(folders)
    expected: dict[str, str] = {}
    for dist in metadata.distributions(path=folders):  # the e-mail parser's reading of each METADATA
        name = dist.metadata["Name"]
        if name:
            expected.setdefault(environment.canonical_name(name), dist.version)
    assert packages == dict(sorted(expected.items())) and len(packages) > 20
    assert "reprobook" in packages and "reprobook" in local  # the engine is installed from a folder


def test_headers_end_at_the_first_empty_line_and_field_names_ignore_case(tmp_path):
    info = tmp_path / "demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nname: Demo_Pkg\nVERSION: 1.0rc1\n\n"
                                   "Name: not-a-header\nVersion: 9\n")
    packages, _ = environment.distributions([str(tmp_path)])
    assert packages == {"demo-pkg": "1.0rc1"}


def test_the_folders_searched_are_a_fresh_interpreters_not_this_processs_sys_path(tmp_path, monkeypatch):
    """pytest, a script's folder or the user's PYTHONPATH put folders on this process's sys.path that
    the kernels never see (they start the interpreter afresh): a distribution there is not part of
    the environment; one in site-packages or a folder a .pth file adds is."""
    import json
    import os
    import subprocess
    import sys

    stray = tmp_path / "stray"
    (stray / "leftover-0.1.dist-info").mkdir(parents=True)
    (stray / "leftover-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: leftover\nVersion: 0.1\n")
    monkeypatch.syspath_prepend(str(stray))
    sys.path.insert(1, str(stray))
    folders = environment.search_path()
    assert str(stray) not in folders and "leftover" not in environment.distributions(folders)[0]

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    fresh = json.loads(subprocess.run([sys.executable, "-I", "-c", "import sys, json; print(json.dumps(sys.path))"],
                                      capture_output=True, text=True, check=True, env=env).stdout)
    fresh = [os.path.abspath(p) for p in fresh if p and os.path.isdir(p)]
    assert set(folders) <= set(fresh)
    assert environment.distributions(folders) == environment.distributions(fresh)
