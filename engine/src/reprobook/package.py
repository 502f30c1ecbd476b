"""`package`: a project as one byte-reproducible replication package (zip).

`build_package(paths)` writes `_build/package/<name>-<version>.zip` (name and version from
CITATION.cff; without it the project folder's name and `unversioned`). All entries sit in one top
folder `<name>-<version>/`:

- the project's files (`project_files`): under git the tracked files as they are in the working
  tree; without git every file except hidden ones (a name starting with a dot) and `EXCLUDED`.
  `.venv`, `_build` and caches are never packed, tracked or not. The record, `results/` with its
  `manifest.json`, must match: a results file that differs from its sha256 in the manifest stops
  the packing (`PackageError`).
- `README.md`: a replication README after the Social Science Data Editors' template
  (https://social-science-data-editors.github.io/template_README/); the project's own README
  travels as `README-project.md`.
- `CITATION.cff` (the project's; without one, derived from `_config.yml`) and `.zenodo.json`
  (a Zenodo deposit description derived from CITATION.cff).
- `ro-crate-metadata.json`: an RO-Crate 1.3 (Workflow Run Crate and Provenance Run Crate 0.6)
  written with the `rocrate` library: every file under `results/` with its sha256, each job as a
  CreateAction with its notebook (instrument), parameters and inputs (object) and outputs (result).
- `SHA256SUMS`: the sha256 of every other entry, in the format of GNU `sha256sum`.

The same tree gives the same bytes: entries sorted, times fixed (SOURCE_DATE_EPOCH, or the engine's
default), permissions 0644 (0755 for executable files), deflate level 9.

Data availability per source comes only from project files, never invented: the Frictionless data
package (`licenses`, and `sources` whose items may carry `bibkey`, `terms` and `path`), the
bibliography (citation, `url`, `doi`, `license`/`copyright`, `incomplete`) and the data rows whose
columns hold bibliography keys (what of each source is included).
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import stat
import subprocess
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import manifest as mf
from .errors import PackageError
from .paths import Paths

PACKAGE_FOLDER = "package"  # under _build/
CERTIFICATE_FOLDER = "certificate"  # under _build/ (certify writes it; its run times feed the README)
SUMS = "SHA256SUMS"
CRATE = "ro-crate-metadata.json"
ZENODO = ".zenodo.json"
CITATION = "CITATION.cff"
README = "README.md"
PROJECT_README = "README-project.md"
GENERATED = (README, PROJECT_README, CITATION, ZENODO, CRATE, SUMS)
# Never packed, tracked or not: environments, build output, caches.
EXCLUDED = {".venv", "venv", "_build", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".mypy_cache",
            ".ruff_cache", ".hypothesis", ".git", "node_modules", ".tox", ".nox"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".egg-info")
MEDIA_TYPES = {".csv": "text/csv", ".svg": "image/svg+xml", ".pdf": "application/pdf", ".json": "application/json",
               ".py": "text/x-python", ".md": "text/markdown", ".yml": "application/yaml",
               ".yaml": "application/yaml", ".bib": "application/x-bibtex", ".txt": "text/plain",
               ".cff": "application/yaml", ".png": "image/png", ".html": "text/html", ".toml": "application/toml"}
PROFILES = [("https://w3id.org/ro/wfrun/process/0.6", "Process Run Crate", "0.6"),
            ("https://w3id.org/ro/wfrun/workflow/0.6", "Workflow Run Crate", "0.6"),
            ("https://w3id.org/ro/wfrun/provenance/0.6", "Provenance Run Crate", "0.6")]
WFRUN_CONTEXT = "https://w3id.org/ro/terms/workflow-run/context"  # defines `sha256`
ZENODO_TYPES = {"software": "software", "dataset": "dataset"}


@dataclass(frozen=True)
class ProjectMeta:
    """Who and what the project is, from CITATION.cff (or `_config.yml` and the folder name)."""

    name: str  # file-name slug
    version: str
    title: str
    abstract: str
    authors: tuple[dict, ...]  # CFF author mappings
    license: str | None  # SPDX id
    date: str | None  # date-released, YYYY-MM-DD
    doi: str | None
    keywords: tuple[str, ...]
    cff_type: str
    citation_text: str  # the CITATION.cff to ship (the project's own bytes when it has one)
    derived: bool  # True when CITATION.cff was derived, not the project's own


@dataclass
class PackageResult:
    path: Path
    name: str
    version: str
    files: int  # entries in the archive
    bytes: int  # size of the zip
    sha256: str  # of the zip
    warnings: list[str] = field(default_factory=list)


@dataclass
class Source:
    """One source of the data, as the project files describe it."""

    key: str | None  # bibliography key
    citation: str
    access: str
    terms: str
    rows: dict[str, int]  # data file -> rows citing this source
    document: str  # whether the source document itself is in the package
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------- files

def excluded(rel: str) -> bool:
    """True for paths never packed: under `EXCLUDED` folders, byte-code, egg-info."""
    parts = rel.split("/")
    return any(p in EXCLUDED or p.endswith(EXCLUDED_SUFFIXES) for p in parts)


def project_files(root: Path) -> list[str]:
    """Relative posix paths of the files to pack, sorted. Under git: `git ls-files` (tracked files
    as they are in the working tree; deleted ones left out). Without git: every file whose path has
    no hidden part (a name starting with '.'). `excluded` paths are dropped in both cases."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached"], cwd=root, capture_output=True, check=True).stdout
        files = [f for f in out.decode("utf-8").split("\0") if f]
    except (subprocess.CalledProcessError, FileNotFoundError, OSError):
        files = [p.relative_to(root).as_posix() for p in root.rglob("*")
                 if not any(part.startswith(".") for part in p.relative_to(root).parts)]
    return sorted(f for f in set(files) if not excluded(f) and (root / f).is_file() and not (root / f).is_symlink())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256sums(entries: dict[str, bytes]) -> str:
    """`sha256sum` lines ('<hex>  <path>'), sorted by path, for every entry except SHA256SUMS."""
    return "".join(f"{sha256_hex(entries[rel])}  {rel}\n" for rel in sorted(entries) if rel != SUMS)


def source_date_epoch(paths: Paths) -> int:
    """The fixed time stamp of every zip entry: SOURCE_DATE_EPOCH, else the release date in CITATION.cff."""
    from .book import source_date_epoch as sde

    return int(sde(paths))


def write_zip(dest: Path, top: str, entries: dict[str, bytes], executable: set[str], epoch: int = 0) -> None:
    """Write `entries` (path -> bytes) under `top/` into `dest`, deterministically (entry times are
    `epoch`, seconds since 1970), via a temporary file replaced in one step."""
    stamp = time.gmtime(max(epoch, 315532800))[:6]  # the zip format starts in 1980
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for rel in sorted(entries):
            info = zipfile.ZipInfo(f"{top}/{rel}", date_time=stamp)
            info.create_system = 3  # unix, so that the permissions below are read
            info.external_attr = (stat.S_IFREG | (0o755 if rel in executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, entries[rel], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(tmp, dest)


# ------------------------------------------------------------------------------------- metadata

def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "project"


def _yaml(path: Path) -> dict:
    import yaml

    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PackageError(f"{path.name} is not valid YAML ({exc}); fix it, then package again") from None
    return data if isinstance(data, dict) else {}


def project_meta(root: Path) -> ProjectMeta:
    """The project's name, version, title, authors, licence and DOI from CITATION.cff; without it,
    the title and author of `_config.yml`, the folder name and version `unversioned`."""
    import yaml

    cff_path = root / CITATION
    cff = _yaml(cff_path)
    derived = not cff
    if derived:
        conf = _yaml(root / "_config.yml")
        title = str(conf.get("title") or root.name)
        cff = {"cff-version": "1.2.0", "message": "If you use this work, please cite it as below.", "title": title,
               "authors": [{"name": str(conf["author"])}] if conf.get("author") else []}
        text = yaml.safe_dump(cff, sort_keys=False, allow_unicode=True)
    else:
        text = cff_path.read_text(encoding="utf-8")
    doi = cff.get("doi")
    for ident in cff.get("identifiers") or []:
        if not doi and isinstance(ident, dict) and ident.get("type") == "doi":
            doi = ident.get("value")
    date = cff.get("date-released")
    return ProjectMeta(
        name=root.name if derived else slug(str(cff.get("title") or root.name)),
        version=str(cff.get("version") or "unversioned"),
        title=str(cff.get("title") or root.name),
        abstract=" ".join(str(cff.get("abstract") or "").split()),
        authors=tuple(a for a in cff.get("authors") or [] if isinstance(a, dict)),
        license=(cff.get("license") if isinstance(cff.get("license"), str) else None),
        date=None if date is None else str(date),
        doi=None if doi is None else str(doi),
        keywords=tuple(str(k) for k in cff.get("keywords") or []),
        cff_type=str(cff.get("type") or "software"),
        citation_text=text, derived=derived)


def author_name(author: dict) -> str:
    if author.get("name"):
        return str(author["name"])
    given, family = author.get("given-names", ""), author.get("family-names", "")
    return f"{family}, {given}".strip(", ")


def zenodo_json(meta: ProjectMeta) -> dict:
    """A Zenodo deposit description (the `.zenodo.json` of Zenodo's GitHub integration) made only
    from CITATION.cff: title, description, creators, version, date, licence, keywords, DOI."""
    creators = []
    for a in meta.authors:
        c = {"name": author_name(a)}
        if a.get("affiliation"):
            c["affiliation"] = str(a["affiliation"])
        if a.get("orcid"):
            c["orcid"] = str(a["orcid"]).rsplit("/", 1)[-1]
        creators.append(c)
    out: dict[str, Any] = {"title": meta.title, "upload_type": ZENODO_TYPES.get(meta.cff_type, "software"),
                           "creators": creators, "access_right": "open"}
    if meta.version != "unversioned":
        out["version"] = meta.version
    if meta.abstract:
        out["description"] = meta.abstract
    if meta.date:
        out["publication_date"] = meta.date
    if meta.license:
        out["license"] = meta.license.lower()
    if meta.keywords:
        out["keywords"] = list(meta.keywords)
    if meta.doi:
        out["doi"] = meta.doi
    return out


# -------------------------------------------------------------------------- data availability

def bibliography(path: Path) -> dict[str, dict[str, str]]:
    """key -> {field: value} of a BibTeX file (braces removed); {} when there is none."""
    if not path.is_file():
        return {}
    import bibtexparser

    lib = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    out = {}
    for e in lib.entries:
        fields = {f.key.lower(): " ".join(str(f.value).replace("{", "").replace("}", "").split()) for f in e.fields}
        fields["_type"] = e.entry_type.lower()
        out[e.key] = fields
    return out


def format_reference(key: str, f: dict[str, str]) -> str:
    """A plain-text reference built only from the fields the entry holds."""
    parts = []
    if f.get("author"):
        parts.append(f["author"].replace(" and ", "; "))
    if f.get("year"):
        parts.append(f"({f['year']})")
    if f.get("title"):
        parts.append(f"*{f['title']}*.")
    if f.get("journal") or f.get("booktitle"):
        vol = f.get("volume", "") + (f"({f['number']})" if f.get("number") else "")
        parts.append((f.get("journal") or f.get("booktitle")) + (f" {vol}" if vol else "")
                     + (f", {f['pages']}" if f.get("pages") else "") + ".")
    else:
        venue = f.get("howpublished") or f.get("school") or f.get("institution")
        if venue:
            parts.append(f"{venue}.")
    if f.get("publisher"):
        parts.append(f"{f['publisher']}.")
    if f.get("doi"):
        parts.append(f"https://doi.org/{f['doi']}")
    elif f.get("url"):
        parts.append(f["url"])
    return " ".join(parts) or key


def _csv_rows(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _cited_keys(cell: str, keys: set[str]) -> list[str] | None:
    tokens = [t for t in re.split(r"[;,\s]+", cell.strip()) if t]
    return tokens if tokens and all(t in keys for t in tokens) else None


def data_files(paths: Paths) -> list[dict[str, Any]]:
    """The data package's resources: path (relative to the project), title, rows, licences and
    which rows cite which bibliography key (columns whose every filled cell is a key)."""
    pkg = _json(paths.datapackage)
    keys = set(bibliography(paths.bib))
    base = paths.datapackage.parent
    out = []
    for res in pkg.get("resources", []):
        if not isinstance(res, dict) or not isinstance(res.get("path"), str):
            continue
        path = base / res["path"]
        rel = path.relative_to(paths.root).as_posix() if path.is_relative_to(paths.root) else res["path"]
        rows = _csv_rows(path) if path.suffix == ".csv" else []
        cites: dict[str, int] = {}
        if rows and keys:
            for col in rows[0]:
                filled = [r.get(col) or "" for r in rows if (r.get(col) or "").strip()]
                if filled and all(_cited_keys(v, keys) for v in filled):
                    for r in rows:
                        for k in set(_cited_keys(r.get(col) or "", keys) or []):
                            cites[k] = cites.get(k, 0) + 1
        out.append({"path": rel, "title": res.get("title") or res.get("name") or rel, "rows": len(rows),
                    "licenses": _licence_names(res.get("licenses")), "cites": cites})
    return out


def _licence_names(items: Any) -> list[str]:
    out = []
    for lic in items or []:
        if isinstance(lic, dict):
            name = lic.get("title") or lic.get("name") or lic.get("path")
            if lic.get("path") and name != lic.get("path"):
                name = f"{name} ({lic['path']})"
            if name:
                out.append(str(name))
    return out


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def data_sources(paths: Paths, files: list[str], datasets: list[dict[str, Any]] | None = None) -> list[Source]:
    """One record per source of the data: those the data package lists under `sources`, then the
    bibliography keys that data rows cite. Every statement comes from a project file; what no file
    records is said to be unrecorded."""
    pkg = _json(paths.datapackage)
    bib = bibliography(paths.bib)
    datasets = data_files(paths) if datasets is None else datasets
    listed = [s for s in pkg.get("sources", []) or [] if isinstance(s, dict)]
    cited = sorted({k for d in datasets for k in d["cites"]})
    seen = {s.get("bibkey") for s in listed}
    records = listed + [{"bibkey": k} for k in cited if k not in seen]
    out = []
    for s in records:
        key = s.get("bibkey")
        entry = bib.get(key, {}) if key else {}
        citation = format_reference(key, entry) if entry else str(s.get("title") or key or "untitled source")
        url = s.get("path") if isinstance(s.get("path"), str) and re.match(r"^https?://", s["path"]) else None
        url = url or (f"https://doi.org/{entry['doi']}" if entry.get("doi") else entry.get("url"))
        local = s.get("path") if isinstance(s.get("path"), str) and s["path"] in files else None
        terms = s.get("terms") or "; ".join(_licence_names(s.get("licenses"))) or entry.get("license") \
            or entry.get("copyright")
        out.append(Source(
            key=key, citation=citation,
            access=(f"at {url}" if url else "no URL or DOI is recorded in the data package or the bibliography")
            + (f"; {s['email']}" if s.get("email") else ""),
            terms=str(terms) if terms else "not recorded in the data package or the bibliography",
            rows={d["path"]: d["cites"][key] for d in datasets if key in d["cites"]},
            document=f"included as `{local}`" if local else "not included in this package",
            notes=([f"bibliography note: {entry['note']}"] if entry.get("note") else [])
            + ([f"bibliographic record incomplete: {entry['incomplete']}"] if entry.get("incomplete") else [])))
    return out


# ------------------------------------------------------------------------------------ run facts

def run_times(paths: Paths) -> tuple[dict[str, float], str]:
    """Seconds per job from the last runs on this machine (run facts, never the record): the last
    build's `_build/run.json`, completed by the last certificate's re-execution. Returns the times
    and a sentence saying where they come from ('' when there are none)."""
    times: dict[str, float] = {}
    said = []
    run = _json(paths.run_record)
    for job, sec in (run.get("executed") or {}).items():
        times[job] = float(sec)
    if times:
        said.append(f"the last build (`_build/run.json`, started {run.get('started', 'at an unrecorded time')})")
    cert = _json(paths.build / CERTIFICATE_FOLDER / "certificate.json")
    extra = {j["job"]: float(j["seconds"]) for j in cert.get("jobs", [])
             if isinstance(j, dict) and j.get("seconds") is not None and j.get("job") not in times}
    if extra:
        times.update(extra)
        started = cert.get("run", {}).get("started", "at an unrecorded time")
        said.append(f"the last certification's clean-room re-execution "
                    f"(`_build/{CERTIFICATE_FOLDER}/certificate.json`, {started})")
    return times, " and ".join(said)


# ------------------------------------------------------------------------------------ README

def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


@dataclass(frozen=True)
class _Ctx:
    """What the README sections share."""

    paths: Paths
    meta: ProjectMeta
    record: dict
    files: dict[str, bytes]
    times: dict[str, float]
    times_from: str
    env: dict
    datasets: list[dict[str, Any]]
    sources: list[Source]

    @property
    def jobs(self) -> dict:
        return self.record.get("jobs", {})

    @property
    def has_make(self) -> bool:
        return bool(re.search(rb"(?m)^certify:", self.files.get("Makefile", b"")))

    @property
    def certify_cmd(self) -> str:
        return "make certify" if self.has_make else "python -m reprobook certify"


def replication_readme(paths: Paths, meta: ProjectMeta, record: dict, files: dict[str, bytes],
                       times: tuple[dict[str, float], str], env: dict) -> str:
    """The package's README.md after the Social Science Data Editors' template: overview, data
    availability and provenance per source, dataset list, computational requirements (with run
    times per job), description of the code, instructions, list of tables and figures, references.
    `files` maps the package's paths to their bytes; `times` comes from `run_times`, `env` from
    `certify.environment`."""
    datasets = data_files(paths)
    ctx = _Ctx(paths, meta, record, files, times[0], times[1], env, datasets,
               data_sources(paths, list(files), datasets))
    sections = [_overview, _data_availability, _requirements, _programs, _instructions, _exhibits, _about]
    return "\n".join(line for section in sections for line in section(ctx)) + "\n"


def _overview(c: _Ctx) -> list[str]:
    arts, m = c.record.get("artifacts", []), c.meta
    L = [f"# Replication package: {m.title}", ""]
    if m.version != "unversioned":
        L += [f"Version {m.version}" + (f", released {m.date}" if m.date else "")
              + (f", DOI [{m.doi}](https://doi.org/{m.doi})" if m.doi else "") + ".", ""]
    L += ["## Overview", ""] + ([m.abstract, ""] if m.abstract else [])
    notebooks = {j.get("notebook") for j in c.jobs.values() if j.get("notebook")}
    n = {k: len({a["name"] for a in arts if a["kind"] == k}) for k in ("table", "figure", "value")}
    L += [f"The code in this replication package computes every table, figure and in-text value of the work from "
          f"the data in `data/`: {len(c.jobs)} job(s) declared in `pipeline.yml` run {len(notebooks)} parameterised "
          f"notebook(s) and write {n['table']} table(s), {n['figure']} figure(s) and {n['value']} in-text value(s) "
          "to `results/`, where `results/manifest.json` records each with its sha256, job, notebook, parameters and "
          f"inputs. One command, `{c.certify_cmd}`, checks this package against `SHA256SUMS`, "
          + ("installs the locked environment, " if c.has_make else "")
          + "re-executes everything in a clean room and writes a certificate with a verdict per result."]
    if c.times and all(j in c.times for j in c.jobs):
        L += ["", f"The jobs took {sum(c.times[j] for j in c.jobs):.0f} s together (measured; see Computational "
              "requirements), to which the installation of the environment adds its time."]
    return L + [""]


def _data_availability(c: _Ctx) -> list[str]:
    dp = c.paths.rel(c.paths.datapackage)
    lic = _licence_names(_json(c.paths.datapackage).get("licenses"))
    L = ["## Data Availability and Provenance Statements", "", "### Statement about rights and licence for data", ""]
    if lic:
        L += [f"The data package (`{dp}`) licenses the data files under: {'; '.join(lic)}."]
    elif c.datasets:
        L += [f"The data package (`{dp}`) records no licence for the data files."]
    if c.meta.license and not c.meta.derived:
        L += [f"`CITATION.cff` gives the licence `{c.meta.license}` for the work."]
    licence_files = [f for f in sorted(c.files) if "/" not in f and re.match(r"(?i)^(licen[cs]e|copying)", f)]
    if licence_files:
        L += [f"Terms in full: {', '.join(f'`{f}`' for f in licence_files)}."]
    L += ["", "### Summary of availability", ""]
    provided = [d for d in c.datasets if d["path"] in c.files]
    if c.datasets:
        share = f"All {len(c.datasets)}" if len(provided) == len(c.datasets) else f"{len(provided)} of {len(c.datasets)}"
        L += [share + f" data files listed in `{dp}` (each with a schema) are included in this package. Whether the "
              "documents they come from can be had, and on what terms, is stated per source below."]
    else:
        L += ["The project declares no data package; the files under `data/` are included as they are."]
    L += ["", "### Details on each data source", ""]
    if not c.sources:
        L += ["No source is recorded: the data package lists no `sources` and no data column holds bibliography "
              "keys.", ""]
    for s in c.sources:
        L += [f"#### `{s.key}`" if s.key else f"#### {s.citation}", ""]
        L += [f"- reference: {s.citation}"] if s.key else []
        L += [f"- access: {s.access}", f"- licence or terms: {s.terms}", f"- the source document: {s.document}",
              "- included from it: " + (", ".join(f"`{p}` ({n} row(s))" for p, n in sorted(s.rows.items()))
                                        or "no data row cites it")]
        L += [f"- {n}" for n in s.notes] + [""]
    if c.datasets:
        L += ["### Dataset list", "", "| data file | title | source(s) | rows | licence | provided |",
              "|---|---|---|---|---|---|"]
        for d in c.datasets:
            src = ", ".join(f"`{k}`" for k in sorted(d["cites"])) or "none recorded"
            terms = "; ".join(d["licenses"]) or "; ".join(lic) or "not recorded"
            provided = "yes" if d["path"] in c.files else "**no**"
            L += [f"| `{d['path']}` | {_md(d['title'])} | {src} | {d['rows']} | {_md(terms)} | {provided} |"]
        L += [""]
    return L


def _requirements(c: _Ctx) -> list[str]:
    L = ["## Computational requirements", "", "### Software requirements", ""]
    rec_env = c.record.get("environment", {})
    if rec_env.get("python"):
        L += [f"- Python {rec_env['python']} (the version that made the record in `results/manifest.json`)."]
    lock = c.paths.lockfile
    if lock.is_file():
        text = lock.read_text(encoding="utf-8")
        pins = re.findall(r"(?m)^([A-Za-z0-9][A-Za-z0-9._-]*)==", text)
        L += [f"- `{c.paths.rel(lock)}`: {len(pins)} Python packages pinned to exact versions"
              + (" with hashes" if "--hash=sha256:" in text else "")
              + (f"; `{c.certify_cmd}` (and `make setup`) install them into `.venv`" if c.has_make else "") + "."]
    key = {k: v for k, v in sorted((rec_env.get("packages") or {}).items()) if v}
    if key:
        L += ["- Key packages in the record: " + ", ".join(f"{k} {v}" for k, v in key.items()) + "."]
    if "engine/pyproject.toml" in c.files:
        L += [f"- The build engine, reprobook {engine_version()}, is included in `engine/` and installed from there."]
    if c.has_make:
        L += ["- GNU make and a POSIX shell; installing the packages needs access to the Python package index."]
    L += ["", "### Memory, runtime and storage requirements", ""]
    size = _size(sum(len(b) for b in c.files.values()))
    L += [f"- The package holds {len(set(c.files) | {README, CRATE, SUMS})} files, {size} unpacked"
          + (" (plus the environment that the lock installs into `.venv`)." if lock.is_file() else ".")]
    if not c.times:
        return L + ["- Run times: none measured on the machine that made this package (no `_build/run.json`). "
                    f"`{c.certify_cmd}` measures and reports them.", ""]
    env = c.env
    L += [f"- Run time per job, measured by {c.times_from} on {env['os']}, {env['cpu']} ({env['cores']} cores); "
          "each job runs in its own process, several at once where the cores allow:", "",
          "| job | notebook | run time |", "|---|---|---|"]
    for job in sorted(c.jobs):
        t = c.times.get(job)
        L += [f"| {job} | `{c.jobs[job].get('notebook', '')}` | {'not measured' if t is None else f'{t:.1f} s'} |"]
    return L + [""]


def _short(value: Any) -> str:
    """A parameter value for a table cell: long lists as their ends and their length."""
    if isinstance(value, list) and len(value) > 6:
        ends = ", ".join(json.dumps(v, ensure_ascii=False) for v in value[:2])
        return f"[{ends}, …, {json.dumps(value[-1], ensure_ascii=False)}] ({len(value)} values)"
    return json.dumps(value, ensure_ascii=False)


def _programs(c: _Ctx) -> list[str]:
    L = ["## Description of programs and code", "", "| job | notebook | parameters | inputs |", "|---|---|---|---|"]
    for job in sorted(c.jobs):
        j = c.jobs[job]
        params = ", ".join(f"{k}={_short(v)}" for k, v in sorted(job_parameters(j).items()))
        ins = ", ".join(f"`{i}`" for i in sorted(j.get("inputs") or {}))
        L += [f"| {job} | `{j.get('notebook', '')}` | {_md(params) or '(defaults)'} | {ins} |"]
    L += ["", "- `pipeline.yml` declares the jobs: notebook, parameters, inputs and outputs.",
          "- `notebooks/` holds the notebooks as text (jupytext percent format), executed with papermill."]
    if any(f.startswith("src/") for f in c.files):
        L += ["- `src/` holds the project's code that the notebooks import."]
    if any(f.startswith("book/") for f in c.files):
        L += ["- `book/` holds the text, which includes results and computes none."]
    if PROJECT_README in c.files:
        L += [f"- `{PROJECT_README}` is the project's own README."]
    return L + [""]


def _instructions(c: _Ctx) -> list[str]:
    top = f"{c.meta.name}-{c.meta.version}"
    L = ["## Instructions to replicators", "", "```", f"unzip {top}.zip && cd {top}",
         "sha256sum -c SHA256SUMS          # optional: certify checks it first", c.certify_cmd, "```", "",
         f"`{c.certify_cmd}` first checks every file against `SHA256SUMS` and stops, naming them, if any file was "
         "altered, added or is missing; then it "
         + ("installs the locked environment (`make setup`), " if c.has_make else
            "uses the Python environment it runs in (install reprobook and the project's dependencies first), ")
         + "copies the package into a temporary clean room without `results/` and caches, re-executes every job "
         "there (with the network switched off where the operating system allows) and compares each result with "
         "`results/manifest.json`: tables cell by cell (exactly, or within the tolerance `pipeline.yml` declares), "
         "figures and values by content. It writes `_build/certificate/certificate.html`, `.md` and `.json`: a "
         "verdict per table, figure and value (reproduced bit for bit, within tolerance, mismatch with the differing "
         "cells, or missing), the environment, and a self-assessment against the ACM artifact badges. It exits 0 "
         "only when every result is reproduced."]
    if c.has_make:
        L += ["", "Other commands: `make book` (rebuild results and the HTML book), `make verify` (re-execute and "
              "compare, no certificate), `make help` (all targets)."]
    return L + [""]


def _exhibits(c: _Ctx) -> list[str]:
    from . import readme

    L = ["## List of tables and programs", "",
         "Each exhibit, the notebook (and job) that makes it and its output file; `results/manifest.json` and "
         f"`{CRATE}` give every file's sha256.", "", readme.START, readme.results_list(c.paths), readme.END, ""]
    cited = [s for s in c.sources if s.key]
    if cited:
        L += ["## References", ""] + [f"- {s.citation}" for s in cited] + [""]
    return L


def _about(c: _Ctx) -> list[str]:
    L = ["## About this package", "",
         f"Made by reprobook {engine_version()} (`reprobook package`). `{ZENODO}` describes it for a Zenodo deposit, "
         f"`{CITATION}` says how to cite it, `{CRATE}` is its RO-Crate (Workflow Run Crate profile), `{SUMS}` holds "
         "the sha256 of every file."]
    if c.meta.derived:
        L += ["", "This project has no CITATION.cff of its own; the one here is derived from `_config.yml`."]
    return L


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def engine_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("reprobook")
    except metadata.PackageNotFoundError:
        from . import __version__

        return __version__


# ---------------------------------------------------------------------------------- RO-Crate

def ro_crate(paths: Paths, meta: ProjectMeta, record: dict, files: dict[str, bytes]) -> str:
    """`ro-crate-metadata.json` (RO-Crate 1.3; Process, Workflow and Provenance Run Crate 0.6), built
    with `rocrate`: pipeline.yml is the main ComputationalWorkflow with one HowToStep per job; each job
    run is a CreateAction whose instrument is its notebook, object its input files and parameter
    values (PropertyValue), result its output files and values; every file under results/ carries
    its sha256. Deterministic: no clock, no random identifiers."""
    from rocrate.model.computerlanguage import ComputerLanguage
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    spec_raw = _yaml(paths.spec).get("jobs") or {}
    arts = record.get("artifacts", [])
    jobs = record.get("jobs", {})
    crate = ROCrate()
    crate.metadata.extra_contexts.append(WFRUN_CONTEXT)
    root = crate.root_dataset
    root["datePublished"] = meta.date or time.strftime("%Y-%m-%d", time.gmtime(source_date_epoch(paths)))
    root["name"] = meta.title
    root["version"] = meta.version
    root["description"] = meta.abstract or f"Replication package of {meta.title}: data, code and results of record."
    if meta.license:
        root["license"] = crate.add(ContextEntity(crate, f"https://spdx.org/licenses/{meta.license}",
                                                  properties={"@type": "CreativeWork", "name": meta.license}))
    if meta.doi:
        root["identifier"] = f"https://doi.org/{meta.doi}"
    authors = []
    for i, a in enumerate(meta.authors, 1):
        ident = str(a["orcid"]) if a.get("orcid") else f"#author-{i}"
        kind = "Organization" if a.get("name") and not a.get("family-names") else "Person"
        authors.append(crate.add(ContextEntity(crate, ident, properties={"@type": kind, "name": author_name(a)})))
    if authors:
        root["author"] = authors

    def add_file(rel: str, types: list[str] | None = None, **props):
        existing = crate.get(rel)
        if existing is not None:
            return existing
        data = files.get(rel)
        p = {"name": rel.rsplit("/", 1)[-1]}
        if data is not None:
            p.update({"sha256": sha256_hex(data), "contentSize": str(len(data))})
        media = MEDIA_TYPES.get(Path(rel).suffix)
        if media:
            p["encodingFormat"] = media
        p.update(props)
        if types:
            p["@type"] = types
        return crate.add_file(dest_path=rel, properties=p)

    lang = crate.add(ComputerLanguage(crate, "#reprobook-pipeline", properties={
        "name": "reprobook pipeline specification", "alternateName": "pipeline.yml", "version": engine_version()}))
    workflow = crate.add_workflow(dest_path=paths.rel(paths.spec), main=True, lang=lang, properties={
        "@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow", "HowTo"],
        "name": f"{meta.title}: pipeline", "sha256": sha256_hex(files.get(paths.rel(paths.spec), b""))})
    profiles = [crate.get(p["@id"]) for p in root.get("conformsTo", [])] if isinstance(root.get("conformsTo"), list) \
        else [root["conformsTo"]] if root.get("conformsTo") else []
    for pid, name, version in PROFILES:
        profiles.append(crate.add(ContextEntity(crate, pid, properties={"@type": "CreativeWork", "name": name,
                                                                      "version": version})))
    root["conformsTo"] = sorted(profiles, key=lambda e: e.id)
    python = crate.add(ComputerLanguage(crate, "#python", properties={
        "name": "Python", "url": {"@id": "https://www.python.org/"},
        **({"version": record["environment"]["python"]} if record.get("environment", {}).get("python") else {})}))

    by_job: dict[str, list[dict]] = {}
    for a in arts:
        by_job.setdefault(a["job"], []).append(a)
    tools, steps, actions, controls, all_inputs = {}, [], [], [], {}
    for pos, job in enumerate(sorted(jobs)):
        j = jobs[job]
        nb_rel = j.get("notebook", "")
        tool = tools.get(nb_rel)
        if tool is None:
            tool = add_file(nb_rel, types=["File", "SoftwareSourceCode", "SoftwareApplication"],
                            programmingLanguage=python)
            tools[nb_rel] = tool
        formal = {}
        for pname, value in sorted(job_parameters(j).items()):
            fid = f"{nb_rel}#{pname}"
            fp = crate.get(fid) or crate.add_formal_parameter(
                name=pname, additionalType=_schema_type(value), identifier=fid)
            if fp not in (tool.get("input") or []):
                tool.append_to("input", fp)
            formal[pname] = fp
        step = crate.add(ContextEntity(crate, f"{paths.rel(paths.spec)}#{job}", properties={
            "@type": "HowToStep", "name": job, "position": str(pos), "workExample": tool}))
        desc = (spec_raw.get(job) or {}).get("description") if isinstance(spec_raw.get(job), dict) else None
        if desc:
            step["description"] = str(desc)
        steps.append(step)
        objects = []
        for rel in sorted(j.get("inputs") or {}):
            ent = add_file(rel)
            all_inputs[rel] = ent
            objects.append(ent)
        for pname, value in sorted(job_parameters(j).items()):
            objects.append(crate.add(ContextEntity(crate, f"#run-{job}/{pname}", properties={
                "@type": "PropertyValue", "name": pname, "value": json.dumps(value, ensure_ascii=False),
                "exampleOfWork": formal[pname]})))
        results = []
        for a in sorted(by_job.get(job, []), key=lambda a: a["path"]):
            if a["kind"] in ("value", "claim"):
                what = "in-text value" if a["kind"] == "value" else "claim"
                results.append(crate.add(ContextEntity(crate, a["path"], properties={
                    "@type": "PropertyValue", "name": a["name"], "sha256": a["sha256"],
                    "value": json.dumps(_value(files, a["name"], a["kind"]), ensure_ascii=False, sort_keys=True),
                    "description": f"{what} '{a['name']}' in results/{a['kind']}s.json"})))
            else:
                results.append(add_file(a["path"], additionalType=a["kind"], description=f"{a['kind']} '{a['name']}'"))
        action = crate.add_action(tool, identifier=f"#run-{job}", object=objects, result=results, properties={
            "name": f"Run of job {job} (notebook {nb_rel})"})
        actions.append(action)
        controls.append(crate.add(ContextEntity(crate, f"#control-{job}", properties={
            "@type": "ControlAction", "name": f"orchestrate {job}", "instrument": step, "object": action})))
    workflow["step"] = steps
    workflow["hasPart"] = sorted(tools.values(), key=lambda e: e.id)
    results_files = [add_file(rel) for rel in sorted(files) if rel.startswith("results/")]
    run = crate.add_action(workflow, identifier="#run-pipeline", object=[all_inputs[k] for k in sorted(all_inputs)],
                           result=results_files, properties={
                               "name": f"Run of {paths.rel(paths.spec)}: every job, recorded in results/manifest.json"})
    engine = crate.add(ContextEntity(crate, "#reprobook", properties={
        "@type": "SoftwareApplication", "name": "reprobook", "version": engine_version()}))
    crate.add(ContextEntity(crate, "#run-engine", properties={
        "@type": "OrganizeAction", "name": f"Run of reprobook {engine_version()}", "instrument": engine,
        "object": controls, "result": run}))
    root["mentions"] = [run]
    for rel in sorted(files):  # the rest of the package, so that the crate describes all of it
        if rel not in (CRATE, SUMS) and not rel.startswith("results/") and crate.get(rel) is None:
            add_file(rel)
    return json.dumps(crate.metadata.generate(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def job_parameters(job: dict) -> dict[str, Any]:
    """A manifest job's parameters, with a sweep's parameter holding the list of its points."""
    params = dict(job.get("parameters") or {})
    sweep = job.get("sweep")
    if isinstance(sweep, dict) and sweep.get("parameter"):
        params[sweep["parameter"]] = sweep.get("points")
    return params


def _schema_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "Text"
    return "PropertyValue"  # lists and mappings


def _value(files: dict[str, bytes], name: str, kind: str = "value") -> Any:
    """The entry of value (or claim) `name` in results/values.json (claims.json)."""
    try:
        return json.loads(files.get(f"results/{kind}s.json", b"{}")).get(name)
    except ValueError:
        return None


# ------------------------------------------------------------------------------------- build

def check_record(paths: Paths, files: list[str]) -> dict:
    """The record (results/manifest.json), after checking that every results file it names is in
    the package with the sha256 it records. Raises PackageError otherwise."""
    record = mf.read(paths.manifest)
    if not record.get("artifacts"):
        raise PackageError(f"{paths.rel(paths.manifest)} is missing or empty: there is no record to package; "
                           "run `make book` (reprobook build) and commit results/ first")
    fileset = set(files)
    problems = []
    for a in record["artifacts"]:
        rel = a["path"].split("#", 1)[0]
        if rel not in fileset:
            problems.append(f"{rel} is in the manifest but not among the files to pack"
                            + (" (not tracked by git: commit it)" if (paths.root / rel).is_file() else ""))
        elif a["kind"] not in ("value", "claim") and sha256_hex((paths.root / rel).read_bytes()) != a["sha256"]:
            problems.append(f"{rel} differs from its sha256 in the manifest")
    if problems:
        raise PackageError("the results do not match their record; run `make book` to restore them, then package "
                           "again:\n  " + "\n  ".join(problems))
    return record


def working_tree_dirty(root: Path) -> bool:
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True,
                             text=True, check=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError, OSError):
        return False
    return bool(out.strip())


def untracked_files(root: Path) -> list[str]:
    """Files git neither tracks nor ignores (left out of the package), or [] without git."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--others", "--exclude-standard"], cwd=root,
                             capture_output=True, check=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError, OSError):
        return []
    return sorted(f for f in out.decode("utf-8").split("\0") if f and not excluded(f))


def package_entries(paths: Paths) -> tuple[ProjectMeta, dict[str, bytes], set[str], list[str]]:
    """Everything the archive holds: (metadata, path -> bytes, executable paths, warnings)."""
    from .certify import environment, stale_jobs

    root = paths.root
    listed = project_files(root)
    record = check_record(paths, listed)
    meta = project_meta(root)
    warnings = []
    if working_tree_dirty(root):
        warnings.append("the working tree differs from the last commit; packed the working tree as it is")
    untracked = untracked_files(root)
    if untracked:
        warnings.append(f"{len(untracked)} untracked file(s) not packed (`git add` them to pack them): "
                        + ", ".join(untracked[:10]) + (", ..." if len(untracked) > 10 else ""))
    stale = stale_jobs(paths)  # the planner's view, through certify's one coupling point
    if stale:
        warnings.append(f"{len(stale)} job(s) stale, so the packed results may not follow from the packed inputs "
                        f"(`reprobook status` says why; `make book` brings them up to date): "
                        + ", ".join(s.split(":", 1)[0] for s in stale))
    entries = {rel: (root / rel).read_bytes() for rel in listed if rel not in GENERATED}
    executable = {rel for rel in entries if os.access(root / rel, os.X_OK)}
    if (root / README).is_file() and README in listed:
        entries[PROJECT_README] = (root / README).read_bytes()
    entries[CITATION] = meta.citation_text.encode("utf-8")
    entries[ZENODO] = (json.dumps(zenodo_json(meta), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    env = environment(paths)
    entries[README] = replication_readme(paths, meta, record, entries, run_times(paths), env).encode("utf-8")
    entries[CRATE] = ro_crate(paths, meta, record, entries).encode("utf-8")
    entries[SUMS] = sha256sums(entries).encode("utf-8")
    return meta, entries, executable, warnings


def build_package(paths: Paths, dest: Path | None = None) -> PackageResult:
    """Write the replication package (see the module docstring) and describe it. Raises PackageError
    when there is no record or the results differ from it; nothing is written then."""
    meta, entries, executable, warnings = package_entries(paths)
    top = f"{meta.name}-{meta.version}"
    dest = dest or paths.build / PACKAGE_FOLDER / f"{top}.zip"
    write_zip(dest, top, entries, executable, source_date_epoch(paths))
    data = dest.read_bytes()
    return PackageResult(path=dest, name=meta.name, version=meta.version, files=len(entries), bytes=len(data),
                         sha256=sha256_hex(data), warnings=warnings)


def unpack(archive: Path, dest: Path) -> Path:
    """Extract a package into `dest` and return its top folder (permissions from the archive)."""
    archive, dest = Path(archive), Path(dest)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(dest)
        tops = {n.split("/", 1)[0] for n in zf.namelist()}
        for info in zf.infolist():
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(dest / info.filename, mode)
    if len(tops) != 1:
        raise PackageError(f"{archive.name} holds {len(tops)} top folders; a replication package holds one")
    return dest / tops.pop()


def describe(result: PackageResult, paths: Paths) -> list[str]:
    """Lines for the CLI."""
    lines = [f"warning: {w}" for w in result.warnings]
    lines.append(f"package: {paths.rel(result.path) if result.path.is_relative_to(paths.root) else result.path} "
                 f"({result.files} files, {_size(result.bytes)}, sha256 {result.sha256[:16]})")
    make = paths.root / "Makefile"
    cmd = "make certify" if make.is_file() and re.search(r"(?m)^certify:", make.read_text(encoding="utf-8")) \
        else "python -m reprobook certify"
    lines.append(f"  unzip it elsewhere, then run `{cmd}` in {result.name}-{result.version}/")
    return lines


__all__ = ["build_package", "project_files", "project_meta", "zenodo_json", "ro_crate", "replication_readme",
           "data_sources", "data_files", "sha256sums", "unpack", "describe", "PackageResult", "ProjectMeta"]
