"""Command line: thin; every decision lives in the library."""
from __future__ import annotations

import argparse
import os
import sys

from .errors import ReprobookError


def _params(pairs: list[str]) -> dict:
    import yaml

    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ReprobookError(f"-p takes name=value, got '{pair}'")
        name, raw = pair.split("=", 1)
        try:
            out[name.strip()] = yaml.safe_load(raw) if raw.strip() else ""  # a literal, never evaluated
        except yaml.YAMLError:
            out[name.strip()] = raw
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reprobook", description="Reproducible book builds: notebooks -> results/ -> book.")
    parser.add_argument("-C", "--project", help="project folder (default: the nearest folder with pipeline.yml)")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="run stale jobs, update results/, build the HTML book")
    b.add_argument("--scheduler", default=None, help="'local' (default) or a Dask scheduler address")
    b.add_argument("-j", "--jobs", type=int, default=None, help="parallel jobs (default: number of cores)")
    b.add_argument("--no-book", action="store_true", help="update results/ only")
    b.add_argument("--force-book", action="store_true", help="rebuild the book even if nothing changed")

    sub.add_parser("status", help="dry run: which jobs are stale and why")
    sub.add_parser("validate", help="check data/ against its schemas")

    r = sub.add_parser("run", help="run one job into a scratch folder (never into results/)")
    r.add_argument("job")
    r.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="override a parameter (a literal)")

    v = sub.add_parser("verify", help="re-execute everything in a clean room and compare with the record")
    v.add_argument("-j", "--jobs", type=int, default=None)
    v.add_argument("--scheduler", default=None)

    d = sub.add_parser("diff", help="what changed in results/ since a git revision")
    d.add_argument("ref", nargs="?", default="HEAD")

    sub.add_parser("pdf", help="build the PDF book into _build/pdf/book.pdf (needs TeX Live)")
    sub.add_parser("readme", help="regenerate the README's list of tables and figures from the manifest")
    sub.add_parser("bibcheck", help="check references.bib and the citations in the book")

    args = parser.parse_args(argv)
    try:
        from .paths import Paths, find_root

        root = find_root(None if args.project is None else __import__("pathlib").Path(args.project))
        paths = Paths(root)
        return _dispatch(args, paths)
    except ReprobookError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: results/ is unchanged; the next build reuses finished jobs", file=sys.stderr)
        return 130


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

        plans = build.status(paths)
        stale = 0
        for p in plans:
            mark = {"fresh": "fresh ", "cached": "cached", "stale": "STALE "}[p.state]
            print(f"{mark} {p.job.name:24} " + ("; ".join(p.reasons) if p.reasons else "matches the manifest"))
            stale += p.state != "fresh"
        print(f"{stale} of {len(plans)} job(s) would run or be restored from the cache")
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

        return runone.run_one(paths, args.job, _params(args.param))
    if cmd == "verify":
        from . import verify

        return verify.main(paths, workers=args.jobs, executor=_scheduler(args))
    if cmd == "diff":
        from . import diff

        return diff.main(paths, args.ref)
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
    raise AssertionError(cmd)


if __name__ == "__main__":
    sys.exit(main())
