"""The real book, built from a copy of the repository, checked in headless Chromium and as a PDF."""
from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from reprobook.testing import broken_links


pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book_site")]  # one worker shares the module's built project
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="session")
def book_copy(study_copy) -> Path:
    """The tracked files of the repository, built into HTML (jobs are fresh: only the book builds)."""
    copy = study_copy("book")
    copy.cli("build", check=True, timeout=1200)
    return copy.root


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            self.srcs.append(a["src"])


def chapters(html_root: Path) -> list[Path]:
    return sorted((html_root / "book").glob("*.html"))


def test_the_module_runs_on_one_worker(request):
    """The built book is shared only when pytest-xdist keeps the module's group on one worker; a
    pytest that drops the group (pytest-xdist#1386, pytest 9.2) silently builds it once per worker."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run with --dist loadgroup")
    assert request.node.nodeid.endswith("@book_site")


def test_internal_links_and_anchors_resolve(book_copy):
    html_root = book_copy / "_build/html"
    broken = broken_links(html_root)
    for page in html_root.rglob("*.html"):
        p = _Images()
        p.feed(page.read_text(encoding="utf-8"))
        broken += [f"{page.name}: image {src}" for src in p.srcs
                   if not urlparse(src).scheme and not (page.parent / src).resolve().exists()]
    assert not broken, "\n".join(broken[:20])


def test_every_provenance_value_and_claim_link_opens_its_cell(book_copy):
    from reprobook.testing import html_links

    html_root = book_copy / "_build/html"
    assert broken_links(html_root, ("result-source", "result-value", "result-claim")) == []
    _, links = html_links(html_root)
    kinds = {k: [h for _, h, c in links if k in c.split()] for k in ("result-source", "result-value", "result-claim")}
    assert all("results/notebooks/" in h and "#cell-" in h for hs in kinds.values() for h in hs)
    roles = sum(md.read_text(encoding="utf-8").count("{value}`") for md in (book_copy / "book").glob("*.md"))
    claims = sum(md.read_text(encoding="utf-8").count("{claim}`") for md in (book_copy / "book").glob("*.md"))
    assert len(kinds["result-value"]) == roles and len(kinds["result-claim"]) == claims == 5
    for page in chapters(html_root):
        text = page.read_text(encoding="utf-8")
        # every provenance line links to its notebook, every {value} is a link (none left as plain text)
        assert text.count('<p class="provenance">') == text.count('class="result-source')
        assert '<span class="result-value' not in text and "result-claim-false" not in text
    views = {p.stem for p in (book_copy / "results/notebooks").glob("*.ipynb")}
    assert views and views == {p.stem for p in (html_root / "results/notebooks").glob("*.html")}


def test_values_appendix_lists_every_value(book_copy):
    page = (book_copy / "_build/html/book/appendix-values.html").read_text(encoding="utf-8")
    text = re.sub(r"<wbr>", "", page)
    values = json.loads((book_copy / "results/values.json").read_text())
    missing = [n for n in values if f">{n}</code>" not in text]
    assert not missing, missing
    assert "Data rows: data/trade_flows.csv (reporter, flow, year) = (KAZ, export_to_eu, 2024)" in text


def test_citation_meta_tags(book_copy):
    index = (book_copy / "_build/html/book/index.html").read_text(encoding="utf-8")
    assert '<meta name="citation_title" content="A comparative study of multivector foreign policy in Central Asia"' in index
    assert '<meta name="citation_author"' in index and '<meta name="citation_pdf_url"' in index


PAGE_CHECKS = """
const found = {broken: [], invisible: [], unanchored: [], tables: 0, figures: 0, cites: 0};
for (const img of document.querySelectorAll("img")) {
  if (!(img.complete && img.naturalWidth > 0)) found.broken.push(img.getAttribute("src"));
}
for (const el of document.querySelectorAll("table.result-table, figure.result-figure, div.result-figure")) {
  el.scrollIntoView();
  const visible = el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  if (!visible || el.getBoundingClientRect().height < 10) found.invisible.push(el.tagName.toLowerCase() + " " + el.id);
  if (el.tagName === "TABLE") found.tables += 1; else found.figures += 1;
}
for (const a of document.querySelectorAll("span.bibtex-citation a")) {
  found.cites += 1;
  if (!a.href.includes("#")) found.unanchored.push(a.href);
}
return found;
"""


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian chromium and chromium-driver")
def test_every_page_in_headless_chromium(book_copy):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    html_root = book_copy / "_build/html"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html_root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,2000"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    shots = book_copy / "_build/screenshots"  # of the pages with a problem, to look at
    problems, n_tables, n_figures, n_cites = [], 0, 0, 0
    try:
        for page in chapters(html_root):
            url = urljoin(base, page.relative_to(html_root).as_posix())
            driver.get(url)
            for entry in driver.get_log("browser"):
                if entry["level"] == "SEVERE":
                    problems.append(f"{page.name}: console error {entry['message']}")
            # the page's checks in one script (a WebDriver call per element costs a round trip)
            found = driver.execute_script(PAGE_CHECKS)
            before = len(problems)
            problems += [f"{page.name}: broken image {src}" for src in found["broken"]]
            problems += [f"{page.name}: invisible {what}" for what in found["invisible"]]
            problems += [f"{page.name}: citation without anchor {href}" for href in found["unanchored"]]
            n_tables, n_figures, n_cites = (n_tables + found["tables"], n_figures + found["figures"],
                                            n_cites + found["cites"])
            if len(problems) > before:  # a picture of what the reader sees (PNG encoding costs 0.1 s a page)
                shots.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(shots / f"{page.stem}.png"))
    finally:
        driver.quit()
        server.shutdown()
    assert not problems, "\n".join(problems[:20]) + f"\n(screenshots in {shots})"
    assert n_tables >= 5 and n_figures >= 3, (n_tables, n_figures)
    assert n_cites >= 1


def test_author_date_citations_in_html(book_copy):
    """Citations read "Kviklys (2026)" and "(Kviklys 2026)", several works "(A 2018; B and C 2024)";
    no numeric labels remain; the reference list is author-date and marks incomplete entries."""
    def text(page: str) -> str:
        html = (book_copy / "_build/html/book" / page).read_text(encoding="utf-8")
        body = html[html.index("<main"):]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body)).replace("&amp;", "&")

    matrix, states, refs = text("hedging-matrix.html"), text("small-states.html"), text("references.html")
    assert "Kviklys (2026) argues" in matrix and "Munir and Safdar (2024)" in matrix
    assert "(Kviklys 2026)" in text("introduction.html")
    assert re.search(r"\((?:[A-Z][^();]* \d{4}[a-z]?; )+[A-Z][^();]* \d{4}[a-z]?\)", states)
    for page in ("introduction.html", "small-states.html", "eu-hedging.html"):
        assert not re.search(r"\[\d{1,3}\]", text(page)), f"numeric citation in {page}"
    assert "Kviklys, Giedrius. 2026." in refs and "[Incomplete reference:" in refs
