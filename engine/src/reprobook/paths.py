"""Every path the engine uses, relative to one project root and its settings. No path literal elsewhere.

The layout of a project comes from the `settings: paths:` block of pipeline.yml (see
`reprobook.settings`); what the engine itself writes lives under `_build/` (disposable) and
`results/` (the outputs of record, committed).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .settings import SPEC_FILE, Settings

RESULTS = "results"
BUILD = "_build"


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: the working directory) holding pipeline.yml.

    REPROBOOK_ROOT, when set, wins. Raises ConfigError when there is none."""
    env = os.environ.get("REPROBOOK_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SPEC_FILE).is_file():
            return folder
    from .errors import ConfigError

    raise ConfigError(f"no {SPEC_FILE} found in {here} or any folder above it; run from the project folder "
                      "or create a project with `reprobook init DIR`")


@dataclass(frozen=True)
class Paths:
    """The project's files and folders: `root` (absolute) laid out by `settings`."""

    root: Path
    settings: Settings = field(default_factory=Settings)

    @classmethod
    def load(cls, root: Path) -> "Paths":
        """Paths of the project at `root`, with the settings of its pipeline.yml (validated)."""
        from . import spec

        return cls(Path(root).resolve(), spec.load_settings(Path(root)))

    # --- the project's own files ---------------------------------------------------------------
    @property
    def spec(self) -> Path:
        return self.root / SPEC_FILE

    @property
    def lockfile(self) -> Path:
        return self.root / self.settings.paths.lock

    @property
    def data(self) -> Path:
        return self.root / self.settings.paths.data

    @property
    def datapackage(self) -> Path:
        explicit = self.settings.paths.datapackage
        return self.root / explicit if explicit else self.data / "datapackage.json"

    @property
    def book(self) -> Path:
        return self.root / self.settings.paths.book

    @property
    def bib(self) -> Path:
        return self.root / self.settings.paths.bibliography

    @property
    def code_dirs(self) -> tuple[Path, ...]:
        return tuple(self.root / c for c in self.settings.paths.code)

    @property
    def toc(self) -> Path:
        return self.root / "_toc.yml"

    @property
    def config(self) -> Path:
        return self.root / "_config.yml"

    @property
    def citation(self) -> Path:
        return self.root / "CITATION.cff"

    # --- the record ----------------------------------------------------------------------------
    @property
    def results(self) -> Path:
        return self.root / RESULTS

    @property
    def manifest(self) -> Path:
        return self.results / "manifest.json"

    @property
    def values(self) -> Path:
        return self.results / "values.json"

    # --- disposable ----------------------------------------------------------------------------
    @property
    def build(self) -> Path:
        return self.root / BUILD

    @property
    def state(self) -> Path:
        return self.build / "state.json"

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

    @property
    def kernel_home(self) -> Path:
        """Private configuration folders of job kernels (matplotlib, IPython, Jupyter)."""
        return self.build / "kernel"

    def rel(self, path: Path) -> str:
        """`path` relative to the project root, posix style (absolute paths outside it stay as they are)."""
        p = Path(path).resolve()
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return str(p)
