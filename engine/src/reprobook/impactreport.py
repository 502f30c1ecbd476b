"""The impact report written: `_build/diff/report.md`, `report.html` and the figures before and after.

Takes an `Impact` (reprobook.impact) and writes it; decides nothing. The HTML report is one
self-standing page that shows each changed figure before and after side by side (the SVGs are
written next to it, under figures/), and each passage of the book that shows a moved value as it
read before and as it reads now, the moved numbers marked.
"""
from __future__ import annotations

import html
from pathlib import Path

from .datadiff import key_tuple
from .impact import Impact, PassageChange
from .paths import Paths

MAX_ROWS = 50  # data rows and table cells listed per file in the report


def _pages(pages: list[str]) -> str:
    return ", ".join(dict.fromkeys(pages)) if pages else "not used in the book"


def _holds(h: bool | None) -> str:
    return "not stated" if h is None else "holds" if h else "does not hold"


def summary_line(imp: Impact) -> str:
    """One line: how much changed (results that are new at this revision, as after a first build,
    are counted among those that moved and named as new)."""
    rows = sum(len(d.rows.rows) for d in imp.data if d.rows is not None)
    new = (sum(t.state == "added" for t in imp.tables) + sum(f.state == "added" for f in imp.figures)
           + sum(v.old is None for v in imp.values))
    parts = [f"{len(imp.data)} data file(s) changed ({rows} row(s))",
             f"{len(imp.tables)} table(s), {len(imp.figures)} figure(s) and {len(imp.values)} value(s) moved"
             + (f", {new} of them new" if new else ""),
             f"{len(imp.passages)} passage(s) of the book show moved values",
             f"{len(imp.claims)} claim(s) changed truth"]
    return "; ".join(parts)


def _changed(p: PassageChange) -> list[bool]:
    """Which pieces of a passage read differently after than before (the numbers that moved)."""
    if len(p.before) != len(p.after):
        return [name is not None for _, name in p.after]
    return [name is not None and a[0] != b[0] for a, b, name in
            ((x, y, y[1]) for x, y in zip(p.before, p.after))]


def _segments_md(segs, changed: list[bool]) -> str:
    return "".join(f"**{t}**" if i < len(changed) and changed[i] else t for i, (t, _) in enumerate(segs))


def _segments_html(segs, changed: list[bool], cls: str) -> str:
    return "".join(f'<mark class="{cls}">{html.escape(t)}</mark>' if i < len(changed) and changed[i]
                   else html.escape(t) for i, (t, _) in enumerate(segs))


def _figure_files(imp: Impact, folder: Path) -> dict[str, tuple[str | None, str | None]]:
    """Write each changed figure's SVG before and after into `folder`; name -> relative paths."""
    out = {}
    if folder.exists():
        for old in folder.glob("*.svg"):
            old.unlink()
    for f in imp.figures:
        names = []
        for label, data in (("before", f.before), ("after", f.after)):
            if data is None:
                names.append(None)
                continue
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{f.name}.{label}.svg").write_bytes(data)
            names.append(f"{folder.name}/{f.name}.{label}.svg")
        out[f.name] = (names[0], names[1])
    return out


def render_markdown(imp: Impact, figures: dict[str, tuple[str | None, str | None]]) -> str:
    md = [f"# Impact report: working tree vs {imp.ref} ({imp.sha[:10]})", "", summary_line(imp) + ".", ""]
    if imp.stale:
        md += [f"**results/ does not yet follow the working tree**: {len(imp.stale)} job(s) would run "
               f"({', '.join(imp.stale)}); run `make book`, then this report again.", ""]
    md += ["## Chapters", ""]
    md += [f"- {c.title} (`{c.page}`): {c.summary}" for c in imp.chapters] or ["- (no book pages)"]
    md.append("")
    if imp.data:
        md += ["## Data rows that changed", ""]
        for d in imp.data:
            pk = ", ".join(d.rows.primary_key) if d.rows else ""
            md.append(f"### `{d.path}` ({d.state}" + (f"; primary key: {pk}" if pk else "") + ")")
            md.append("")
            fed = ", ".join(d.jobs) or "no job"
            md.append(f"Read by: {fed}" + (f"; then, through their results: {', '.join(d.downstream)}"
                                           if d.downstream else "") + ".")
            md.append("")
            if d.note:
                md += [d.note, ""]
            if d.rows is not None and d.rows.rows:
                md += [f"| row ({pk}) | change | column | old | new | values it fed directly |",
                       "|---|---|---|---|---|---|"]
                for r in d.rows.rows[:MAX_ROWS]:
                    fed_values = ", ".join(f"`{v}`" for v in d.values_fed.get(key_tuple(r), []))
                    cells = r.cells if r.change == "changed" else r.cells[:1]
                    for i, (col, a, b) in enumerate(cells):
                        shown = (col, a, b) if r.change == "changed" else ("(all)", "" if r.change == "added" else "row",
                                                                           "row" if r.change == "added" else "")
                        md.append(f"| {r.key_text if i == 0 else ''} | {r.change if i == 0 else ''} | {shown[0]} | "
                                  f"{shown[1]} | {shown[2]} | {fed_values if i == 0 else ''} |")
                if len(d.rows.rows) > MAX_ROWS:
                    md.append(f"\n... and {len(d.rows.rows) - MAX_ROWS} more rows")
                md.append("")
            if d.rows is not None:
                md += [f"- column added: {c}" for c in d.rows.columns_added]
                md += [f"- column removed: {c}" for c in d.rows.columns_removed]
    if imp.claims:
        md += ["## Claims whose truth changed", ""]
        md += [f"- `{c.name}`: {_holds(c.before)} -> **{_holds(c.after)}**: {c.statement} "
               f"(cited on: {_pages(c.pages)})" for c in imp.claims]
        md.append("")
    if imp.passages:
        md += ["## Passages of the book that show moved values", ""]
        for p in imp.passages:
            where = f", {p.where}" if p.where else ""
            changed = _changed(p)
            md += [f"`{p.page}`, line {p.line}{where} (moved: {', '.join(f'`{n}`' for n in p.moved)})", "",
                   f"- before: {_segments_md(p.before, changed)}", f"- after: {_segments_md(p.after, changed)}", ""]
    if imp.figures:
        md += ["## Figures", ""]
        for f in imp.figures:
            before, after = figures.get(f.name, (None, None))
            links = ", ".join(f"[{label}]({path})" for label, path in (("before", before), ("after", after)) if path)
            md.append(f"- figure `{f.name}` {f.state} (used on: {_pages(f.pages)})" + (f": {links}" if links else ""))
        md.append("")
    if imp.values:
        md += ["## In-text values", "", "| value | old | new | used on |", "|---|---|---|---|"]
        md += [f"| `{v.name}` | {v.old} | {v.new} | {_pages(v.pages)} |" for v in imp.values]
        md.append("")
    for t in imp.tables:
        md += [f"## Table `{t.name}`" + ("" if t.state == "changed" else f" {t.state}"), "",
               f"Used on: {_pages(t.pages)}", ""]
        if t.diff is None:
            continue
        if t.diff.changed:
            md += ["| row | column | old | new |", "|---|---|---|---|"]
            md += [f"| {c.row} | {c.column} | {c.old} | {c.new} |" for c in t.diff.changed[:MAX_ROWS]] + [""]
        md += [f"- row added: {r}" for r in t.diff.added_rows] + [f"- row removed: {r}" for r in t.diff.removed_rows]
        md += [f"- column added: {c}" for c in t.diff.added_columns]
        md += [f"- column removed: {c}" for c in t.diff.removed_columns] + [""]
    if not (imp.data or imp.n_results or imp.claims):
        md.append("No data file, table, figure, value or claim changed.")
    return "\n".join(md) + "\n"


CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;line-height:1.45;color:#1f2328}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f6f8fa}code{font-size:.9em}mark.old{background:#ffebe9}mark.new{background:#dafbe1}
.pair{display:flex;gap:1em;flex-wrap:wrap}.pair figure{flex:1 1 30em;margin:0;border:1px solid #d0d7de;padding:.5em}
.pair img{width:100%;height:auto}.passage{border-left:3px solid #d0d7de;padding-left:1em;margin:1em 0}
.passage p{margin:.3em 0}.lost{color:#b00020;font-weight:bold}.moved{font-weight:600}.quiet{color:#57606a}"""


def _e(text: object) -> str:
    return html.escape(str(text))


def render_html(imp: Impact, figures: dict[str, tuple[str | None, str | None]]) -> str:
    h = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Impact report</title>"
         f"<style>{CSS}</style></head><body>",
         f"<h1>Impact report: working tree vs {_e(imp.ref)} ({_e(imp.sha[:10])})</h1>",
         f"<p>{_e(summary_line(imp))}.</p>"]
    if imp.stale:
        h.append(f"<p class=\"lost\">results/ does not yet follow the working tree: {len(imp.stale)} job(s) would "
                 f"run ({_e(', '.join(imp.stale))}); run <code>make book</code>, then this report again.</p>")
    h.append("<h2 id=\"chapters\">Chapters</h2><ul>")
    for c in imp.chapters:
        cls = "moved" if c.moved else "quiet"
        h.append(f"<li class=\"{cls}\">{_e(c.title)} (<code>{_e(c.page)}</code>): {_e(c.summary)}</li>")
    h.append("</ul>")
    if imp.data:
        h.append("<h2 id=\"data\">Data rows that changed</h2>")
        for d in imp.data:
            pk = ", ".join(d.rows.primary_key) if d.rows else ""
            h.append(f"<h3><code>{_e(d.path)}</code> ({_e(d.state)}{'; primary key: ' + _e(pk) if pk else ''})</h3>")
            h.append(f"<p>Read by: {_e(', '.join(d.jobs) or 'no job')}"
                     + (f"; then, through their results: {_e(', '.join(d.downstream))}" if d.downstream else "")
                     + ".</p>")
            if d.note:
                h.append(f"<p>{_e(d.note)}</p>")
            if d.rows is not None and d.rows.rows:
                h.append(f"<table><tr><th>row ({_e(pk)})</th><th>change</th><th>column</th><th>old</th><th>new</th>"
                         "<th>values it fed directly</th></tr>")
                for r in d.rows.rows[:MAX_ROWS]:
                    fed = ", ".join(f"<code>{_e(v)}</code>" for v in d.values_fed.get(key_tuple(r), []))
                    if r.change == "changed":
                        for i, (col, a, b) in enumerate(r.cells):
                            head = (f"<td rowspan=\"{len(r.cells)}\">{_e(r.key_text)}</td>"
                                    f"<td rowspan=\"{len(r.cells)}\">changed</td>") if i == 0 else ""
                            tail = f"<td rowspan=\"{len(r.cells)}\">{fed}</td>" if i == 0 else ""
                            h.append(f"<tr>{head}<td>{_e(col)}</td><td><mark class=\"old\">{_e(a)}</mark></td>"
                                     f"<td><mark class=\"new\">{_e(b)}</mark></td>{tail}</tr>")
                    else:
                        cells = "; ".join(f"{c} = {b if r.change == 'added' else a}" for c, a, b in r.cells)
                        h.append(f"<tr><td>{_e(r.key_text)}</td><td>{_e(r.change)}</td><td colspan=\"3\">{_e(cells)}"
                                 f"</td><td>{fed}</td></tr>")
                h.append("</table>")
                if len(d.rows.rows) > MAX_ROWS:
                    h.append(f"<p>... and {len(d.rows.rows) - MAX_ROWS} more rows</p>")
    if imp.claims:
        h.append("<h2 id=\"claims\">Claims whose truth changed</h2><ul>")
        for c in imp.claims:
            cls = "lost" if c.after is False else ""
            h.append(f"<li><code>{_e(c.name)}</code>: {_e(_holds(c.before))} &rarr; <span class=\"{cls}\">"
                     f"{_e(_holds(c.after))}</span>: {_e(c.statement)} (cited on: {_e(_pages(c.pages))})</li>")
        h.append("</ul>")
    if imp.passages:
        h.append("<h2 id=\"passages\">Passages of the book that show moved values</h2>")
        for p in imp.passages:
            h.append(_passage_html(p))
    if imp.figures:
        h.append("<h2 id=\"figures\">Figures before and after</h2>")
        for f in imp.figures:
            before, after = figures.get(f.name, (None, None))
            h.append(f"<h3><code>{_e(f.name)}</code> {_e(f.state)}</h3><p>{_e(f.caption)} "
                     f"<span class=\"quiet\">(used on: {_e(_pages(f.pages))})</span></p><div class=\"pair\">")
            for label, path in ((f"before ({imp.ref})", before), ("after (working tree)", after)):
                img = (f"<img src=\"{_e(path)}\" alt=\"{_e(f.name)}, {_e(label)}\">" if path
                       else "<p class=\"quiet\">(none)</p>")
                h.append(f"<figure>{img}<figcaption>{_e(label)}</figcaption></figure>")
            h.append("</div>")
    if imp.values:
        h.append("<h2 id=\"values\">In-text values</h2><table><tr><th>value</th><th>old</th><th>new</th><th>used on</th></tr>")
        for v in imp.values:
            h.append(f"<tr><td><code>{_e(v.name)}</code></td><td><mark class=\"old\">{_e(v.old)}</mark></td>"
                     f"<td><mark class=\"new\">{_e(v.new)}</mark></td><td>{_e(_pages(v.pages))}</td></tr>")
        h.append("</table>")
    if imp.tables:
        h.append("<h2 id=\"tables\">Tables</h2>")
        for t in imp.tables:
            h.append(f"<h3><code>{_e(t.name)}</code> {_e(t.state)}</h3><p class=\"quiet\">Used on: "
                     f"{_e(_pages(t.pages))}</p>")
            if t.diff is not None and t.diff.changed:
                h.append("<table><tr><th>row</th><th>column</th><th>old</th><th>new</th></tr>")
                h += [f"<tr><td>{_e(c.row)}</td><td>{_e(c.column)}</td><td><mark class=\"old\">{_e(c.old)}</mark></td>"
                      f"<td><mark class=\"new\">{_e(c.new)}</mark></td></tr>" for c in t.diff.changed[:MAX_ROWS]]
                h.append("</table>")
            if t.diff is not None:
                extra = ([f"row added: {r}" for r in t.diff.added_rows] + [f"row removed: {r}" for r in t.diff.removed_rows]
                         + [f"column added: {c}" for c in t.diff.added_columns]
                         + [f"column removed: {c}" for c in t.diff.removed_columns])
                if extra:
                    h.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in extra) + "</ul>")
    if not (imp.data or imp.n_results or imp.claims):
        h.append("<p>No data file, table, figure, value or claim changed.</p>")
    h.append("</body></html>")
    return "\n".join(h) + "\n"


def _passage_html(p: PassageChange) -> str:
    where = f", {_e(p.where)}" if p.where else ""
    return (f"<div class=\"passage\"><p class=\"quiet\"><code>{_e(p.page)}</code>, line {p.line}{where}</p>"
            f"<p>Before: {_segments_html(p.before, _changed(p), 'old')}</p>"
            f"<p>After: {_segments_html(p.after, _changed(p), 'new')}</p></div>")


def write(paths: Paths, imp: Impact) -> tuple[Path, Path]:
    """Write report.md, report.html and figures/ into _build/diff/; returns the two reports' paths."""
    out = paths.build / "diff"
    out.mkdir(parents=True, exist_ok=True)
    figures = _figure_files(imp, out / "figures")
    md, page = out / "report.md", out / "report.html"
    md.write_text(render_markdown(imp, figures), encoding="utf-8")
    page.write_text(render_html(imp, figures), encoding="utf-8")
    return md, page


def terminal_lines(imp: Impact, limit: int = 8) -> list[str]:
    """What `reprobook diff` prints under its summary."""
    from . import compare

    lines = []
    for d in imp.data:
        n = len(d.rows.rows) if d.rows is not None else 0
        lines.append(f"data {d.path}: {d.state}" + (f", {n} row(s)" if d.rows is not None else "")
                     + f" (read by: {', '.join(d.jobs) or 'no job'})")
        for r in (d.rows.rows[:limit] if d.rows is not None else []):
            cells = "; ".join(f"{c}: {a} -> {b}" for c, a, b in r.cells) if r.change == "changed" else r.change
            lines.append(f"    {r.key_text}: {cells}")
    for t in imp.tables:
        if t.diff is None:
            lines.append(f"table {t.name}: {t.state} (used on: {_pages(t.pages)})")
            continue
        lines.append(f"table {t.name}: {len(t.diff.changed)} cell(s) changed, {len(t.diff.added_rows)} row(s) added, "
                     f"{len(t.diff.removed_rows)} removed (used on: {_pages(t.pages)})")
        lines += [f"    {line}" for line in compare.describe(t.diff, limit=limit)]
    lines += [f"figure {f.name}: {f.state} (used on: {_pages(f.pages)})" for f in imp.figures]
    lines += [f"value {v.name}: {v.old} -> {v.new} (used on: {_pages(v.pages)})" for v in imp.values]
    lines += [f"claim {c.name}: {_holds(c.before)} -> {_holds(c.after)}" for c in imp.claims]
    for p in imp.passages[:limit]:
        lines.append(f"passage {p.page}:{p.line}: {''.join(t for t, _ in p.after)}")
    if len(imp.passages) > limit:
        lines.append(f"... and {len(imp.passages) - limit} more passages (see the report)")
    lines += [f"chapter {c.page}: {c.summary}" for c in imp.chapters if c.moved]
    return lines
