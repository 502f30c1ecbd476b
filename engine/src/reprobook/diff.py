"""`diff [REF]`: what changed in results/ since a git revision, cell by cell, and where the book uses it."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from . import compare, manifest as mf, spec
from .errors import ReprobookError
from .paths import Paths
from .usage import result_usage


def git_show(root: Path, ref: str, rel: str) -> str | None:
    proc = subprocess.run(["git", "show", f"{ref}:{rel}"], cwd=root, capture_output=True)
    return proc.stdout.decode("utf-8") if proc.returncode == 0 else None


def resolve(root: Path, ref: str) -> str:
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=root,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise ReprobookError(f"'{ref}' is not a git revision of this repository; give a commit, branch or tag "
                             "(e.g. make diff REF=HEAD~1)")
    return proc.stdout.strip()


def main(paths: Paths, ref: str = "HEAD") -> int:
    root = paths.root
    sha = resolve(root, ref)
    old_manifest = json.loads(git_show(root, sha, "results/manifest.json") or "{}")
    new_manifest = mf.read(paths.manifest)
    old_arts, new_arts = mf.artifacts_by_path(old_manifest), mf.artifacts_by_path(new_manifest)
    try:
        pipeline = spec.load(root)
    except ReprobookError:
        pipeline = None
    usage = result_usage(paths.book, root)
    old_values = json.loads(git_show(root, sha, "results/values.json") or "{}")
    new_values = json.loads((paths.results / "values.json").read_text(encoding="utf-8")) if (paths.results / "values.json").is_file() else {}

    md = [f"# Results diff: working tree vs {ref} ({sha[:10]})", ""]
    term: list[str] = []
    n_changes = 0

    def pages(key: str) -> str:
        p = usage.get(key)
        return ", ".join(p) if p else "not used in the book"

    table_paths = sorted(p for p in set(old_arts) | set(new_arts) if p.startswith("results/tables/"))
    for rel in table_paths:
        name = Path(rel).stem
        old = git_show(root, sha, rel)
        new = (root / rel).read_text(encoding="utf-8") if (root / rel).is_file() else None
        if old == new:
            continue
        n_changes += 1
        where = pages(f"table:{name}")
        if old is None or new is None:
            what = "added" if old is None else "removed"
            md += [f"## Table `{name}` {what}", "", f"Used on: {where}", ""]
            term.append(f"table {name}: {what} (used on: {where})")
            continue
        key, tol = (), 0.0
        if pipeline is not None:
            try:
                _, t = pipeline.table(name)
                key = t.key
            except KeyError:
                pass
        d = compare.diff_tables(old, new, key, tol)
        md += [f"## Table `{name}`", "", f"Used on: {where}", ""]
        if d.changed:
            md += ["| row | column | old | new |", "|---|---|---|---|"]
            md += [f"| {c.row} | {c.column} | {c.old} | {c.new} |" for c in d.changed] + [""]
        md += [f"- row added: {r}" for r in d.added_rows] + [f"- row removed: {r}" for r in d.removed_rows]
        md += [f"- column added: {c}" for c in d.added_columns] + [f"- column removed: {c}" for c in d.removed_columns] + [""]
        term.append(f"table {name}: {len(d.changed)} cell(s) changed, {len(d.added_rows)} row(s) added, "
                    f"{len(d.removed_rows)} removed (used on: {where})")
        term += [f"    {line}" for line in compare.describe(d, limit=8)]
    figs = sorted({Path(p).stem for p in set(old_arts) | set(new_arts) if p.startswith("results/figures/")})
    fig_lines = []
    for name in figs:
        a = old_arts.get(f"results/figures/{name}.svg", {}).get("sha256")
        b = new_arts.get(f"results/figures/{name}.svg", {}).get("sha256")
        if a != b:
            n_changes += 1
            state = "added" if a is None else "removed" if b is None else "changed"
            fig_lines.append(f"- figure `{name}` {state} (used on: {pages(f'figure:{name}')})")
            term.append(f"figure {name}: {state} (used on: {pages(f'figure:{name}')})")
    if fig_lines:
        md += ["## Figures", ""] + fig_lines + [""]
    vchanges = compare.diff_values(old_values, new_values)
    if vchanges:
        md += ["## In-text values", "", "| value | old | new | used on |", "|---|---|---|---|"]
        for name, a, b in vchanges:
            n_changes += 1
            md.append(f"| `{name}` | {a} | {b} | {pages(f'value:{name}')} |")
            term.append(f"value {name}: {a} -> {b} (used on: {pages(f'value:{name}')})")
        md.append("")
    if n_changes == 0:
        md.append("No table, figure or value changed.")
    out = paths.build / "diff" / "report.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(md) + "\n", encoding="utf-8")
    print(f"results diff against {ref} ({sha[:10]}): {n_changes} artifact(s) changed")
    for line in term:
        print(f"  {line}")
    print(f"report: {paths.rel(out)}")
    return 0
