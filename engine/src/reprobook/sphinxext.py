"""A small Sphinx extension: the book includes results, it never computes them.

- ``{result-table} NAME`` renders results/tables/NAME.csv as a numbered table with a caption
  and a provenance line (job, notebook, inputs, short hash) read from results/manifest.json.
  Options: ``:columns:`` (which columns, in order), ``:headers:`` (their labels, ``|``-separated,
  inline markup allowed, so a label can be {value}`name.year`), ``:text-columns:`` (shown as
  printed, not as numbers). A long table is shown wide with ``:pivot: year`` and
  ``:values: value_keur``: one column per year, headed by the year from the data (or by
  ``:pivot-headers:`` templates such as ``{year}|Difference``, one per value column), with
  ``:columns:`` and ``:headers:`` naming the row columns only (see reprobook.tableview);
- ``{result-figure} NAME`` shows results/figures/NAME.svg (HTML) or .pdf (LaTeX);
- the role ``{value}`NAME``` inserts a number from results/values.json in the book's format, and
  ``{value}`NAME.FACET``` what the number is about, as the notebook recorded it with
  ``nb.save_value(..., about={"year": 2024})`` (see reprobook.valueref);
- the role ``{claim}`NAME``` marks a sentence that makes claim NAME, and ``{result-values}``
  lists every value with its provenance; notebook views, links to the cell behind each result
  and tooltips are in reprobook.sphinxprov.

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

from . import sphinxprov
from .errors import ResultRefError
from .formatting import format_number
from .tableview import pivot
from .valueref import split_ref, value_text

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
    """The provenance line under a table or figure (in HTML, a link to the cell that saved it)."""
    return sphinxprov.provenance_line(env, path)


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


def _row(cells: list, as_text: list[bool] | None = None) -> nodes.row:
    """A table row; numeric cells take the book's number format unless marked as text. A cell
    given as a list of nodes (a header label with inline markup) is used as it is."""
    row = nodes.row()
    for i, c in enumerate(cells):
        entry = nodes.entry()
        if isinstance(c, list):
            entry += nodes.paragraph("", "", *c)
        else:
            entry += nodes.paragraph(text=c if as_text is None or as_text[i] else display_cell(c))
        row += entry
    return row


def _plain(cell) -> str:
    return "".join(n.astext() for n in cell) if isinstance(cell, list) else cell


def table_node(directive: SphinxDirective, caption: str, header: list, body: list[list[str]],
               as_text: list[bool] | None, classes: list[str]) -> nodes.table:
    """A numbered, captioned table whose column widths follow its content (so printed pages wrap).
    Header cells are text, or lists of nodes for labels with inline markup."""
    table = nodes.table(classes=["result-table", *classes, "colwidths-given"])
    title_nodes, _ = directive.state.inline_text(caption, directive.lineno)
    table += nodes.title(caption, "", *title_nodes)
    tgroup = nodes.tgroup(cols=len(header))
    table += tgroup
    for w in column_widths([_plain(h) for h in header], body):
        tgroup += nodes.colspec(colwidth=w)
    thead = nodes.thead()
    tgroup += thead
    thead += _row(header)
    tbody = nodes.tbody()
    tgroup += tbody
    for r in body:
        tbody += _row(r, as_text)
    return table


def _names(option: str) -> list[str]:
    return [c.strip() for c in option.split(",") if c.strip()]


class ResultTable(SphinxDirective):
    required_arguments = 1
    has_content = True
    option_spec = {"caption": directives.unchanged, "name": directives.unchanged,
                   "columns": directives.unchanged, "headers": directives.unchanged,
                   "widths": directives.unchanged, "text-columns": directives.unchanged,
                   "pivot": directives.unchanged, "values": directives.unchanged,
                   "pivot-headers": directives.unchanged}

    def _labels(self, given: str, count: int, name: str, what: str) -> list:
        """The author's header labels, parsed as inline markup (so that roles work in them)."""
        labels = [c.strip() for c in given.split("|")]
        if len(labels) != count:
            raise self.error(f"result table '{name}': {len(labels)} headers given for {count} {what}")
        return [self.state.inline_text(label, self.lineno)[0] for label in labels]

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
        text_cols = set(_names(self.options.get("text-columns", "")))
        text_cols |= {c for c in header if "year" in c.lower() or c.lower().endswith(("_id", "_code"))}
        if "pivot" in self.options:
            header, body, sources = self._pivoted(name, header, body)
        else:
            if "columns" in self.options:
                wanted = _names(self.options["columns"])
                unknown = [c for c in wanted if c not in header]
                if unknown:
                    raise self.error(f"result table '{name}' has no column(s) {unknown}; it has {header}")
                idx = [header.index(c) for c in wanted]
                header = [header[i] for i in idx]
                body = [[r[i] for i in idx] for r in body]
            sources = list(header)
            if "headers" in self.options:
                header = self._labels(self.options["headers"], len(header), name, "columns")
        as_text = [c in text_cols for c in sources]  # decided on the data's column names
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

    def _pivoted(self, name: str, header: list[str], body: list[list[str]]):
        """`:pivot:` and `:values:`: the long table shown wide (see reprobook.tableview.pivot)."""
        pivot_on, values = _names(self.options["pivot"]), _names(self.options.get("values", ""))
        if not pivot_on or not values:
            raise self.error(f"result table '{name}': :pivot: needs a column and :values: the column(s) "
                             "whose cells fill the pivoted columns")
        index = _names(self.options.get("columns", "")) or [c for c in header if c not in pivot_on + values]
        templates = None
        if "pivot-headers" in self.options:
            templates = [t.strip() for t in self.options["pivot-headers"].split("|")]
        try:
            labels, rows, sources = pivot(header, body, index, pivot_on, values, templates, name)
        except ResultRefError as exc:
            raise self.error(str(exc)) from None
        row_labels = (self._labels(self.options["headers"], len(index), name, "row columns (:columns:)")
                      if "headers" in self.options else list(index))
        return row_labels + labels, rows, sources


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
    """{value}`name` -> the display form of results/values.json[name]; {value}`name.facet` -> what the
    value is about (a facet recorded with nb.save_value(..., about=...)), or its unit."""

    def run(self):
        path = _root(self.env) / "results" / "values.json"
        self.env.note_dependency(str(path))
        values = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        try:
            text = value_text(values, self.text)
        except ResultRefError as exc:
            msg = self.inliner.reporter.error(str(exc), line=self.lineno)
            return [self.inliner.problematic(self.rawtext, self.rawtext, msg)], [msg]
        name, facet = split_ref(self.text)
        return [sphinxprov.value_node(self.env, name, facet, text)], []


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


def cache_pybtex_plugins() -> None:
    """pybtex looks its plugins up in the installed packages' entry points each time it formats a
    citation (`importlib.metadata.entry_points`, a scan of every installed distribution: ~30 ms,
    most of an incremental build of a page that cites). The installed packages do not change
    during a build: scan them once, here, and answer each (group, name) question from that scan.
    Plugins registered at run time are still looked up first, by pybtex itself."""
    import functools

    try:
        import pybtex.plugin as plugin
    except ImportError:
        return
    if hasattr(plugin.entry_points, "cache_info"):
        return
    installed = plugin.entry_points()

    @functools.lru_cache(maxsize=None)
    def entry_points(group: str, name: str | None = None):
        return installed.select(group=group) if name is None else installed.select(group=group, name=name)

    plugin.entry_points = entry_points


def setup(app):
    cache_pybtex_plugins()
    app.setup_extension("reprobook.latexbook")  # the printed book's layout, fonts and metadata
    app.setup_extension("reprobook.citestyle")  # author-date reference list in HTML
    app.setup_extension("reprobook.tablefit")  # printed tables laid out from their content
    app.setup_extension("reprobook.numref")  # :numref: without re-reading the target page per reference
    app.add_config_value("reprobook_citation", {}, "html")
    app.connect("html-page-context", dedupe_scripts)
    app.connect("html-page-context", add_citation_meta)
    app.add_directive("result-table", ResultTable)
    app.add_directive("result-figure", ResultFigure)
    app.add_directive("result-record", RecordTable)
    app.add_role("value", ValueRole())
    sphinxprov.setup(app)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
