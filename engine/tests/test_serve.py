"""`reprobook serve`: a save is rebuilt from the plan, served over HTTP, and the page told to reload."""
from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from reprobook.errors import ReprobookError
from reprobook.livebook import sync_tree
from reprobook.serve import listen


def test_sync_tree_copies_changes_and_removes_what_is_gone(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "a").mkdir(parents=True)
    (src / "a" / "page.html").write_text("one")
    (src / "same.css").write_text("css")
    assert sync_tree(src, dest) == 2
    assert sync_tree(src, dest) == 0  # nothing changed: nothing copied
    (src / "a" / "page.html").write_text("two, longer")
    (dest / "old.html").write_text("stale")
    assert sync_tree(src, dest) == 1
    assert (dest / "a" / "page.html").read_text() == "two, longer" and not (dest / "old.html").exists()


def test_a_page_replaced_while_it_is_requested_is_served_whole(tmp_path):
    """`serve` replaces pages while a browser may be reading them: every response is one whole
    version of the page, never a broken connection or a mix (what Starlette's FileResponse gives)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    from reprobook.serve import _whole_files

    site = tmp_path / "html"
    site.mkdir()
    versions = [b"<p>" + b"a" * 200_000 + b"</p>", b"<p>" + b"b" * 5_000 + b"</p>"]
    page = site / "page.html"
    page.write_bytes(versions[0])
    app = Starlette(routes=[Mount("/", app=_whole_files(StaticFiles)(directory=site, html=True))])
    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="error"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    stop = threading.Event()

    def replace_again_and_again():
        i = 0
        while not stop.is_set():
            tmp = site / ".page.html.sync"
            tmp.write_bytes(versions[i % 2])
            os.replace(tmp, page)
            i += 1

    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        swapper = threading.Thread(target=replace_again_and_again, daemon=True)
        swapper.start()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/page.html"
        for _ in range(300):
            with urllib.request.urlopen(url, timeout=10) as r:
                assert r.read() in versions
    finally:
        stop.set()
        server.should_exit = True


def test_serve_without_its_optional_packages_says_how_to_install_them(mini, monkeypatch):
    """A missing package is simulated (a fault this environment cannot have): the message names it
    and the extra to install, before anything is built."""
    import importlib.util

    from reprobook.paths import Paths
    from reprobook.serve import serve

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    with pytest.raises(ReprobookError, match=r"needs uvicorn.*pip install 'reprobook\[serve\]'"):
        serve(Paths.load(mini), port=0)
    assert not (mini / "_build").exists()


def test_a_port_in_use_is_a_clear_error():
    taken = listen("127.0.0.1", 0)
    try:
        with pytest.raises(ReprobookError, match=r"cannot serve on 127\.0\.0\.1:\d+ .*--port"):
            listen("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


class Server:
    """`python -m reprobook serve --port 0` in a project; its terminal lines read as they come."""

    def __init__(self, root):
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPROBOOK_")}
        self.proc = subprocess.Popen([sys.executable, "-m", "reprobook", "serve", "--port", "0"], cwd=root, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=lambda: [self.lines.put(ln) for ln in self.proc.stderr], daemon=True).start()
        self.url = re.search(r"http://\S+/", self.wait_line("serve: http", 300)).group(0)

    def wait_line(self, text: str, timeout: float) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.proc.poll() is None, "serve exited:\n" + "".join(self.seen)
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} within {timeout} s:\n" + "".join(self.seen))

    def lines_for(self, seconds: float) -> list[str]:
        """What serve prints in the next `seconds`."""
        end, out = time.monotonic() + seconds, []
        while time.monotonic() < end:
            try:
                out.append(self.lines.get(timeout=0.1))
            except queue.Empty:
                pass
        self.seen += out
        return out

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=5) as r:
            return r.read().decode()

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(timeout=20)


def browser():
    """Headless Chromium through selenium, or None where Debian's chromium and chromium-driver are missing."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=opts)


def wait_until(check, timeout: float) -> float:
    t0 = time.perf_counter()
    while not check():
        assert time.perf_counter() - t0 < timeout, f"not served within {timeout} s"
        time.sleep(0.02)
    return time.perf_counter() - t0


@pytest.mark.xdist_group("waits")  # it mostly waits: see engine/tests/conftest.py
@pytest.mark.slow
def test_serve_rebuilds_prose_and_data_edits(mini):
    from websockets.sync.client import connect

    # numbered chapters across parts (sphinx-multitoc-numbering), as books have them
    (mini / "_toc.yml").write_text("format: jb-book\nroot: book/index\nparts:\n  - caption: Study\n    numbered: true\n"
                                   "    chapters:\n      - file: book/results\n")
    server = Server(mini)
    try:
        page = server.get("book/index.html")
        assert "8.0" in page and "/websocket-reload" in page  # the value, and the reload script
        with connect(server.url.replace("http", "ws") + "websocket-reload", open_timeout=10) as ws:
            # prose only: no job runs, the new text is served, the page is told to reload; chapter
            # numbers stay as they are, save after save (how fast: `make bench`, target 2 s)
            for i in range(2):
                with open(mini / "book/results.md", "a") as fh:
                    fh.write(f"\nSentence {i} written while serving.\n")
                wait_until(lambda: f"Sentence {i} written while serving" in server.get("book/results.html"), 60)
                assert ws.recv(timeout=5) == "refresh"
                assert "no job run" in server.wait_line("serve: ", 10)
                assert 'section-number">1. ' in server.get("book/results.html")
            # a data edit re-runs the job that reads it (only that one); an open page reloads by itself
            page = browser()
            if page is not None:
                page.get(server.url + "book/index.html")
                page.execute_script("window.notReloaded = true")
            with open(mini / "data/numbers.csv", "a") as fh:
                fh.write("b,10\n")
            assert "1 job(s) run (sums)" in server.wait_line("serve: ", 180)
            assert "18.0" in server.get("book/index.html")
            assert ws.recv(timeout=5) == "refresh"
            if page is not None:
                try:
                    wait_until(lambda: "18.0" in page.page_source, 10)
                    assert page.execute_script("return window.notReloaded === undefined")
                finally:
                    page.quit()
        # a bad input is reported, and the last good book stays served; putting it back needs no job
        good = (mini / "data/numbers.csv").read_text()
        (mini / "data/numbers.csv").write_text(good + "z,-1\n")
        server.wait_line("the last good book is still served", 60)
        assert any("numbers.csv" in ln for ln in server.seen) and not any("Traceback" in ln for ln in server.seen)
        assert "18.0" in server.get("book/index.html")
        (mini / "data/numbers.csv").write_text(good)
        # a save the plan does not depend on changes nothing
        (mini / "notes.txt").write_text("not part of the book\n")
        assert not any(ln.startswith("serve: ") for ln in server.lines_for(1.5))
    finally:
        code = server.stop()
    assert code in (0, -15)
    status = subprocess.run([sys.executable, "-m", "reprobook", "status"], cwd=mini, capture_output=True, text=True)
    assert "up to date" in status.stdout  # what serve built is recorded: `build` has nothing left to do
