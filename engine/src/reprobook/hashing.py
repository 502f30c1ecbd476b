"""Content hashes: what a result depends on is decided by content, never by file times.

Text files are hashed with their line ends normalised (CRLF -> LF), so that a checkout with
`core.autocrlf=true` cannot flip the record; binary files (a NUL byte in the first 8 KiB, or
not UTF-8) by their bytes. Files the engine writes itself use LF, so for them the content hash is
the plain sha256 of the bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

CHUNK = 1 << 20
SNIFF = 8192


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> bytes:
    """JSON with sorted keys and no spaces: equal data, equal bytes."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ordered_json(obj: Any) -> bytes:
    """JSON keeping the order of mappings (for parameters, whose order a notebook may follow)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256_json(obj: Any) -> str:
    return sha256_bytes(canonical_json(obj))


def is_text(head: bytes) -> bool:
    """Git's rule of thumb: no NUL byte in the first 8 KiB, and it decodes as UTF-8."""
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a multi-byte character cut at the end of the sniffed block
    return True


def content_sha256(path: Path) -> str:
    """sha256 of a file's content: line ends normalised for text, raw bytes for binary files."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        head = fh.read(SNIFF)
        if not is_text(head):
            h.update(head)
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                h.update(chunk)
            return h.hexdigest()
        carry = b""
        chunk = head
        while chunk:
            data = carry + chunk
            if data.endswith(b"\r"):
                data, carry = data[:-1], b"\r"
            else:
                carry = b""
            h.update(data.replace(b"\r\n", b"\n"))
            chunk = fh.read(CHUNK)
        h.update(carry)
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    """sha256 of a file's bytes, exactly."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def digest_map(entries: dict[str, str]) -> str:
    """One hash over a mapping of names to hashes."""
    return sha256_json(entries)


def files_under(root: Path, folders: Iterable[str], suffixes: tuple[str, ...] | None = None) -> list[str]:
    """Project-relative posix paths of the files in `folders` (files named directly count too),
    without hidden files and __pycache__."""
    out = []
    for folder in folders:
        base = root / folder
        if base.is_file():
            out.append(Path(folder).as_posix())
            continue
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
            for f in filenames:
                if f.startswith("."):
                    continue
                if suffixes and not f.endswith(suffixes):
                    continue
                out.append((Path(dirpath) / f).relative_to(root).as_posix())
    return sorted(out)
