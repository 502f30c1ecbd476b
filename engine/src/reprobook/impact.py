"""What a change of the data did to the book: the impact report's content, computed, not printed.

`impact(paths, ref)` compares the working tree with a git revision `ref` and returns an `Impact`:
the data rows that changed (by primary key, old and new values), the jobs they fed, the tables,
figures and values of results/ that moved and the pages using them, every passage of the book
that shows a moved value (with the old and the new numbers), the claims whose truth changed, and
one line per chapter. `reprobook.impactreport` writes it as Markdown and HTML.
"""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import compare, datadiff, manifest as mf, prose, spec
from .errors import ReprobookError
from .paths import Paths
from .usage import result_usage


# --- the old version, from git -------------------------------------------------------------------

class NotInGit(ReprobookError):
    """The project is not in a git repository, or the repository has no commit yet."""


def resolve(root: Path, ref: str) -> str:
    """The commit `ref` names. Raises ReprobookError when git is not installed, the project is not
    in a git repository or the repository has no commit yet (each with what to run), when git
    fails otherwise (its own message, e.g. "detected dubious ownership"), or when `ref` is not a
    revision of the repository."""
    import os

    english = {**os.environ, "LC_ALL": "C", "LANGUAGE": "C"}  # its messages, read below, in one language
    try:
        inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, text=True,
                                env=english)
    except FileNotFoundError:
        raise ReprobookError("git is not installed: the impact report compares the working tree with a git "
                             "commit; install git and commit the project") from None
    if inside.returncode != 0:
        said = inside.stderr.strip().removeprefix("fatal: ")
        if "not a git repository" in said:
            raise NotInGit(f"{root} is not in a git repository: the impact report compares the working tree "
                           "with a commit of the project. Commit it once (git init && git add -A && git commit "
                           "-m 'the record'); after the next data edit, `reprobook diff` shows what moved")
        raise ReprobookError(f"git cannot read the repository of {root}: {said}")
    if inside.stdout.strip() != "true":
        raise ReprobookError(f"{root} is inside a git repository's own folder, not its working tree")
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=root,
                          capture_output=True, text=True)
    if proc.returncode == 0:
        return proc.stdout.strip()
    head = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=root, capture_output=True, text=True)
    if head.returncode != 0:
        raise NotInGit("the git repository has no commit yet: the impact report compares the working tree "
                       "with one. Commit the project (git add -A && git commit -m 'the record'), then edit "
                       "and run `reprobook diff`")
    raise ReprobookError(f"'{ref}' is not a git revision of this repository; give a commit, branch or tag "
                         "(e.g. make diff REF=HEAD~1)")


class Revision:
    """Files of one commit, read through a single `git cat-file --batch` process."""

    def __init__(self, root: Path, sha: str):
        self.root, self.sha = root, sha
        self._cache: dict[str, bytes | None] = {}
        self._proc: subprocess.Popen | None = None
        prefix = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=root, capture_output=True, text=True)
        self.prefix = prefix.stdout.strip() if prefix.returncode == 0 else ""  # the project inside a larger repository

    def read(self, rel: str) -> bytes | None:
        """The bytes of project-relative `rel` at this commit (None when it did not exist)."""
        if rel in self._cache:
            return self._cache[rel]
        if self._proc is None:
            self._proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.root, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE)
        assert self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(f"{self.sha}:{self.prefix}{rel}\n".encode())
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().decode().split()
        data = None
        if len(header) == 3 and header[1] == "blob":
            data = self._proc.stdout.read(int(header[2]))
            self._proc.stdout.read(1)  # the newline after the content
        elif len(header) == 3:
            self._proc.stdout.read(int(header[2]) + 1)
        self._cache[rel] = data
        return data

    def text(self, rel: str) -> str | None:
        data = self.read(rel)
        return None if data is None else data.decode("utf-8", errors="replace")

    def json(self, rel: str) -> dict[str, Any]:
        try:
            return json.loads(self.text(rel) or "{}")
        except json.JSONDecodeError:
            return {}

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.stdin:
                self._proc.stdin.close()
            self._proc.wait()
            self._proc = None


# --- what the report holds -----------------------------------------------------------------------

@dataclass
class DataFileChange:
    """A data file that differs from the revision: rows by primary key (when it is tabular), the
    jobs that read it, the jobs downstream of those, and which values each changed row fed
    directly (as the notebooks recorded with ``rows=``)."""

    path: str
    state: str  # changed | added | removed
    rows: datadiff.RowsDiff | None
    jobs: list[str]
    downstream: list[str]
    values_fed: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    note: str = ""


@dataclass
class TableChange:
    name: str
    state: str  # changed | added | removed
    diff: compare.TableDiff | None
    pages: list[str]


@dataclass
class FigureChange:
    name: str
    state: str  # changed | added | removed
    pages: list[str]
    caption: str
    before: bytes | None  # the SVG at the revision
    after: bytes | None  # the SVG in results/ now


@dataclass
class ValueChange:
    name: str
    old: Any  # as a report shows it (display, with facets when those moved); None when absent
    new: Any
    pages: list[str]


@dataclass
class PassageChange:
    """A passage of the book that shows a moved value, as it reads with the old and the new values."""

    page: str
    line: int
    where: str
    before: list[tuple[str, str | None]]  # prose.segments
    after: list[tuple[str, str | None]]
    moved: tuple[str, ...]  # the values in it that moved


@dataclass
class ClaimChange:
    name: str
    before: bool | None  # holds at the revision (None: not stated then)
    after: bool | None
    statement: str
    pages: list[str]


@dataclass
class Chapter:
    page: str
    title: str
    summary: str
    moved: bool


@dataclass
class Impact:
    ref: str
    sha: str
    data: list[DataFileChange] = field(default_factory=list)
    tables: list[TableChange] = field(default_factory=list)
    figures: list[FigureChange] = field(default_factory=list)
    values: list[ValueChange] = field(default_factory=list)
    passages: list[PassageChange] = field(default_factory=list)
    claims: list[ClaimChange] = field(default_factory=list)
    chapters: list[Chapter] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # jobs whose results do not yet follow the working tree

    @property
    def n_results(self) -> int:
        return len(self.tables) + len(self.figures) + len(self.values)


# --- computing it ----------------------------------------------------------------------------------

def _pipeline(root: Path):
    try:
        return spec.load(root)
    except ReprobookError:
        return None


def _book_pages(paths: Paths) -> list[Path]:
    from .bookinputs import load_yaml, pages

    try:
        return [p for p in pages(paths, load_yaml(paths.toc), load_yaml(paths.config)) if p.suffix == ".md"]
    except (ReprobookError, OSError):
        return sorted(paths.book.rglob("*.md")) if paths.book.is_dir() else []


def _title(text: str, fallback: str) -> str:
    m = re.search(r"^#\s+(.+)$", text, re.M)
    return m.group(1).strip() if m else fallback


def _downstream(pipeline, jobs: list[str]) -> list[str]:
    """Jobs that read (transitively) the outputs of `jobs`."""
    if pipeline is None:
        return []
    producer = pipeline.producer_of()
    found: list[str] = []
    frontier = set(jobs)
    while frontier:
        nxt = set()
        for job in pipeline.jobs:
            if job.name in jobs or job.name in found:
                continue
            if any(producer.get(rel) in frontier for rel in job.inputs):
                found.append(job.name)
                nxt.add(job.name)
        frontier = nxt
    return found


def data_changes(paths: Paths, old: Revision, pipeline, new_arts: dict[str, dict]) -> list[DataFileChange]:
    """Data files (job inputs that no job produces, and the data package's files) that differ
    from the revision."""
    root = paths.root
    producer = pipeline.producer_of() if pipeline is not None else {}
    keys = datadiff.primary_keys(paths.datapackage, root)
    files = set(keys)
    if pipeline is not None:
        files |= {rel for job in pipeline.jobs for rel in job.inputs if rel not in producer}
    out = []
    for rel in sorted(files):
        before = old.read(rel)
        now = (root / rel).read_bytes() if (root / rel).is_file() else None
        if before is None and now is None:
            continue
        a, b = datadiff.text_of(before), datadiff.text_of(now)
        if (a is not None and a == b) or (a is None and b is None and before == now):
            continue
        state = "added" if before is None else "removed" if now is None else "changed"
        jobs = sorted(j.name for j in pipeline.jobs if rel in j.inputs) if pipeline is not None else []
        change = DataFileChange(rel, state, None, jobs, _downstream(pipeline, jobs))
        if state == "changed" and rel.endswith(".csv") and a is not None and b is not None:
            change.rows = datadiff.diff_rows(a, b, keys.get(rel, []))
            pk = change.rows.primary_key
            fed: dict[tuple[str, ...], list[str]] = {}
            for art in new_arts.values():
                if art.get("kind") != "value" or not art.get("rows"):
                    continue
                for k in (datadiff.key_tuple(r) for r in change.rows.rows):
                    if k in _row_keys(art["rows"], rel, pk):
                        fed.setdefault(k, []).append(art["name"])
            change.values_fed = fed
            if not change.rows.rows and not (change.rows.columns_added or change.rows.columns_removed):
                change.note = "only its layout changed (quoting, order of rows or line ends); no value differs"
        elif state == "changed":
            change.note = "not a CSV table: compared as a whole"
        out.append(change)
    return out


def _row_keys(rows: dict, rel: str, pk: list[str]) -> set[tuple[str, ...]]:
    from .provenance import row_keys

    return row_keys(rows, rel, pk)


def impact(paths: Paths, ref: str = "HEAD", *, with_status: bool = True) -> Impact:
    """The impact of the working tree's changes since git revision `ref` (see the module docstring).
    Raises ReprobookError when `ref` is not a revision."""
    root = paths.root
    sha = resolve(root, ref)
    old = Revision(root, sha)
    try:
        return _impact(paths, ref, sha, old, with_status)
    finally:
        old.close()


def _impact(paths: Paths, ref: str, sha: str, old: Revision, with_status: bool) -> Impact:
    root = paths.root
    pipeline = _pipeline(root)
    old_manifest, new_manifest = old.json("results/manifest.json"), mf.read(paths.manifest)
    old_arts, new_arts = mf.artifacts_by_path(old_manifest), mf.artifacts_by_path(new_manifest)
    usage = result_usage(paths.book, root)
    pages_of = lambda key: usage.get(key, [])  # noqa: E731
    old_values = old.json("results/values.json")
    new_values = _read_json(paths.values)
    result = Impact(ref, sha)
    result.data = data_changes(paths, old, pipeline, {**old_arts, **new_arts})

    for rel in sorted(p for p in set(old_arts) | set(new_arts) if p.startswith("results/tables/")):
        name = Path(rel).stem
        a = old.text(rel)
        b = (root / rel).read_text(encoding="utf-8") if (root / rel).is_file() else None
        if a == b:
            continue
        if a is None or b is None:
            result.tables.append(TableChange(name, "added" if a is None else "removed", None, pages_of(f"table:{name}")))
            continue
        key, tol = (), 0.0
        if pipeline is not None:
            try:
                key = pipeline.table(name)[1].key
            except KeyError:
                pass
        d = compare.diff_tables(a, b, key, tol)
        if not d.identical:
            result.tables.append(TableChange(name, "changed", d, pages_of(f"table:{name}")))

    from .usage import captions

    caps = captions(paths.book) if paths.book.is_dir() else {}
    for name in sorted({Path(p).stem for p in set(old_arts) | set(new_arts) if p.startswith("results/figures/")}):
        rel = f"results/figures/{name}.svg"
        a, b = old_arts.get(rel, {}).get("sha256"), new_arts.get(rel, {}).get("sha256")
        if a == b:
            continue
        state = "added" if a is None else "removed" if b is None else "changed"
        now = (root / rel).read_bytes() if (root / rel).is_file() else None
        caption = prose.render_sentence(caps.get(f"figure:{name}", ""), new_values)
        result.figures.append(FigureChange(name, state, pages_of(f"figure:{name}"), caption, old.read(rel), now))

    moved = set()
    for name, a, b in compare.diff_values(old_values, new_values):
        moved.add(name)
        result.values.append(ValueChange(name, a, b, pages_of(f"value:{name}")))

    old_claims, new_claims = old.json("results/claims.json"), _read_json(paths.results / "claims.json")
    claim_pages: dict[str, list[str]] = {}
    chapters_text: list[tuple[Path, str]] = []
    for page in _book_pages(paths):
        try:
            text = page.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        rel = page.relative_to(root).as_posix()
        chapters_text.append((page, text))
        for c in prose.CLAIM_ROLE.findall(text):
            claim_pages.setdefault(c.strip(), [])
            if rel not in claim_pages[c.strip()]:
                claim_pages[c.strip()].append(rel)
        for p in prose.passages(text):
            hit = tuple(n for n in p.values if n in moved)
            if not hit:
                continue
            before, after = prose.segments(p.text, old_values), prose.segments(p.text, new_values)
            if before != after:  # it shows a number that moved, not only what a moved value is about
                result.passages.append(PassageChange(rel, p.line, p.where, before, after, hit))
    for name in sorted(set(old_claims) | set(new_claims)):
        a, b = old_claims.get(name), new_claims.get(name)
        ha = None if a is None else a.get("holds") is True
        hb = None if b is None else b.get("holds") is True
        if ha != hb:
            result.claims.append(ClaimChange(name, ha, hb, (b or a or {}).get("statement", ""),
                                             claim_pages.get(name, [])))

    result.chapters = [_chapter(root, page, text, result) for page, text in chapters_text]
    if with_status:
        result.stale = _stale_jobs(paths)
    return result


def _chapter(root: Path, page: Path, text: str, result: Impact) -> Chapter:
    rel = page.relative_to(root).as_posix()
    values = [v.name for v in result.values if rel in v.pages]
    tables = [t.name for t in result.tables if rel in t.pages]
    figures = [f.name for f in result.figures if rel in f.pages]
    passages = [p for p in result.passages if p.page == rel]
    claims = [c.name for c in result.claims if rel in c.pages]
    parts = []
    for n, what in ((len(values), "value"), (len(tables), "table"), (len(figures), "figure")):
        if n:
            parts.append(f"{n} {what}{'s' if n != 1 else ''}")
    if parts:
        summary = (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + " moved"
        if passages:
            summary += f"; {len(passages)} passage{'s' if len(passages) != 1 else ''} to re-read"
        if claims:
            summary += f"; claim(s) changed: {', '.join(claims)}"
    else:
        summary = "nothing moved" + (f"; claim(s) changed: {', '.join(claims)}" if claims else "")
    return Chapter(rel, _title(text, rel), summary, bool(parts or claims))


def _stale_jobs(paths: Paths) -> list[str]:
    """Jobs whose outputs in results/ do not follow the working tree ([] if that cannot be told)."""
    try:
        from .build import status

        return [jp.job.name for jp in status(paths).stale_jobs]
    except (ReprobookError, OSError):
        return []


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
