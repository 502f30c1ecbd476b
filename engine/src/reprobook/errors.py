"""One exception hierarchy. Every message says where the problem is and what to do next."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding about an input: where it is, which rule it breaks, what to do."""

    file: str
    message: str
    rule: str = ""
    row: int | None = None  # 1-based line number in the file (header is line 1)
    column: str | None = None
    fix: str = ""

    def render(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"  # a spreadsheet's row number too (header = 1)
        if self.column:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.rule:
            text += f" [rule: {self.rule}]"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


class ReprobookError(Exception):
    """Base class: an error the user can act on. The CLI prints it without a traceback."""

    exit_code = 2

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])

    def render(self) -> str:
        lines = [f"error: {self}"]
        lines += ["  " + p.render().replace("\n", "\n  ") for p in self.problems]
        return "\n".join(lines)


class ConfigError(ReprobookError):
    """The pipeline spec, _config.yml or _toc.yml is wrong."""


class DataError(ReprobookError):
    """A data file breaks its schema."""


class JobError(ReprobookError):
    """One or more jobs failed; the record was left unchanged."""

    exit_code = 1


class BookError(ReprobookError):
    """The book build failed; the last built book was left in place."""

    exit_code = 1


class ResultRefError(ReprobookError):
    """The book names a value, a facet of a value or a table column that the record does not hold."""


class BibliographyError(ReprobookError):
    """references.bib is broken or does not hold a cited key."""


class LockBusy(ReprobookError):
    """Another build holds the project lock."""

    exit_code = 3


class ClaimError(ReprobookError):
    """A claim the book cites is false with the current data; nothing was published."""

    exit_code = 1


class PackageError(ReprobookError):
    """The replication package cannot be made (no record, or results that differ from it)."""


class IntegrityError(ReprobookError):
    """An unpacked replication package differs from its SHA256SUMS; nothing was run."""

    exit_code = 1
