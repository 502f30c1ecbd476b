"""Every path the engine uses, relative to one project root. No path literal elsewhere."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SPEC_FILE = "pipeline.yml"
# Time stamp written into outputs that need one (PDF dates): fixed, so builds are byte-identical.
# Override with the SOURCE_DATE_EPOCH environment variable.
DEFAULT_SOURCE_DATE_EPOCH = "1795564800"  # 2026-11-25, the release date of version 0.1.0


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` that holds a pipeline spec."""
    env = os.environ.get("REPROBOOK_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SPEC_FILE).is_file():
            return folder
    from .errors import ConfigError

    raise ConfigError(f"no {SPEC_FILE} found in {here} or any folder above it; run from the project folder")


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def spec(self) -> Path:
        return self.root / SPEC_FILE

    @property
    def lockfile(self) -> Path:
        return self.root / "requirements.lock"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def datapackage(self) -> Path:
        return self.data / "datapackage.json"

    @property
    def book(self) -> Path:
        return self.root / "book"

    @property
    def bib(self) -> Path:
        return self.root / "references.bib"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def manifest(self) -> Path:
        return self.results / "manifest.json"

    @property
    def build(self) -> Path:
        return self.root / "_build"

    @property
    def cache(self) -> Path:
        return self.build / "cache"

    @property
    def scratch(self) -> Path:
        return self.build / "scratch"

    @property
    def logs(self) -> Path:
        return self.build / "logs"

    @property
    def executed(self) -> Path:
        return self.build / "executed"

    @property
    def runs(self) -> Path:
        return self.build / "runs"

    @property
    def stamps(self) -> Path:
        return self.build / "stamps"

    @property
    def html(self) -> Path:
        return self.build / "html"

    @property
    def sphinx_work(self) -> Path:
        return self.build / "sphinx"

    @property
    def run_record(self) -> Path:
        return self.build / "run.json"

    @property
    def build_lock(self) -> Path:
        return self.build / ".lock"

    def rel(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.root).as_posix()
