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
