"""The layout of one job run's folder; the only place that knows it.

    <folder>/
      out/               what the notebook saves through reprobook.nb: tables/, figures/, values.json, claims.json,
                         and provenance.json (which cell saved what; the engine's, not a declared output)
      out/notebooks/     <job>.ipynb, the executed notebook made a record (reprobook.provenance), added
                         when a successful run is stored
      input.ipynb        the notebook as papermill received it (before parameters)
      executed.ipynb     the executed notebook, with outputs
      job.log            cell outputs and errors, one line per stream
      kernel.log         the kernel's own stderr (warnings, tracebacks of the machinery)
      kernel.json        what the kernel reported about itself (interpreter, version, path)
      audit.log          reads and writes the guard refused (empty when none)

A run's folder lives under `_build/scratch/` while it runs; a successful run's folder is moved
whole into the cache (`_build/cache/<job>/<key>/`), where the record is assembled from its `out/`.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

PROVENANCE = "provenance.json"  # written by reprobook.nb next to the outputs (same name there)


@dataclass(frozen=True)
class JobDir:
    folder: Path

    @property
    def out(self) -> Path:
        return self.folder / "out"

    @property
    def provenance(self) -> Path:
        return self.out / PROVENANCE

    def record_notebook(self, job: str) -> Path:
        """The executed notebook made a record (reprobook.provenance), published as results/notebooks/<job>.ipynb."""
        return self.out / "notebooks" / f"{job}.ipynb"

    @property
    def input_notebook(self) -> Path:
        return self.folder / "input.ipynb"

    @property
    def executed(self) -> Path:
        return self.folder / "executed.ipynb"

    @property
    def log(self) -> Path:
        return self.folder / "job.log"

    @property
    def kernel_log(self) -> Path:
        return self.folder / "kernel.log"

    @property
    def kernel_report(self) -> Path:
        return self.folder / "kernel.json"

    @property
    def audit_log(self) -> Path:
        return self.folder / "audit.log"

    def create(self) -> "JobDir":
        """Start afresh: an empty folder with an empty out/."""
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.out.mkdir(parents=True)
        return self

    def written(self) -> list[str]:
        """Files the notebook saved as outputs, relative to out/, sorted (provenance.json, the
        engine's own note, is not an output)."""
        if not self.out.is_dir():
            return []
        return sorted(p.relative_to(self.out).as_posix() for p in self.out.rglob("*")
                      if p.is_file() and p != self.provenance)
