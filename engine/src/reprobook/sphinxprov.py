"""Sphinx glue for provenance: notebook views, links to the cell behind every result, claims, the values appendix.

- **Notebook views.** The record's executed notebooks (``results/notebooks/<job>.ipynb``) are pages
  of the HTML book, rendered with their outputs by MyST-NB (which Jupyter Book loads; without it
  there are no views and no links). They are orphan pages, outside the table of contents and
  so outside the PDF, never executed (``nb_execution_excludepatterns``); every code cell carries
  the anchor ``cell-N`` of its position. Nothing is run to show them: a fresh clone has them.
- **Links.** In HTML, the provenance line under a table or figure links to the cell that saved
  it; every ``{value}`` is a link to the cell that computed it, with a tooltip naming job,
  notebook, cell, inputs and the data rows that fed it (see `reprobook.provenance`).
- **Claims.** ``{claim}`name``` puts a small check mark after the sentence that makes the claim,
  linking to the cell that states it, with the statement as its tooltip; a screen reader reads
  "claim checked: <statement>". In LaTeX it is a superscript check mark.
- **Values appendix.** ``{result-values}`` lists every in-text value of results/values.json by
  job: the value, what it is about, the cell and data rows behind it, and where the book shows
  it (links in HTML, page numbers in the PDF, in a longtable).

Read-time nodes carry what they refer to; a post-transform turns them into what each builder
can show, once every page has been read (so the appendix sees every use).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole
from sphinx.util.matching import Matcher

from . import provenance as prov

logger = logging.getLogger(__name__)

VIEW_DIR = "results/" + prov.NOTEBOOKS  # docnames of the views: results/notebooks/<job>
STATIC = Path(__file__).parent / "static"
USES = "reprobook_value_uses"  # env attribute: docname -> [(value name, facet, node id)]
APPENDIX_DOCS = "reprobook_appendix_docs"  # env attribute: docnames holding {result-values}
CHECK, CROSS = "\u2713", "\u2717"
# where a LaTeX \label cannot go (moving arguments, table cells): the page of the enclosing object
LABEL_UNSAFE = (nodes.title, nodes.caption, nodes.rubric, nodes.entry, nodes.legend)


# --- the record, read once per build --------------------------------------------------------

def _load_json(env, rel: str) -> dict[str, Any]:
    path = Path(env.srcdir) / rel
    env.note_dependency(str(path))
    try:
        stat = path.stat()
    except OSError:
        return {}
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _JSON:
        try:
            _JSON[key] = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            _JSON[key] = {}
    return _JSON[key]


_JSON: dict[tuple, Any] = {}  # parsed record files by (path, mtime, size): read once per build


def record(env) -> tuple[dict[str, dict], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(artifacts by path, values, claims, manifest) as results/ holds them."""
    manifest = _load_json(env, "results/manifest.json")
    arts = {a["path"]: a for a in manifest.get("artifacts", [])}
    return arts, _load_json(env, "results/values.json"), _load_json(env, "results/claims.json"), manifest


def view_docname(job: str) -> str:
    return f"{VIEW_DIR}/{job}"


# --- notebook views ---------------------------------------------------------------------------

def _covers(pattern: str, path: str) -> bool:
    parts = path.split("/")
    return any(Matcher([pattern])("/".join(parts[: i + 1])) for i in range(len(parts)))


def open_views(app, config) -> None:
    """Let the record's notebooks through `exclude_patterns` (a project may exclude results/, and
    Jupyter Book excludes what its table of contents does not list), keeping every other file
    excluded; never execute them."""
    if ".ipynb" not in (config.source_suffix or {}):
        return
    src = Path(app.srcdir)
    views = sorted(p.relative_to(src).as_posix() for p in (src / VIEW_DIR).glob("*.ipynb"))
    if not views:
        return
    kept: list[str] = []
    for pattern in config.exclude_patterns:
        hit = [v for v in views if _covers(pattern, v)]
        if not hit:
            kept.append(pattern)
            continue
        if any(Matcher([pattern])(v) for v in hit):
            continue  # the view itself was named: simply drop the pattern
        # a folder above the views was excluded: exclude its other contents instead
        for folder in sorted({"/".join(v.split("/")[:i]) for v in hit for i in range(1, v.count("/") + 1)}):
            if not Matcher([pattern])(folder):
                continue
            for child in sorted((src / folder).iterdir()):
                rel = child.relative_to(src).as_posix()
                if not any(v == rel or v.startswith(rel + "/") for v in views):
                    kept.append(rel)
    config.exclude_patterns = kept
    if hasattr(config, "nb_execution_excludepatterns"):
        config.nb_execution_excludepatterns = list(config.nb_execution_excludepatterns) + [f"{VIEW_DIR}/*"]


def is_view(docname: str) -> bool:
    return docname.startswith(VIEW_DIR + "/") and docname.count("/") == VIEW_DIR.count("/") + 1


def prepare_view(app, doctree) -> None:
    """A view page: an orphan (outside the table of contents), an anchor on every code cell, and
    a note saying what the page is."""
    env = app.env
    docname = env.docname
    if not is_view(docname):
        return
    env.metadata[docname]["orphan"] = True
    for node in doctree.findall(nodes.container):
        if node.get("nb_element") == "cell_code" and isinstance(node.get("cell_index"), int):
            cid = prov.cell_id(node["cell_index"])
            if cid not in node["ids"]:
                node["ids"].insert(0, cid)
    job = docname.rsplit("/", 1)[1]
    arts, _, _, manifest = record(env)
    art = arts.get(prov.record_path(job), {})
    params = ", ".join(f"{k} = {v!r}" for k, v in (art.get("parameters") or {}).items()) or "none"
    sweep = ((manifest.get("jobs") or {}).get(job) or {}).get("sweep")
    what = (f"The notebook of job {job} ({art.get('notebook', '?')}) with the parameters of its whole grid, as "
            f"the record keeps it ({prov.record_path(job)}, sha256 {art.get('sha256', '?')[:12]}); the job ran it "
            f"as a sweep over {len(sweep.get('points', []))} values of {sweep.get('parameter')}, in chunks, and the "
            "record keeps the gathered tables, not the chunks' outputs." if sweep else
            f"The executed notebook of job {job} ({art.get('notebook', '?')}), as the record keeps it "
            f"({prov.record_path(job)}, sha256 {art.get('sha256', '?')[:12]}).")
    note = nodes.paragraph(classes=["rb-view-note"])
    note += nodes.emphasis(text=(
        f"{what} Parameters: {params}. Inputs: {prov.inputs_text(art.get('inputs', {}), limit=30)}. Each code "
        "cell is labelled with the anchor (cell-N) that the book's links and tooltips name."))
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not section.children or not isinstance(section[0], nodes.title):
        # a notebook without a heading: give the page one, so that it has a title
        title = nodes.title(text=f"Notebook {art.get('notebook', job)} (job {job})")
        section = nodes.section("", title, ids=[f"notebook-{job.replace('_', '-')}"])
        section.extend(doctree.children)
        doctree.children = []
        doctree += section
        env.titles[docname] = title.deepcopy()
        env.longtitles[docname] = title.deepcopy()
    section.insert(1, note)


# --- read time: what refers to what ----------------------------------------------------------

def value_node(env, name: str, facet: str | None, text: str) -> nodes.inline:
    """The inline of a {value} role, noted as a use of `name` on this page."""
    serial = env.new_serialno("reprobook-value")
    node = nodes.inline(text=text, classes=["result-value"] + (["result-facet"] if facet else []))
    node["ids"] = [f"value-{serial}"]
    node["reprobook_value"] = name
    node["reprobook_doc"] = env.docname
    getattr(env, USES).setdefault(env.docname, []).append((name, facet, node["ids"][0]))
    return node


def provenance_line(env, path: str) -> nodes.paragraph | None:
    """The line under a table or figure: which notebook and cell made it, from what, its hash."""
    arts, _, _, _ = record(env)
    art = arts.get(path)
    if art is None:
        return None
    para = nodes.paragraph(classes=["provenance"])
    em = nodes.emphasis()
    n = prov.cell_number(art.get("cell", ""))
    where = nodes.inline(text=f"notebook {art['notebook']}" + (f", cell {n}" if n else ""),
                         classes=["result-source"])
    where["reprobook_view"] = art["job"]
    where["reprobook_cell"] = art.get("cell", "")
    em += nodes.Text("Computed by ")
    em += where
    em += nodes.Text(f" (job {art['job']}) from {', '.join(sorted(art.get('inputs', {}))) or 'no input files'}; "
                     f"sha256 {art['sha256'][:12]}.")
    para += em
    return para


class ClaimRole(SphinxRole):
    """{claim}`name`: a mark after the sentence that makes claim `name` (see the module docstring)."""

    def run(self):
        name = self.text.strip()
        _, _, claims, _ = record(self.env)
        entry = claims.get(name)
        if entry is None:
            msg = self.inliner.reporter.error(
                f"claim '{name}' is not in results/claims.json; state it in a notebook with nb.save_claim and "
                "declare it under the job's outputs: claims:", line=self.lineno)
            return [self.inliner.problematic(self.rawtext, self.rawtext, msg)], [msg]
        if entry.get("holds") is not True:
            logger.warning(f"claim '{name}' does not hold with the current results: {entry.get('statement', '')}",
                           location=(self.env.docname, self.lineno))
        node = nodes.inline("", "", classes=["result-claim"])
        node["reprobook_claim"] = name
        return [node], []


class ValuesAppendix(nodes.General, nodes.Element):
    """Placeholder of {result-values}, filled once every page has been read."""


class ValuesAppendixDirective(SphinxDirective):
    """``{result-values}``: every in-text value with its provenance and where the book shows it."""

    def run(self):
        getattr(self.env, APPENDIX_DOCS).add(self.env.docname)
        record(self.env)
        return [ValuesAppendix()]


class PageRef(nodes.Inline, nodes.Element):
    """The page number of a label in the PDF (\\pageref); nothing in other formats."""


def visit_pageref_latex(self, node) -> None:
    self.body.append(r"\rbpage{%s}" % self.idescape(f"{node['refdoc']}:{node['refid']}"))
    raise nodes.SkipNode


# Page numbers of a value's uses, each printed once: \rbpage{label} prints ", <page>" unless the
# page equals the previous one (refcount's \getpagerefnumber; 0 until LaTeX knows the page).
LATEX_PAGES = r"""\makeatletter
\providecommand\rbpagesstart{\gdef\rb@lastpage{}\gdef\rb@sep{}}
\providecommand\rbpage[1]{\edef\rb@this{\getpagerefnumber{#1}}%
  \ifx\rb@this\rb@lastpage\else\rb@sep\pageref{#1}\global\let\rb@lastpage\rb@this\gdef\rb@sep{, }\fi}
\makeatother
"""


def book_order(env, docs) -> list[str]:
    """`docs` in the order of the book's table of contents (others after them, sorted)."""
    order: list[str] = []

    def walk(doc: str) -> None:
        if doc in order:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    rank = {d: i for i, d in enumerate(order)}
    return sorted(docs, key=lambda d: (rank.get(d, len(rank)), d))


class BreakableCode(nodes.Inline, nodes.TextElement):
    """An identifier (value_name_like_this) that may break after its underscores in print."""


class BreakableText(nodes.Inline, nodes.TextElement):
    """Text with identifiers and paths in it (data rows by key) that may break after '_' and '/'."""


BREAK_AFTER = re.compile(r"(?<=[_/])")


def _latex_breakable(self, text: str) -> str:
    return r"\allowbreak{}".join(self.encode(part) for part in BREAK_AFTER.split(text))


def visit_breakable_latex(self, node) -> None:
    text = _latex_breakable(self, node.astext())
    self.body.append(r"\sphinxcode{\sphinxupquote{" + text + "}}" if isinstance(node, BreakableCode) else text)
    raise nodes.SkipNode


def visit_breakable_html(self, node) -> None:
    from html import escape

    text = "<wbr>".join(escape(part) for part in BREAK_AFTER.split(node.astext()))
    self.body.append(f'<code class="docutils literal notranslate">{text}</code>'
                     if isinstance(node, BreakableCode) else text)
    raise nodes.SkipNode


def visit_breakable_text(self, node) -> None:
    self.add_text(node.astext())
    raise nodes.SkipNode


def _skip(self, node) -> None:
    raise nodes.SkipNode


# --- env bookkeeping (incremental and parallel builds) -----------------------------------------

def init_env(app) -> None:
    env = app.env
    if not hasattr(env, USES):
        setattr(env, USES, {})
    if not hasattr(env, APPENDIX_DOCS):
        setattr(env, APPENDIX_DOCS, set())


def purge_doc(app, env, docname) -> None:
    getattr(env, USES, {}).pop(docname, None)
    getattr(env, APPENDIX_DOCS, set()).discard(docname)


def merge_info(app, env, docnames, other) -> None:
    for d in docnames:
        if d in getattr(other, USES, {}):
            getattr(env, USES)[d] = getattr(other, USES)[d]
        if d in getattr(other, APPENDIX_DOCS, set()):
            getattr(env, APPENDIX_DOCS).add(d)


def appendix_outdated(app, env) -> list[str]:
    """The appendix lists uses on every page: rewrite it whenever any page was read again."""
    return sorted(getattr(env, APPENDIX_DOCS, set()))


# --- write time: links in HTML, labels and page numbers in LaTeX --------------------------------

class ResolveProvenance(SphinxPostTransform):
    default_priority = 5

    def run(self, **kwargs) -> None:
        builder = self.app.builder
        self.html = builder.format == "html" and builder.name not in ("singlehtml", "epub")
        self.latex = builder.format == "latex"
        self.arts, self.values, self.claims, self.manifest = record(self.env)
        self.labels: dict[tuple[str, str], tuple[str, str]] = {}  # (doc, use id) -> (doc, label) for \pageref
        self.para_labels: dict[tuple[int, str], str] = {}  # (paragraph, value) -> label of its first use there
        for node in list(self.document.findall(nodes.inline)):
            if "reprobook_value" in node:
                self.value(node)
            elif "reprobook_view" in node:
                self.source(node)
            elif "reprobook_claim" in node:
                self.claim(node)
        for node in list(self.document.findall(ValuesAppendix)):
            node.replace_self(self.appendix())

    # -- links
    def view_uri(self, job: str, cell: str = "") -> str | None:
        doc = view_docname(job)
        if not self.html or doc not in self.env.found_docs:
            return None
        uri = self.app.builder.get_relative_uri(self.env.docname, doc)
        return uri + (f"#{cell}" if cell else "")

    def _link(self, node: nodes.Element, uri: str, title: str, classes: list[str]) -> nodes.reference:
        ref = nodes.reference("", "", internal=True, refuri=uri, reftitle=title, classes=classes)
        ref["ids"] = list(node.get("ids", []))
        ref.extend(node.children)
        return ref

    def value(self, node: nodes.inline) -> None:
        name = node["reprobook_value"]
        art = self.arts.get(f"results/values.json#{name}")
        if self.latex:
            doc = node.get("reprobook_doc", self.env.docname)
            anchor = self._latex_anchor(node)
            if anchor is None:  # the first use of this value in a paragraph labels it
                para = node.parent
                while para is not None and not isinstance(para, nodes.paragraph):
                    para = para.parent
                anchor = self.para_labels.get((id(para), name))
                if anchor is None:
                    anchor = node["ids"][0]
                    self.para_labels[(id(para), name)] = anchor
                    node.parent.insert(node.parent.index(node), nodes.target("", "", ids=list(node["ids"])))
            self.labels[(doc, node["ids"][0])] = (doc, anchor)
            node["ids"] = []
            return
        uri = self.view_uri(art["job"], art.get("cell", "")) if art else None
        if uri is None:
            return
        tip = prov.value_tooltip(name, self.values.get(name, {}), art)
        node.replace_self(self._link(node, uri, tip, list(node["classes"])))

    def _latex_anchor(self, node: nodes.Element) -> str | None:
        """None when a label may stand next to `node`; else the id of the table, figure or
        section around it (inside a title, caption or table cell)."""
        parent, unsafe = node.parent, False
        while parent is not None:
            if isinstance(parent, LABEL_UNSAFE):
                unsafe = True
            if unsafe and isinstance(parent, (nodes.table, nodes.figure, nodes.section)) and parent.get("ids"):
                return parent["ids"][0]
            parent = parent.parent
        return None

    def source(self, node: nodes.inline) -> None:
        uri = self.view_uri(node["reprobook_view"], node.get("reprobook_cell", ""))
        if uri is None:
            return
        node.replace_self(self._link(node, uri, "Open the executed notebook at the cell that saved this result",
                                     ["result-source"]))

    def claim(self, node: nodes.inline) -> None:
        name = node["reprobook_claim"]
        entry = self.claims.get(name)
        holds = bool(entry and entry.get("holds") is True)
        mark = CHECK if holds else CROSS
        if self.latex:
            node.replace_self(nodes.raw("", r"\textsuperscript{\ensuremath{\checkmark}}" if holds else
                                        r"\textsuperscript{\ensuremath{\times}}", format="latex"))
            return
        art = self.arts.get(f"results/claims.json#{name}")
        tip = prov.claim_tooltip(name, entry, art, self.values)
        label = ("claim checked: " if holds else "claim does not hold: ") + (entry or {}).get("statement", name)
        content = [nodes.inline(text=mark, classes=["rb-mark"]), nodes.inline(text=f" ({label})", classes=["rb-sr-only"])]
        uri = self.view_uri(art["job"], art.get("cell", "")) if art else None
        classes = ["result-claim", "result-claim-holds" if holds else "result-claim-false"]
        if uri is None:
            node.replace_self(nodes.inline("", "", *content, classes=classes))
            return
        ref = nodes.reference("", "", *content, internal=True, refuri=uri, reftitle=tip, classes=classes)
        node.replace_self(ref)

    # -- the values appendix
    def appendix(self) -> list[nodes.Node]:
        uses: dict[str, list[tuple[str, str]]] = {}  # value -> [(doc, id)], in the book's order
        for doc in book_order(self.env, getattr(self.env, USES, {})):
            for name, _facet, nid in getattr(self.env, USES)[doc]:
                uses.setdefault(name, []).append((doc, nid))
        by_job: dict[str, list[str]] = {}
        for path, art in sorted(self.arts.items()):
            if art["kind"] == "value":
                by_job.setdefault(art["job"], []).append(art["name"])
        orphans = sorted(set(self.values) - {n for names in by_job.values() for n in names})
        out: list[nodes.Node] = []
        for job in sorted(by_job):
            names = by_job[job]
            first = self.arts[f"results/values.json#{names[0]}"]
            rubric = nodes.rubric("", "", classes=["rb-values-job"], ids=[f"values-{job.replace('_', '-')}"])
            rubric += nodes.Text(f"Job {job}: notebook {first['notebook']}")
            out.append(rubric)
            params = ", ".join(f"{k} = {v}" for k, v in (first.get("parameters") or {}).items()) or "none"
            text = f"Inputs: {prov.inputs_text(first.get('inputs', {}), limit=40)}. Parameters: {params}."
            out.append(nodes.paragraph("", "", BreakableText(text, text)))
            out.append(self._values_table([(n, self.arts.get(f"results/values.json#{n}")) for n in names], uses))
        if orphans:
            out.append(nodes.rubric(text="Values with no job in the record"))
            out.append(self._values_table([(n, None) for n in orphans], uses))
        if not out:
            out.append(nodes.paragraph(text="results/values.json holds no values."))
        if self.latex:
            out.insert(0, nodes.raw("", LATEX_PAGES, format="latex"))
        return out

    def _values_table(self, rows: list[tuple[str, dict | None]], uses) -> nodes.table:
        header = ["Value", "Shown as", "Computed in", "Shown on"]
        widths = [30, 18, 32, 20]
        table = nodes.table(classes=["result-table", "rb-values-table", "longtable", "colwidths-given"])
        tgroup = nodes.tgroup(cols=len(header))
        table += tgroup
        for w in widths:
            tgroup += nodes.colspec(colwidth=w)
        thead, tbody = nodes.thead(), nodes.tbody()
        tgroup += thead
        row = nodes.row()
        for h in header:
            row += nodes.entry("", nodes.paragraph(text=h))
        thead += row
        tgroup += tbody
        for name, art in rows:
            entry = self.values.get(name, {})
            row = nodes.row()
            # value name and what it is about
            cell = nodes.entry()
            para = nodes.paragraph()
            para += BreakableCode(name, name)
            cell += para
            about = entry.get("about") or {}
            if about:
                cell += nodes.paragraph(text="; ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(about.items())),
                                        classes=["rb-about"])
            row += cell
            unit = entry.get("unit") or ""
            shown = str(entry.get("display", entry.get("value", "")))
            row += nodes.entry("", nodes.paragraph(text=shown + (f" {unit}" if unit and unit != "percent" else "")))
            # the cell and the data rows
            cell = nodes.entry()
            para = nodes.paragraph()
            n = prov.cell_number((art or {}).get("cell", ""))
            label = f"cell {n}" if n else "notebook"
            uri = self.view_uri(art["job"], art.get("cell", "")) if art else None
            if uri:
                para += nodes.reference("", label, internal=True, refuri=uri,
                                        reftitle=prov.value_tooltip(name, entry, art))
            else:
                para += nodes.Text(label if art else "not in the record")
            cell += para
            if art and art.get("rows"):
                text = "Data rows: " + prov.rows_text(art["rows"])
                cell += nodes.paragraph("", "", BreakableText(text, text), classes=["rb-rows"])
            row += cell
            row += self._pages(uses.get(name, []))
            tbody += row
        return table

    def _pages(self, places: list[tuple[str, str]]) -> nodes.entry:
        cell = nodes.entry()
        para = nodes.paragraph()
        cell += para
        if not places:
            para += nodes.Text("not shown")
            return cell
        if self.latex:
            seen = []
            for doc, nid in places:
                label = self.labels.get((doc, nid), (doc, nid))
                if label not in seen:
                    seen.append(label)
            para += nodes.raw("", r"p.~\rbpagesstart{}", format="latex")
            for doc, label in seen:
                para += PageRef(refdoc=doc, refid=label)
            return cell
        docs: dict[str, list[str]] = {}
        for doc, nid in places:
            docs.setdefault(doc, []).append(nid)
        for i, (doc, ids) in enumerate(docs.items()):
            if i:
                para += nodes.Text("; ")
            title = self.env.titles.get(doc)
            text = title.astext() if title is not None else doc
            if self.html:
                uri = self.app.builder.get_relative_uri(self.env.docname, doc) + f"#{ids[0]}"
                para += nodes.reference("", text, internal=True, refuri=uri)
            else:
                para += nodes.Text(text)
            if len(ids) > 1:
                para += nodes.Text(f" ({len(ids)} times)")
        return cell


def add_static(app, config) -> None:
    config.html_static_path = list(config.html_static_path) + [str(STATIC)]


def setup(app) -> None:
    app.connect("config-inited", open_views, priority=950)  # after sphinx-external-toc (900)
    app.connect("config-inited", add_static)
    app.connect("builder-inited", init_env)
    app.connect("env-purge-doc", purge_doc)
    app.connect("env-merge-info", merge_info)
    app.connect("env-get-outdated", lambda app, env, added, changed, removed: appendix_outdated(app, env))
    app.connect("doctree-read", prepare_view, priority=900)  # after the metadata collector
    app.add_css_file("reprobook.css")
    app.add_latex_package("refcount")
    app.add_role("claim", ClaimRole())
    app.add_directive("result-values", ValuesAppendixDirective)
    app.add_node(ValuesAppendix, html=(_skip, None), latex=(_skip, None), text=(_skip, None))
    app.add_node(PageRef, html=(_skip, None), latex=(visit_pageref_latex, None), text=(_skip, None))
    for node in (BreakableCode, BreakableText):
        app.add_node(node, html=(visit_breakable_html, None), latex=(visit_breakable_latex, None),
                     text=(visit_breakable_text, None))
    app.add_post_transform(ResolveProvenance)
