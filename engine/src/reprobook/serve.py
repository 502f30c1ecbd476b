"""`reprobook serve`: an author's watch mode. Rebuild on save, reload the page in the browser.

On every batch of saved files the engine's plan (`reprobook.plan.make_plan`) decides what to do,
as it does for `build`: stale jobs run (and only those), results/ is published, and the book is
rebuilt from a Sphinx application loaded once (`reprobook.livebook`), which re-reads only the
pages whose sources or results changed. `_build/html` is updated file by file and served
over HTTP; each page carries a small script that reloads it when a rebuild finishes (the
websocket and script of sphinx-autobuild). A change the plan does not depend on does nothing.
A failing job or a bad input is reported in the terminal and the last good book stays served.
"""
from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass, field
from typing import Callable

from .build import say
from .errors import ReprobookError
from .livebook import LiveBook, sync_tree
from .paths import Paths
from .state import StateStore

RELOAD_PATH = "/websocket-reload"  # what sphinx-autobuild's injected script connects to


@dataclass
class Cycle:
    """What one rebuild did."""

    reasons: tuple[str, ...] = ()  # why jobs were stale, in words
    book_reasons: tuple[str, ...] = ()  # why the book was
    jobs: tuple[str, ...] = ()  # jobs executed
    book: str = "current"  # built | current
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


class Author:
    """Brings results/ and the book up to date, the way `build` does, with a live Sphinx application."""

    def __init__(self, paths: Paths, on_event: Callable[[str], None] = say):
        self.paths, self.say = paths, on_event
        self.live = LiveBook(paths)

    def cycle(self) -> Cycle:
        """One rebuild: run what the plan says is stale. Never raises for the user's mistakes:
        they come back in `Cycle.error` (results/ and the served book unchanged)."""
        from .book import needs_full_rebuild
        from .build import load_plan, run_checks, run_pipeline
        from .locking import project_lock
        from .plan import CURRENT, make_plan

        t0 = time.perf_counter()
        out = Cycle()
        try:
            with project_lock(self.paths.build_lock, say=self.say):
                store = StateStore(self.paths.state)
                pipeline, plan = load_plan(self.paths, store, with_book=True)
                if plan.up_to_date:
                    return out
                out.reasons = tuple(f"{jp.name}: {r}" for jp in plan.stale_jobs for r in jp.reasons)
                out.book_reasons = plan.book.reasons if plan.book else ()
                if plan.stale_jobs or plan.record_problems:
                    rec = run_pipeline(self.paths, store=store, plan=plan, pipeline=pipeline, on_event=self.say)
                    out.jobs = tuple(rec.executed)
                    step = make_plan(self.paths, pipeline, store, with_book=True).book
                else:
                    run_checks(self.paths, plan, store, self.say)
                    step = plan.book
                if step is not None and step.state != CURRENT:
                    full = needs_full_rebuild(step, store, step.name)
                    if full:
                        self.live.start()  # a new application reads the changed configuration or extension
                    out.warnings = self.live.build(full=full)
                    sync_tree(self.live.outdir, self.paths.html)
                    if not out.warnings or self.paths.settings.warnings == "report":
                        store.record_step(step.name, step.deps)  # else `build` rebuilds and reports them
                    out.book = "built"
                store.save()
        except ReprobookError as exc:
            out.error = exc.render()
        out.seconds = time.perf_counter() - t0
        return out

    def close(self) -> None:
        self.live.close()


def describe(c: Cycle) -> list[str]:
    """The terminal lines for one rebuild."""
    if c.error:
        return [c.error, "serve: the last good book is still served; save a fix to rebuild"]
    if not c.jobs and c.book == "current":
        return []
    shown = c.book_reasons if c.jobs else c.reasons + c.book_reasons  # a job's progress names its reasons
    lines = [f"  {r}" for r in shown[:8]] + (["  ..."] if len(shown) > 8 else [])
    lines += [f"  book warning: {w}" for w in c.warnings]
    ran = f"{len(c.jobs)} job(s) run ({', '.join(c.jobs)})" if c.jobs else "no job run"
    return lines + [f"serve: {ran}, book {c.book} ({c.seconds:.1f} s)"]


def watch_filter(paths: Paths):
    """Which changed files can matter: not the engine's own output, not the environment, not editors' files."""
    import watchfiles

    root = paths.root
    return watchfiles.DefaultFilter(ignore_paths=[root / "_build", paths.results, root / ".venv", root / ".git"])


def make_app(paths: Paths, author: Author, address: str):
    """The ASGI application: _build/html as static files, each HTML page with the reload script,
    and the websocket that tells pages to reload after each rebuild that changed the book. It
    says `serve: http://ADDRESS/` once the watcher is in place: every save after that is seen."""
    import watchfiles
    from sphinx_autobuild.middleware import JavascriptInjectorMiddleware
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount, WebSocketRoute
    from starlette.staticfiles import StaticFiles
    from starlette.websockets import WebSocket, WebSocketDisconnect

    clients: set[WebSocket] = set()
    stop, ready = asyncio.Event(), asyncio.Event()
    busy: list[bool] = []  # a rebuild is under way

    async def reload_socket(ws: WebSocket) -> None:
        await ws.accept()
        clients.add(ws)
        try:
            async for _ in ws.iter_text():
                pass
        except WebSocketDisconnect:
            pass
        finally:
            clients.discard(ws)

    async def rebuild() -> None:
        busy.append(True)
        try:
            c = await asyncio.to_thread(author.cycle)
        except Exception as exc:  # noqa: BLE001 - a fault of ours: say it, keep serving the last book
            say(f"serve: the rebuild stopped on an unexpected error ({type(exc).__name__}: {exc}); save again to retry")
            return
        finally:
            busy.clear()
        for line in describe(c):
            say(line)
        if c.book == "built":
            for ws in list(clients):
                try:
                    await ws.send_text("refresh")
                except Exception:  # noqa: BLE001 - a page that went away
                    clients.discard(ws)

    async def watch() -> None:
        # the first batch, empty after 250 ms, means the watches are in place
        async for changes in watchfiles.awatch(paths.root, watch_filter=watch_filter(paths), stop_event=stop,
                                               yield_on_timeout=True, rust_timeout=250):
            if not ready.is_set():
                await rebuild()  # what was saved while the first build ran
                ready.set()
            elif changes:
                await rebuild()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        task = asyncio.create_task(watch())
        await ready.wait()
        say(f"serve: http://{address}/ (rebuilds on save; Ctrl-C stops)")
        yield
        stop.set()
        if busy:
            say("serve: stopping once the rebuild under way has finished")
        await task

    return Starlette(routes=[WebSocketRoute(RELOAD_PATH, reload_socket),
                             Mount("/", app=_whole_files(StaticFiles)(directory=paths.html, html=True))],
                     middleware=[Middleware(JavascriptInjectorMiddleware, ws_url=address)], lifespan=lifespan)


def _whole_files(static_files: type) -> type:
    """Starlette's StaticFiles, reading each file whole from one open file. `sync_tree` replaces
    files (atomically) while a browser may be requesting them; Starlette's FileResponse stats the
    path and then opens it again, so across a replacement it would declare one version's length
    and send the other's, and the connection breaks. Pages are not cached (`no-store`): they change
    on every save."""
    import mimetypes

    from starlette.responses import Response

    class WholeFiles(static_files):  # type: ignore[misc, valid-type]
        def file_response(self, full_path, stat_result, scope, status_code: int = 200):
            try:
                with open(full_path, "rb") as fh:
                    body = fh.read()
            except OSError:  # gone meanwhile: Starlette's own answer
                return super().file_response(full_path, stat_result, scope, status_code)
            media_type = mimetypes.guess_type(str(full_path))[0] or "application/octet-stream"
            return Response(body, status_code=status_code, media_type=media_type,
                            headers={"Cache-Control": "no-store"})

    return WholeFiles


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on HOST:PORT (0: a free port). Raises ReprobookError when it cannot be had."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ReprobookError(f"cannot serve on {host}:{port} ({exc.strerror}); choose another port with "
                             "`reprobook serve --port N` (`make serve PORT=N`), or 0 for a free one") from None
    sock.listen(128)  # connections wait in the backlog until the server accepts them
    return sock


def serve(paths: Paths, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> int:
    """Build what is stale, then serve the book at http://HOST:PORT/ and rebuild on every save
    until interrupted (port 0: a free port). Returns the exit code. Raises ReprobookError when the
    optional packages it needs (`reprobook[serve]`: sphinx-autobuild and what it brings) are missing."""
    import importlib.util

    missing = [m for m in ("uvicorn", "starlette", "watchfiles", "sphinx_autobuild") if importlib.util.find_spec(m) is None]
    if missing:
        raise ReprobookError(f"`reprobook serve` needs {', '.join(missing)}, which are not installed; install them "
                             "with `pip install 'reprobook[serve]'` (or add sphinx-autobuild to your requirements)")
    import uvicorn

    author = Author(paths)
    try:
        first = author.cycle()
        for line in describe(first):
            say(line)
        if not (paths.html / "index.html").is_file():
            say("serve: there is no built book to serve yet; fix the error above and run `reprobook serve` again")
            return 1
        if author.live.proc is None:
            author.live.start()  # loaded now, so that the first save costs no more than the next
        sock = listen(host, port)
        address = f"{host}:{sock.getsockname()[1]}"
        if open_browser:
            import webbrowser

            webbrowser.open(f"http://{address}/")
        server = uvicorn.Server(uvicorn.Config(make_app(paths, author, address), log_level="warning"))
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn shuts down on Ctrl-C or SIGTERM, then raises the signal again
            pass
        say("serve: stopped")
    finally:
        author.close()
    return 0
