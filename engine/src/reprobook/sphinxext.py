"""A small Sphinx extension: the book includes results, it never computes them.

- ``{result-table} NAME`` renders results/tables/NAME.csv as a numbered table with a caption
  and a provenance line (job, notebook, inputs, short hash) read from results/manifest.json;
- ``{result-figure} NAME`` shows results/figures/NAME.svg (HTML) or .pdf (LaTeX);
- the role ``{value}`NAME``` inserts a number from results/values.json in the book's format.

Each notes the result files as dependencies, so a changed result rebuilds the pages using it.
Text from data is put into docutils Text nodes, which every writer escapes.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective, SphinxRole

from .formatting import format_number

NUMBER = re.compile(r"^-?\d+(\.(\d+))?$")


def _root(env) -> Path:
    return Path(env.srcdir)


def _manifest(env) -> dict[str, Any]:
    path = _root(env) / "results" / "manifest.json"
    env.note_dependency(str(path))
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _provenance(env, path: str) -> nodes.paragraph | None:
    art = {a["path"]: a for a in _manifest(env).get("artifacts", [])}.get(path)
    para = nodes.paragraph(classes=["provenance"])
    if art is None:
        return None
    inputs = ", ".join(sorted(art.get("inputs", {}))) or "none"
    text = (f"Computed by notebook {art['notebook']} (job {art['job']}) from {inputs}; "
            f"sha256 {art['sha256'][:12]}.")
    para += nodes.emphasis(text=text)
    return para


def display_cell(text: str) -> str:
    m = NUMBER.match(text.strip())
    if not m:
        return text
    decimals = len(m.group(2)) if m.group(2) else 0
    return format_number(float(text) if decimals else int(text), decimals)


def column_widths(header: list[str], body: list[list[str]]) -> list[int]:
    """Relative widths from the longest word of the header and the longest cell, within bounds,
    so that long text columns wrap instead of running off a printed page."""
    widths = []
    for i, h in enumerate(header):
        longest_cell = max((len(r[i]) for r in body if i < len(r)), default=0)
        longest_word = max((len(w) for w in h.split()), default=1)
        widths.append(max(4, longest_word, min(longest_cell, 40)))
    return widths


def _row(cells: list[str], as_text: list[bool] | None = None) -> nodes.row:
    """A table row; numeric cells take the book's number format unless marked as text."""
    row = nodes.row()
    for i, c in enumerate(cells):
        entry = nodes.entry()
        entry += nodes.paragraph(text=c if as_text is None or as_text[i] else display_cell(c))
        row += entry
    return row


def table_node(directive: SphinxDirective, caption: str, header: list[str], body: list[list[str]],
               as_text: list[bool] | None, classes: list[str]) -> nodes.table:
    """A numbered, captioned table whose column widths follow its content (so printed pages wrap)."""
    table = nodes.table(classes=["result-table", *classes, "colwidths-given"])
    title_nodes, _ = directive.state.inline_text(caption, directive.lineno)
    table += nodes.title(caption, "", *title_nodes)
    tgroup = nodes.tgroup(cols=len(header))
    table += tgroup
    for w in column_widths(header, body):
        tgroup += nodes.colspec(colwidth=w)
    thead = nodes.thead()
    tgroup += thead
    thead += _row(header)
    tbody = nodes.tbody()
    tgroup += tbody
    for r in body:
        tbody += _row(r, as_text)
    return table


class ResultTable(SphinxDirective):
    required_arguments = 1
    has_content = True
    option_spec = {"caption": directives.unchanged, "name": directives.unchanged,
                   "columns": directives.unchanged, "headers": directives.unchanged,
                   "widths": directives.unchanged, "text-columns": directives.unchanged}

    def run(self):
        name = self.arguments[0]
        rel = f"results/tables/{name}.csv"
        path = _root(self.env) / rel
        self.env.note_dependency(str(path))
        if not path.is_file():
            raise self.error(f"result table '{name}' not found at {rel}; is it declared in pipeline.yml and built?")
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header, body = rows[0], rows[1:]
        # columns shown as printed: years, codes and any the author lists
        text_cols = {c.strip() for c in self.options.get("text-columns", "").split(",") if c.strip()}
        text_cols |= {c for c in header if "year" in c.lower() or c.lower().endswith(("_id", "_code"))}
        if "columns" in self.options:
            wanted = [c.strip() for c in self.options["columns"].split(",")]
            unknown = [c for c in wanted if c not in header]
            if unknown:
                raise self.error(f"result table '{name}' has no column(s) {unknown}; it has {header}")
            idx = [header.index(c) for c in wanted if c in header]
            header = [header[i] for i in idx]
            body = [[r[i] for i in idx] for r in body]
        as_text = [c in text_cols for c in header]  # decided on the data's column names
        if "headers" in self.options:
            labels = [c.strip() for c in self.options["headers"].split("|")]
            if len(labels) != len(header):
                raise self.error(f"result table '{name}': {len(labels)} headers given for {len(header)} columns")
            header = labels
        caption = self.options.get("caption") or " ".join(self.content) or name
        table = table_node(self, caption, header, body, as_text, [])
        self.add_name(table)
        if "name" not in self.options:
            table["ids"].append(f"table-{name.replace('_', '-')}")
        out = [table]
        prov = _provenance(self.env, rel)
        if prov is not None:
            out.append(prov)
        return out


class ResultFigure(SphinxDirective):
    required_arguments = 1
    has_content = True
    option_spec = {"caption": directives.unchanged, "name": directives.unchanged,
                   "alt": directives.unchanged, "width": directives.unchanged}

    def run(self):
        name = self.arguments[0]
        rel = f"results/figures/{name}"
        root = _root(self.env)
        for ext in ("svg", "pdf"):
            p = root / f"{rel}.{ext}"
            if not p.is_file():
                raise self.error(f"result figure '{name}' not found at {rel}.{ext}; is it declared in pipeline.yml and built?")
            self.env.note_dependency(str(p))
        figure = nodes.figure(classes=["result-figure"])
        caption_text = self.options.get("caption") or " ".join(self.content) or name
        image = nodes.image(uri=f"/{rel}.*", alt=self.options.get("alt", caption_text))
        if "width" in self.options:
            image["width"] = self.options["width"]
        figure += image
        cap_nodes, _ = self.state.inline_text(caption_text, self.lineno)
        figure += nodes.caption(caption_text, "", *cap_nodes)
        prov = _provenance(self.env, f"{rel}.svg")
        if prov is not None:
            legend = nodes.legend()
            legend += prov
            figure += legend
        self.add_name(figure)
        if "name" not in self.options:
            figure["ids"].append(f"figure-{name.replace('_', '-')}")
        return [figure]


class RecordTable(SphinxDirective):
    """``{result-record}``: the manifest as a table (artifact, kind, job, notebook, sha256) and its environment."""

    option_spec = {"caption": directives.unchanged, "name": directives.unchanged}

    def run(self):
        manifest = _manifest(self.env)
        arts = manifest.get("artifacts", [])
        env = manifest.get("environment", {})
        caption = self.options.get("caption", "The record: every artifact in results/manifest.json.")
        header = ["Artifact", "Kind", "Job", "Notebook", "SHA-256 (first 12)"]
        rows = [[a["path"], a["kind"], a["job"], a["notebook"], a["sha256"][:12]] for a in arts]
        table = table_node(self, caption, header, rows, None, ["record-table"])
        self.add_name(table)
        versions = ", ".join(f"{k} {v}" for k, v in sorted(env.get("packages", {}).items()))
        para = nodes.paragraph(text=f"Recorded environment: Python {env.get('python', '?')}; {versions}.")
        return [table, para]


class ValueRole(SphinxRole):
    """{value}`name` -> the display form of results/values.json[name]."""

    def run(self):
        name = self.text.strip()
        path = _root(self.env) / "results" / "values.json"
        self.env.note_dependency(str(path))
        values = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        if name not in values:
            msg = self.inliner.reporter.error(
                f"value '{name}' is not in results/values.json; declare it in pipeline.yml and save it in its notebook",
                line=self.lineno)
            return [self.inliner.problematic(self.rawtext, self.rawtext, msg)], [msg]
        entry = values[name]
        node = nodes.inline(text=entry["display"], classes=["result-value"])
        node["names"] = []
        return [node], []


def add_citation_meta(app, pagename, templatename, context, doctree):
    """Highwire Press tags (citation_*) that Google Scholar and Zotero read, from `reprobook_citation`."""
    from html import escape

    meta = app.config.reprobook_citation or {}
    if not meta:
        return
    tags = []
    if meta.get("title"):
        tags.append(("citation_title", meta["title"]))
    for author in meta.get("authors", []):
        tags.append(("citation_author", author))
    for key in ("publication_date", "date", "pdf_url", "public_url", "publisher", "language", "abstract_html_url"):
        if meta.get(key):
            tags.append((f"citation_{key}", str(meta[key])))
    html_tags = "\n".join(f'<meta name="{escape(k)}" content="{escape(v)}" />' for k, v in tags)
    context["metatags"] = context.get("metatags", "") + "\n" + html_tags


def dedupe_scripts(app, pagename, templatename, context, doctree):
    """Some theme extensions register the same inline script twice (sphinx-thebe's `const
    THEBE_JS_URL`), which browsers report as an error; keep each script once."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attrs = getattr(script, "attributes", {}) or {}
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.setup_extension("reprobook.latexbook")  # the printed book's layout, fonts and metadata
    app.setup_extension("reprobook.citestyle")  # author-date reference list in HTML
    app.setup_extension("reprobook.tablefit")  # printed tables laid out from their content
    app.add_config_value("reprobook_citation", {}, "html")
    app.connect("html-page-context", dedupe_scripts)
    app.connect("html-page-context", add_citation_meta)
    app.add_directive("result-table", ResultTable)
    app.add_directive("result-figure", ResultFigure)
    app.add_directive("result-record", RecordTable)
    app.add_role("value", ValueRole())
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
