"""Progress while jobs run: a live bar (rich) on a terminal, plain lines in logs and CI."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def job_progress(total: int, say: Callable[[str], None]) -> Iterator[Callable[..., None]]:
    """Yields `event(message, advance=False)`: every message is printed as a line; on a terminal
    a bar below the lines also shows how many of `total` jobs have finished."""
    if not sys.stderr.isatty():
        yield lambda message, advance=False: say(message)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, highlight=False)
    with Progress(TextColumn("jobs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("jobs", total=total)

        def event(message: str, advance: bool = False) -> None:
            console.print(message, markup=False)
            if advance:
                bar.advance(task)

        yield event
