"""A persistent cache of per-file facts (content hashes, parsed notebook cells), like git's index.

A cached fact is reused only while the file's identity and time stamps are unchanged
(inode, size, mtime and ctime; ctime cannot be set back by tools such as `touch -r`), so a
changed file is always read again. Decisions stay content-based: the cache only avoids
re-reading and re-parsing files that have not been touched since they were last read.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable


class FileCache:
    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[str, Any] = {}
        self.dirty = False
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                self.entries = {}

    def get(self, kind: str, file: Path, compute: Callable[[Path], Any]) -> Any:
        st = os.stat(file)
        stamp = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        key = f"{kind}:{Path(file).resolve()}"
        hit = self.entries.get(key)
        if hit is not None and hit["stamp"] == stamp:
            return hit["value"]
        value = compute(file)
        self.entries[key] = {"stamp": stamp, "value": value}
        self.dirty = True
        return value

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.entries, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, self.path)
        self.dirty = False


NO_CACHE = FileCache(None)
