"""Command line: thin; every decision lives in the library."""
from __future__ import annotations

import argparse
import sys

from .errors import ReprobookError


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser: every subcommand and option (the adopter's guide is generated from it)."""
    parser = argparse.ArgumentParser(prog="reprobook", description="Reproducible book builds: notebooks -> results/ -> book.")
    parser.add_argument("-C", "--project", help="project folder (default: the nearest folder with pipeline.yml)")
    sub = parser.add_subparsers(dest="command", required=True)

    i = sub.add_parser("init", help="write a small working project into a new or empty folder")
    i.add_argument("directory", metavar="DIR", help="the folder to create (it must not exist, or be empty)")

    b = sub.add_parser("build", help="run stale jobs, update results/, build the HTML book")
    b.add_argument("--scheduler", default=None, help="'local' (default) or a Dask scheduler address")
    b.add_argument("-j", "--jobs", type=int, default=None, help="parallel jobs (default: number of cores)")
    b.add_argument("--no-book", action="store_true", help="update results/ only")
    b.add_argument("--force-book", action="store_true", help="rebuild the book even if nothing changed")

    sub.add_parser("status", help="dry run: which jobs are stale and why")
    sub.add_parser("validate", help="check data/ against its schemas")

    r = sub.add_parser("run", help="run one job into a scratch folder (never into results/)")
    r.add_argument("job", help="the job's name in pipeline.yml")
    r.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="override a parameter (a literal)")

    v = sub.add_parser("verify", help="re-execute everything in a clean room and compare with the record")
    v.add_argument("-j", "--jobs", type=int, default=None)
    v.add_argument("--scheduler", default=None)

    d = sub.add_parser("diff", help="what changed in results/ since a git revision")
    d.add_argument("ref", nargs="?", default="HEAD", help="a git commit, branch or tag to compare with")

    w = sub.add_parser("serve", help="author's watch mode: rebuild what a save makes stale, serve the book, reload the page")
    w.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    w.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0: a free port)")
    w.add_argument("--open", action="store_true", help="open the book in the web browser")

    sub.add_parser("pdf", help="build the PDF book into _build/pdf/book.pdf (needs TeX Live)")
    sub.add_parser("readme", help="regenerate the README's list of tables and figures from the manifest")
    sub.add_parser("bibcheck", help="check references.bib and the citations in the book")

    sub.add_parser("package", help="write the replication package _build/package/<name>-<version>.zip")
    c = sub.add_parser("certify", help="in an unpacked package: check SHA256SUMS, re-execute, write a certificate")
    c.add_argument("-j", "--jobs", type=int, default=None)
    c.add_argument("--scheduler", default=None)
    c.add_argument("--check-only", action="store_true", help="only check the files against SHA256SUMS")
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, a CI job's timeout, an editor's stop button), handled as Ctrl-C is: a build
    ends its workers and kernels, writes nothing of record and releases the lock (`serve` lets a
    rebuild that has begun finish first, then stops)."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """The command line. Returns the exit code: 0, 1 (a check failed: verify, certify, a job),
    2 (an error the message explains), 130 after Ctrl-C, 143 after SIGTERM (`serve`, which runs
    until stopped, exits 0 when stopped while serving)."""
    import signal
    import threading

    args = build_parser().parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(args)
    except BrokenPipeError:  # `reprobook diff | head`: the reader has what it wanted
        import os

        if not _stdout_closed():
            raise  # another pipe (a child process, stderr): a fault to show, not to hide
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that flushing stdout at exit does not fail again
        os.close(devnull)
        return 141  # 128 + SIGPIPE, as a shell reports a program that a closed pipe ended
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stdout_closed() -> bool:
    """Whether standard output is a pipe whose reading end was closed."""
    import os
    import select
    import stat

    try:
        if not stat.S_ISFIFO(os.fstat(sys.stdout.fileno()).st_mode):
            return False
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poll.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _main(args) -> int:
    try:
        if args.command == "init":
            return _init(args.directory)
        from .paths import Paths, find_root

        from pathlib import Path

        root = find_root(None if args.project is None else Path(args.project))
        paths = Paths.load(root)
        return _dispatch(args, paths)
    except ReprobookError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        builds = args.command in ("build", "pdf", "serve")
        print(f"{what}: " + ("results/ is unchanged; the next build reuses finished jobs" if builds else
                             "nothing of record was changed"), file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


def _init(directory: str) -> int:
    from pathlib import Path

    from . import init

    dest = Path(directory)
    written = init.init(dest)
    print(f"wrote {len(written)} files into {dest}/:")
    for path in written:
        print(f"  {path.relative_to(dest.absolute()).as_posix()}")
    print(f"next: cd {directory} && pip install -r requirements.txt && make book && make test  (in the "
          "environment where reprobook is installed; see README.md)")
    return 0


def status_lines(plan) -> list[str]:
    """What `status` prints: one line per job, check and the book, then a summary."""
    lines = []
    for jp in plan.jobs:
        mark = {"fresh": "fresh ", "cached": "cached", "stale": "STALE "}[jp.state]
        lines.append(f"{mark} {jp.job.name:24} " + ("; ".join(jp.reasons) if jp.reasons else "matches the record"))
    stale = len(plan.stale_jobs)
    for step in plan.checks + ((plan.book,) if plan.book is not None else ()):
        if step is plan.book and step.state == "current" and stale:  # it shows results that may change
            lines.append(f"after  {step.name:24} current now; rebuilt if the jobs above change the results it shows")
            continue
        mark = "fresh " if step.state == "current" else "STALE "
        lines.append(f"{mark} {step.name:24} " + ("; ".join(step.reasons[:6]) + (" ..." if len(step.reasons) > 6 else "")
                                                   if step.reasons else "current"))
    for problem in plan.record_problems:
        lines.append(f"STALE  record: {problem}")
    for d in plan.lock_differences:
        lines.append(f"environment: {d}")
    if plan.lock_differences:
        lines.append("environment: .venv differs from the lock; `make setup` (or uv pip sync) restores it")
    lines.append("up to date: build has nothing to do" if plan.up_to_date else
                 f"{stale} of {len(plan.jobs)} job(s) would run or be restored from the cache"
                 + ("" if plan.book is None or plan.book.state == "current" else "; the book would be rebuilt"))
    return lines


def _scheduler(args) -> str | None:
    return args.scheduler  # None: SCHEDULER from make/the environment, then pipeline.yml settings, then local


def _dispatch(args, paths) -> int:
    cmd = args.command
    if cmd == "build":
        from . import build

        build.build(paths, executor=_scheduler(args), workers=args.jobs, with_book=not args.no_book,
                    force_book=args.force_book)
        return 0
    if cmd == "status":
        from . import build

        plan = build.status(paths)
        for line in status_lines(plan):
            print(line)
        return 0
    if cmd == "validate":
        from . import validate

        if not paths.datapackage.is_file():
            print(f"data: no {paths.rel(paths.datapackage.parent)}/{paths.datapackage.name}, nothing to validate "
                  "(optional: a Frictionless data package there has every data file checked before a build)")
            return 0
        validate.check(paths.datapackage, paths.root)
        print("data: all files match their schemas")
        return 0
    if cmd == "run":
        from . import runone

        from .params import parse_cli

        return runone.run_one(paths, args.job, parse_cli(args.param))
    if cmd == "verify":
        from . import verify

        return verify.main(paths, workers=args.jobs, executor=_scheduler(args))
    if cmd == "diff":
        from . import diff

        return diff.main(paths, args.ref)
    if cmd == "serve":
        from . import serve

        return serve.serve(paths, args.host, args.port, args.open)
    if cmd == "pdf":
        from . import pdf

        pdf.build_pdf(paths)
        return 0
    if cmd == "readme":
        from . import readme

        readme.update(paths)
        return 0
    if cmd == "bibcheck":
        from . import bibcheck

        bibcheck.check(paths, report=True)
        return 0
    if cmd in ("package", "certify"):
        return _dispatch_kit(args, paths)
    raise AssertionError(cmd)


def _dispatch_kit(args, paths) -> int:
    """The reviewer kit: `package` and `certify`."""
    if args.command == "package":
        from . import package

        print("\n".join(package.describe(package.build_package(paths), paths)))
        return 0
    from . import certify

    if args.check_only:
        print(f"certify: {certify.check_archive(paths.root)} files match {certify.SUMS}")
        return 0
    cert = certify.certify(paths, workers=args.jobs, executor=_scheduler(args),
                           say=lambda line: print(line, file=sys.stderr, flush=True))
    written = certify.write(cert, paths.build / certify.FOLDER)
    print("\n".join(certify.summary(cert, written, paths)))
    return 0 if cert.certified else 1


if __name__ == "__main__":
    sys.exit(main())
