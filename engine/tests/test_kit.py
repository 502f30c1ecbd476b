"""The reviewer kit on the mini project: `reprobook package` and `reprobook certify`."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from reprobook import certify, package
from reprobook.errors import IntegrityError
from reprobook.paths import Paths
from reprobook.testing import invoke

pytestmark = pytest.mark.xdist_group("kit")  # one worker shares the module's built project


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="session")
def built(_mini_built_once, tmp_path_factory) -> Path:
    """The mini project with its record (results/) as a checkout has it (no _build/): a copy of the
    session's built mini project."""
    root = tmp_path_factory.mktemp("built") / "mini"
    shutil.copytree(_mini_built_once, root, ignore=shutil.ignore_patterns("_build"))
    return root


@pytest.fixture
def project(built, tmp_path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(built, root)
    return root


def unpacked(archive: Path, dest: Path) -> Path:
    return package.unpack(archive, dest)


@pytest.mark.slow
def test_two_packages_are_byte_identical(project, tmp_path):
    first = package.build_package(Paths(project)).path.read_bytes()
    second = package.build_package(Paths(project)).path.read_bytes()
    assert first == second
    # another checkout of the same project, with other file times: the same bytes
    other = tmp_path / "elsewhere" / "mini"
    shutil.copytree(project, other, ignore=shutil.ignore_patterns("_build"))
    for p in other.rglob("*"):
        os.utime(p, (1_000_000_000, 1_000_000_000))
    result = package.build_package(Paths(other))
    assert result.path.name == "mini-unversioned.zip"
    assert result.path.read_bytes() == first
    with zipfile.ZipFile(result.path) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and all(n.startswith("mini-unversioned/") for n in names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}  # no release date: the zip format's first
    assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}
    # a changed data file changes the package
    (other / "data/words.csv").write_text("word\nalpha\nbeta\ngamma\n")
    assert package.build_package(Paths(other)).path.read_bytes() != first


@pytest.mark.slow
def test_package_contents_sums_and_metadata(project, tmp_path):
    (project / "CITATION.cff").write_text(
        "cff-version: 1.2.0\nmessage: Cite it.\ntitle: A Mini Study\nversion: 1.2.3\nlicense: MIT\n"
        "date-released: 2026-01-02\nauthors:\n  - family-names: Doe\n    given-names: Jo\n    orcid: "
        "https://orcid.org/0000-0002-1825-0097\n")
    (project / "README.md").write_text("# Mini\n")
    (project / ".venv").mkdir()
    (project / ".venv/junk.py").write_text("x = 1\n")
    (project / "notebooks/__pycache__").mkdir()
    (project / "notebooks/__pycache__/sums.cpython-311.pyc").write_bytes(b"\0")
    result = package.build_package(Paths(project))
    assert result.path == project / "_build/package/a-mini-study-1.2.3.zip"
    with zipfile.ZipFile(result.path) as zf:
        entries = {n.split("/", 1)[1]: zf.read(n) for n in zf.namelist()}
    # what is needed to rebuild, the record, and the generated files; never environments or caches
    for rel in ("pipeline.yml", "_config.yml", "_toc.yml", "data/numbers.csv", "data/datapackage.json",
                "notebooks/sums.py", "book/index.md", "results/manifest.json", "results/values.json",
                "results/tables/totals.csv", "results/figures/bars.svg", "CITATION.cff", ".zenodo.json",
                "ro-crate-metadata.json", "SHA256SUMS", "README.md", "README-project.md"):
        assert rel in entries, rel
    assert not [r for r in entries if r.startswith((".venv/", "_build/")) or "__pycache__" in r]
    assert entries["README-project.md"] == b"# Mini\n"
    # SHA256SUMS covers every other file of the archive, with the right hashes
    lines = entries["SHA256SUMS"].decode().splitlines()
    listed = {line[66:]: line[:64] for line in lines}
    assert set(listed) == set(entries) - {"SHA256SUMS"}
    assert all(listed[rel] == sha(entries[rel]) for rel in listed)
    assert all(line[64:66] == "  " for line in lines)
    # the deposit description comes from CITATION.cff
    zen = json.loads(entries[".zenodo.json"])
    assert zen["title"] == "A Mini Study" and zen["version"] == "1.2.3" and zen["license"] == "mit"
    assert zen["creators"] == [{"name": "Doe, Jo", "orcid": "0000-0002-1825-0097"}]
    assert zen["publication_date"] == "2026-01-02"
    # the replication README: template sections and the list of exhibits from the manifest
    readme = entries["README.md"].decode()
    for heading in ("## Overview", "## Data Availability and Provenance Statements", "### Dataset list",
                    "## Computational requirements", "## Description of programs and code",
                    "## Instructions to replicators", "## List of tables and programs"):
        assert heading in readme, heading
    assert "| table `totals` |" in readme and "`results/tables/totals.csv`" in readme
    assert "| figure `bars` |" in readme
    assert "Run times: none measured" in readme


@pytest.mark.slow
def test_readme_reports_run_times_of_the_last_run_never_the_record(project):
    (project / "_build").mkdir()
    (project / "_build/run.json").write_text(json.dumps({"started": "2026-02-03T04:05:06Z",
                                                          "executed": {"sums": 4.25, "words": 1.5}}))
    result = package.build_package(Paths(project))
    with zipfile.ZipFile(result.path) as zf:
        readme = zf.read("mini-unversioned/README.md").decode()
        manifest = zf.read("mini-unversioned/results/manifest.json").decode()
    assert "| sums | `notebooks/sums.py` | 4.2 s |" in readme and "| words | `notebooks/words.py` | 1.5 s |" in readme
    assert "2026-02-03T04:05:06Z" in readme
    assert "4.25" not in manifest


@pytest.mark.slow
def test_data_availability_comes_from_project_files_only(project):
    (project / "references.bib").write_text(
        "@article{doe2020counts,\n  author = {Doe, Jo},\n  title = {Counting {Things}},\n  journal = {J. Counts},\n"
        "  volume = {3},\n  number = {1},\n  pages = {1--9},\n  year = {2020},\n  doi = {10.1234/counts}\n}\n"
        "@misc{roe_words,\n  title = {Words},\n  incomplete = {author and year not printed}\n}\n")
    numbers = project / "data/numbers.csv"
    rows = numbers.read_text().splitlines()
    numbers.write_text("\n".join([rows[0] + ",source"] + [r + ",doe2020counts" for r in rows[1:]]) + "\n")
    dp = json.loads((project / "data/datapackage.json").read_text())
    dp["licenses"] = [{"name": "CC0-1.0", "title": "CC0 1.0"}]
    dp["sources"] = [{"title": "Words list", "bibkey": "roe_words", "terms": "all rights reserved"}]
    (project / "data/datapackage.json").write_text(json.dumps(dp))
    sources = {s.key: s for s in package.data_sources(Paths(project), package.project_files(project))}
    assert set(sources) == {"doe2020counts", "roe_words"}
    doe = sources["doe2020counts"]
    assert doe.rows == {"data/numbers.csv": 3}
    assert doe.access == "at https://doi.org/10.1234/counts"
    assert doe.citation.startswith("Doe, Jo (2020) *Counting Things*. J. Counts 3(1), 1--9.")
    assert doe.terms == "not recorded in the data package or the bibliography"  # never invented
    roe = sources["roe_words"]
    assert roe.terms == "all rights reserved" and roe.rows == {}
    assert roe.access.startswith("no URL or DOI is recorded")
    assert roe.notes == ["bibliographic record incomplete: author and year not printed"]
    assert roe.document == "not included in this package"


@pytest.mark.slow
def test_ro_crate_lists_every_results_file_with_its_sha256(project, tmp_path):
    from rocrate.rocrate import ROCrate

    archive = package.build_package(Paths(project)).path
    top = unpacked(archive, tmp_path / "unpacked")
    crate = ROCrate(top)
    results = sorted(p.relative_to(top).as_posix() for p in (top / "results").rglob("*") if p.is_file())
    assert len(results) == 8  # with the two jobs' executed notebooks (results/notebooks/)
    for rel in results:
        entity = crate.get(rel)
        assert entity is not None, rel
        assert entity["sha256"] == sha((top / rel).read_bytes()), rel
    profiles = {e.id for e in crate.root_dataset["conformsTo"]}
    assert "https://w3id.org/ro/wfrun/workflow/0.6" in profiles
    assert crate.mainEntity.id == "pipeline.yml"
    # each job: a CreateAction with its notebook, parameters, inputs and outputs
    record = json.loads((top / "results/manifest.json").read_text())
    run = crate.get("#run-sums")
    assert run.type == "CreateAction" and run["instrument"].id == "notebooks/sums.py"
    objects = {e.id: e for e in run["object"]}
    assert "data/numbers.csv" in objects
    assert objects["#run-sums/scale"]["value"] == "1" and objects["#run-sums/scale"]["name"] == "scale"
    produced = {e.id for e in run["result"]}
    assert produced == {a["path"] for a in record["artifacts"] if a["job"] == "sums"}
    assert crate.get("results/values.json#grand_total")["sha256"] == \
        next(a["sha256"] for a in record["artifacts"] if a["name"] == "grand_total")
    workflow_run = crate.get("#run-pipeline")
    assert workflow_run["instrument"].id == "pipeline.yml"
    assert {e.id for e in workflow_run["result"]} == set(results)


@pytest.mark.slow
def test_check_archive_names_altered_missing_and_added_files(project, tmp_path):
    top = unpacked(package.build_package(Paths(project)).path, tmp_path / "u")
    assert certify.check_archive(top) == len((top / "SHA256SUMS").read_text().splitlines())
    (top / ".venv").mkdir()
    (top / ".venv/x").write_text("environments are not part of the package")
    (top / "_build").mkdir()
    (top / "_build/y").write_text("nor is build output")
    assert certify.check_archive(top) > 0
    (top / "results/tables/totals.csv").write_text("group,value\na,3.0\nb,5.5\n")
    (top / "notebooks/words.py").unlink()
    (top / "notes.txt").write_text("added by hand")
    with pytest.raises(IntegrityError) as err:
        certify.check_archive(top)
    found = {(p.file, p.message.split(":", 1)[0]) for p in err.value.problems}
    assert found == {("results/tables/totals.csv", "altered"), ("notebooks/words.py", "missing"),
                     ("notes.txt", "added")}
    shutil.rmtree(top / "results")
    (top / "SHA256SUMS").unlink()
    with pytest.raises(IntegrityError, match="no SHA256SUMS"):
        certify.check_archive(top)


@pytest.mark.slow
def test_certify_stops_before_running_anything_when_a_data_file_was_edited(project, tmp_path, monkeypatch):
    top = unpacked(package.build_package(Paths(project)).path, tmp_path / "u")
    with open(top / "data/numbers.csv", "a") as fh:
        fh.write("c,100\n")
    ran = []
    monkeypatch.setattr(certify, "_clean_room", lambda paths: ran.append("clean room"))
    monkeypatch.setattr(certify, "_run_child", lambda *a, **k: ran.append("jobs"))
    with pytest.raises(IntegrityError) as err:
        certify.certify(Paths(top))
    assert [p.file for p in err.value.problems] == ["data/numbers.csv"]
    assert ran == []
    # the command line: non-zero, the file named, no certificate
    proc = invoke(top, "certify")
    assert proc.returncode == 1
    assert "data/numbers.csv: altered" in proc.stderr and "nothing was run" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (top / "_build/certificate").exists()


def test_network_isolation_says_what_it_did():
    iso = certify.network_isolation()
    assert iso.how.startswith("network off" if iso.network_off else "network on")
    assert bool(iso.prefix) == iso.network_off
    remote = certify.network_isolation("tcp://scheduler:8786")
    assert not remote.network_off and "tcp://scheduler:8786" in remote.how


def test_lock_check_compares_pins_with_installed_versions(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("alpha==1.0 \\\n    --hash=sha256:00\nBeta_Pkg==2.0\nwinonly==3 ; sys_platform == 'win32'\n")
    out = certify.lock_check(lock, {"alpha": "1.0", "beta-pkg": "2.1"})
    assert out["pinned"] == 2
    assert out["differences"] == ["beta-pkg 2.1 is installed, the lock has 2.0"]


@pytest.mark.slow
def test_certify_reproduces_every_exhibit_of_the_archive(project, tmp_path):
    top = unpacked(package.build_package(Paths(project)).path, tmp_path / "reviewer")
    proc = invoke(top, "certify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Certified: all 7 exhibits" in proc.stdout  # five results and the two jobs' executed notebooks
    cert = json.loads((top / "_build/certificate/certificate.json").read_text())
    record = json.loads((top / "results/manifest.json").read_text())
    assert cert["certified"] is True
    rows = {r["path"]: r for r in cert["exhibits"]}
    assert set(rows) == {a["path"] for a in record["artifacts"]}
    for a in record["artifacts"]:
        row = rows[a["path"]]
        assert row["verdict"] == "reproduced bit for bit"
        assert row["committed_sha256"] == a["sha256"] == row["reproduced_sha256"]
        assert row["job"] == a["job"] and row["seconds"] > 0
    assert [b["badge"] for b in cert["badges"]] == ["Artifacts Available", "Artifacts Evaluated – Functional",
                                                    "Results Reproduced"]
    assert cert["badges"][2]["status"] == "met"
    assert cert["environment"]["python"] and cert["environment"]["packages"]
    assert cert["run"]["network"].startswith("network")
    md = (top / "_build/certificate/certificate.md").read_text()
    html = (top / "_build/certificate/certificate.html").read_text()
    assert "| table `totals` | `results/tables/totals.csv` | reproduced bit for bit |" in md
    assert "results/values.json#grand_total" in html and "Results Reproduced" in html


@pytest.mark.slow
def test_certificate_of_a_mismatch_names_the_cells_and_is_not_certified(project):
    rows = [certify.Row("results/tables/totals.csv", "table", "totals", "mismatch", False,
                        ("group=b, column value: 5.0 -> 5.5",), "a" * 64, "b" * 64, "sums", 4.0),
            certify.Row("results/values.json#grand_total", "value", "grand_total", "reproduced bit for bit", True,
                        (), "c" * 64, "c" * 64, "sums", 4.0)]
    cert = certify.Certificate(
        project={"title": "Mini", "version": "1.0", "name": "mini", "doi": "10.5281/zenodo.1", "license": None,
                 "citation": None},
        archive={"files_checked": 20, "intact": True, "sums_sha256": "d" * 64, "folder": "mini-1.0"},
        run={"started": "2026-01-01T00:00:00Z", "seconds_reexecution": 5.0, "seconds_total": 6.0,
             "network_off": False, "network": "network on: Darwin offers no network namespaces to switch it off",
             "interfaces": None, "clean_room": "/tmp/room", "error": None, "executor": "local"},
        environment=certify.environment(), lock={"file": "requirements.lock", "pinned": 3,
                                                 "differences": ["pandas: locked 2.0, installed 2.1"]},
        rows=rows, jobs=[{"job": "sums", "notebook": "notebooks/sums.py", "seconds": 4.0}])
    cert.badges = certify.badges(cert, Paths(project))
    assert not cert.certified
    status = {b["badge"]: b["status"] for b in cert.badges}
    assert status == {"Artifacts Available": "met", "Artifacts Evaluated – Functional": "not met",
                      "Results Reproduced": "not met"}
    functional = next(b for b in cert.badges if b["badge"].endswith("Functional"))
    assert any("pandas: locked 2.0, installed 2.1" in e for e in functional["evidence"])
    md = certify.render_markdown(cert)
    assert "**NOT certified: 1 of 2 exhibits not reproduced.**" in md
    assert "| table `totals` | `results/tables/totals.csv` | mismatch | `" + "a" * 64 + "` | `" + "b" * 64 in md
    assert "group=b, column value: 5.0 -> 5.5" in md and "network on: Darwin" in md
    html = certify.render_html(cert)
    assert 'class="fail"' in html and "5.0 -&gt; 5.5" in html
    data = cert.to_dict()
    assert data["certified"] is False and data["summary"] == {"mismatch": 1, "reproduced bit for bit": 1}


@pytest.mark.slow
def test_certify_of_a_package_whose_job_fails_writes_a_negative_certificate(project, tmp_path):
    nb = project / "notebooks/words.py"
    nb.write_text(nb.read_text() + "\nraise ValueError('broken after the record was made')\n")
    result = package.build_package(Paths(project))
    assert any("stale" in w and "words" in w for w in result.warnings)
    top = unpacked(result.path, tmp_path / "reviewer")
    proc = invoke(top, "certify")
    assert proc.returncode == 1
    assert "NOT certified: the re-execution failed" in proc.stdout and "broken after the record" in proc.stdout
    cert = json.loads((top / "_build/certificate/certificate.json").read_text())
    assert cert["certified"] is False and cert["run"]["error"]
    assert {r["verdict"] for r in cert["exhibits"]} == {"missing"}
    assert {b["badge"]: b["status"] for b in cert["badges"]}["Results Reproduced"] == "not met"
    room = Path(cert["run"]["clean_room"])
    assert room.is_dir()
    shutil.rmtree(room)


def test_values_and_claims_are_checked_by_their_entries_not_by_their_files_bytes(tmp_path):
    """The record names values and claims as `results/values.json#name`: the package checks their
    entries' sha256 against the manifest, never the bytes of the file that holds many of them."""
    from reprobook import manifest as mf

    root = tmp_path / "p"
    (root / "results" / "tables").mkdir(parents=True)
    (root / "pipeline.yml").write_text("jobs: {}\n")
    table = root / "results/tables/t.csv"
    table.write_text("a\n1\n")
    values = {"v": {"value": 1, "display": "1"}}
    claims = {"c": {"holds": True, "statement": "one is one", "values": ["v"]}}
    (root / "results/values.json").write_text(mf.dumps(values))
    (root / "results/claims.json").write_text(mf.dumps(claims))
    arts = [{"path": "results/tables/t.csv", "kind": "table", "name": "t",
             "sha256": hashlib.sha256(table.read_bytes()).hexdigest()},
            {"path": "results/values.json#v", "kind": "value", "name": "v", "sha256": mf.value_sha(values["v"])},
            {"path": "results/claims.json#c", "kind": "claim", "name": "c", "sha256": mf.value_sha(claims["c"])}]
    (root / "results/manifest.json").write_text(mf.dumps({"artifacts": arts}))
    files = ["results/tables/t.csv", "results/values.json", "results/claims.json", "results/manifest.json"]
    assert package.check_record(Paths(root), files)["artifacts"] == arts
    table.write_text("a\n2\n")
    with pytest.raises(package.PackageError, match="results/tables/t.csv differs from its sha256"):
        package.check_record(Paths(root), files)
