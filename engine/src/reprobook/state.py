"""The state store: what the last successful build read and produced, and why something differs.

In the spirit of doit's `dependency.py`, one module answers "what did the last run read?":

- the **record** (`results/manifest.json`, committed): for every job, the key and the
  dependencies it was computed from (notebook code, parameters, inputs, project code,
  environment), and every artifact with its sha256;
- the **local state** (`_build/state.json`, disposable): the same for the steps whose results are
  not committed (the book, the data and bibliography checks, the PDF), the environment the job
  kernels reported, and a stat cache of per-file facts (content hashes, parsed notebooks), like
  git's index, so that an unchanged file is not read again.

A step's dependencies are a flat mapping of names (`file:data/x.csv`, `engine`, `env`, ...) to
digests; `differences(old, new)` says in words what changed. A cached fact is reused only while
the file's inode, size, mtime and ctime are unchanged (ctime cannot be set back by tools such as
`touch -r`), so every decision stays content-based.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

FORMAT = 2


@dataclass(frozen=True)
class Step:
    """What one step read (name -> digest) and, optionally, what it produced."""

    deps: dict[str, str]
    produced: dict[str, Any]

    def to_json(self) -> dict:
        return {"deps": self.deps, "produced": self.produced}


class StateStore:
    """The local state (`_build/state.json`): steps, environment reports and the file-fact cache.

    Load with `StateStore(path)`; nothing is written until `save()`. A missing or unreadable file
    is an empty store (everything is then decided afresh; nothing is assumed up to date)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._data: dict[str, Any] = {"format": FORMAT, "steps": {}, "facts": {}, "environment": {}}
        self._dirty = False
        if path is not None and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and data.get("format") == FORMAT:
                    self._data.update(data)
            except (OSError, json.JSONDecodeError, UnicodeDecodeError):
                pass

    # --- per-file facts (the stat cache) -------------------------------------------------------
    def fact(self, kind: str, file: Path, compute: Callable[[Path], Any]) -> Any:
        """`compute(file)`, reused while the file is untouched since it was last computed."""
        st = os.stat(file)
        stamp = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        key = f"{kind}:{_recordable(file)}"
        hit = self._data["facts"].get(key)
        if hit is not None and hit["stamp"] == stamp:
            return hit["value"]
        value = compute(file)
        self._data["facts"][key] = {"stamp": stamp, "value": value}
        self._dirty = True
        return value

    # --- steps ---------------------------------------------------------------------------------
    def step(self, name: str) -> Step | None:
        raw = self._data["steps"].get(name)
        return None if raw is None else Step(raw.get("deps", {}), raw.get("produced", {}))

    def record_step(self, name: str, deps: dict[str, str], produced: dict[str, Any] | None = None) -> None:
        self._data["steps"][name] = Step(dict(deps), dict(produced or {})).to_json()
        self._dirty = True

    def forget_step(self, name: str) -> None:
        if self._data["steps"].pop(name, None) is not None:
            self._dirty = True

    # --- environment ---------------------------------------------------------------------------
    def environment(self) -> dict[str, Any]:
        """The last environment description computed or reported by a kernel (may be {})."""
        return dict(self._data.get("environment") or {})

    def record_environment(self, env: dict[str, Any]) -> None:
        if self._data.get("environment") != env:
            self._data["environment"] = env
            self._dirty = True

    def kernel(self) -> dict[str, Any]:
        """What the last job kernel reported about itself (interpreter, version, path)."""
        return dict(self._data.get("kernel") or {})

    def record_kernel(self, report: dict[str, Any]) -> None:
        if self._data.get("kernel") != report:
            self._data["kernel"] = report
            self._dirty = True

    def save(self) -> None:
        """Write the store atomically (only when something changed)."""
        if not self._dirty or self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self._data, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)
        self._dirty = False


def _recordable(file: Path) -> str:
    """The absolute path of `file` as the store records it. Raises ConfigError when its name is not
    valid UTF-8 (written in another encoding, Python reads it with surrogate escapes): the store,
    and the record, keep names in UTF-8."""
    from .errors import ConfigError

    path = os.path.abspath(file)
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise ConfigError(f"{shown}: this file name is not valid UTF-8 (it was written in another encoding, "
                          "such as Latin-1); rename the file in UTF-8, e.g. `convmv -f latin1 -t utf-8 --notest "
                          "FILE`, since the build records file names in UTF-8") from None
    return path


def differences(old: dict[str, str] | None, new: dict[str, str], describe: Callable[[str], str] = str) -> list[str]:
    """Reasons, in words, why `new` dependencies differ from `old` ([] when equal)."""
    if old is None:
        return ["never built here"]
    out = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        what = describe(name)
        if name not in old and not name.startswith("rules:"):  # rules were there before they were recorded
            out.append(f"{what} added")
        elif name not in new:
            out.append(f"{what} removed")
        else:
            out.append(f"{what} changed")
    return out
