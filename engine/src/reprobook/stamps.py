"""Stamps: the digest of what a step last checked or built, so an unchanged step is skipped."""
from __future__ import annotations

from pathlib import Path


def read(folder: Path, name: str) -> str:
    p = folder / name
    return p.read_text().strip() if p.is_file() else ""


def write(folder: Path, name: str, digest: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    tmp.write_text(digest + "\n")
    tmp.replace(folder / name)


def clear(folder: Path, name: str) -> None:
    (folder / name).unlink(missing_ok=True)
