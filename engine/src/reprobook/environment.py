"""The environment jobs run in: the project's interpreter and the distributions its kernels see.

Jobs always run in the project's own interpreter (`sys.executable` of the environment reprobook is
installed in), never in a kernelspec looked up by name. Its environment is described by the
interpreter's version and every installed distribution (name and version, read with
`importlib.metadata` from the interpreter's own `sys.path`, user site-packages excluded as in the
kernels), besides the lock file. The digest of that description is part of every job's key: a
package installed, removed or upgraded in `.venv` makes every job stale, and `status` names it.

Listing distributions takes ~0.2 s, so the description is cached in the state store against the
identity and time stamps of the site-packages folders (installing or removing a distribution
always adds or removes a `*.dist-info` folder there, which changes the folder's time stamp).
"""
from __future__ import annotations

import json
import os
import platform
import re
import site
import sys
from pathlib import Path
from typing import Any

from .hashing import content_sha256, sha256_json

# Tools that install packages; they are never imported by an analysis, and the venv's own copy
# depends on how the venv was made, not on the lock.
INSTALLERS = frozenset({"pip", "uv", "wheel"})


def canonical_name(name: str) -> str:
    """PEP 503 normalised distribution name: lowercase, runs of -_. as one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def search_path() -> list[str]:
    """The folders the kernels find distributions in: this interpreter's site-packages folders
    (without the user's) and the folders their .pth files add, in the order `site` puts them on
    sys.path. What a fresh interpreter has, not this process's sys.path: the kernels start the same
    interpreter with the project's code folders as PYTHONPATH, so the script's folder, the user's
    PYTHONPATH and what a test runner inserts (pytest puts the tests' and the project's folders
    first) are not theirs."""
    import glob

    user = site.getusersitepackages() if hasattr(site, "getusersitepackages") else ""
    out: list[str] = []
    for folder in site.getsitepackages():
        if not os.path.isdir(folder) or folder == user:
            continue
        out.append(os.path.abspath(folder))
        for pth in sorted(glob.glob(os.path.join(glob.escape(folder), "*.pth"))):  # site.addpackage's rules
            try:
                with open(pth, encoding="utf-8", errors="replace") as fh:
                    lines = fh.read().splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.rstrip()
                if not line or line.startswith("#") or line.startswith(("import ", "import\t")):
                    continue
                path = os.path.abspath(os.path.join(folder, line))
                if os.path.isdir(path) and path not in out:
                    out.append(path)
    return out


def _stamp(folders: list[str]) -> list:
    out = []
    for f in folders:
        try:
            st = os.stat(f)
            out.append([f, st.st_ino, st.st_mtime_ns])
        except OSError:
            out.append([f, None, None])
    return out


def _name_and_version(dist) -> tuple[str | None, str]:
    """(Name, Version) from a distribution's core metadata headers, read as plain lines: what
    `dist.metadata` gives, without parsing the whole file as an e-mail message (a tenth of a
    second for an environment of 170 distributions, on every first build of a project)."""
    try:
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    except (OSError, UnicodeDecodeError):
        text = ""
    name = version = None
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first empty line
        field, _, value = line.partition(":")
        field = field.strip().lower()
        if field == "name" and name is None:
            name = value.strip()
        elif field == "version" and version is None:
            version = value.strip()
    return name, version or ""


def distributions(folders: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(name -> version of every distribution found in `folders`, name -> local path of those
    installed from a local folder, e.g. the engine and the study installed from the checkout)."""
    from importlib import metadata

    found: dict[str, str] = {}
    local: dict[str, str] = {}
    for dist in metadata.distributions(path=folders):
        name, version = _name_and_version(dist)
        if not name:
            continue
        key = canonical_name(name)
        if key in found:
            continue  # the first on the path wins, as for imports
        found[key] = version
        try:
            direct = dist.read_text("direct_url.json")
        except (OSError, UnicodeDecodeError):
            direct = None
        if direct:
            try:
                url = json.loads(direct).get("url", "")
            except json.JSONDecodeError:
                url = ""
            if url.startswith("file://"):
                local[key] = url[len("file://"):]
    return dict(sorted(found.items())), dict(sorted(local.items()))


def describe(store=None) -> dict[str, Any]:
    """{"python", "implementation", "packages": {name: version}, "local": {name: path}} of this
    interpreter; cached in `store` (a StateStore) against the site-packages folders' stamps."""
    folders = search_path()
    stamp = [sys.executable, sys.version, _stamp(folders)]
    if store is not None:
        cached = store.environment()
        if cached.get("stamp") == stamp and "description" in cached:
            return cached["description"]
    packages, local = distributions(folders)
    desc = {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "packages": {k: v for k, v in packages.items() if k not in INSTALLERS}, "local": local}
    if store is not None:
        store.record_environment({"stamp": stamp, "description": desc, "executable": sys.executable})
    return desc


def record_form(desc: dict[str, Any]) -> dict[str, Any]:
    """What goes into the committed record: no machine-specific paths."""
    return {"python": desc["python"], "implementation": desc.get("implementation", "CPython"),
            "packages": desc["packages"]}


def digest(desc: dict[str, Any], lockfile: Path) -> str:
    """The environment's part of every job key: interpreter, distributions and the lock's content."""
    lock = content_sha256(lockfile) if lockfile.is_file() else "<no lock>"
    return sha256_json({**record_form(desc), "lock": lock})


def locked_versions(lockfile: Path) -> dict[str, str]:
    """name -> version pinned in a requirements lock (`name==version` lines; hashes ignored, markers evaluated)."""
    out: dict[str, str] = {}
    if not lockfile.is_file():
        return out
    for line in lockfile.read_text(encoding="utf-8").splitlines():
        line = line.split(" #", 1)[0].strip().rstrip("\\").strip()
        requirement, _, marker = line.partition(";")
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;]+)", requirement.strip())
        if not m or not _marker_applies(marker.strip()):
            continue
        out[canonical_name(m.group(1))] = m.group(3)
    return out


def _marker_applies(marker: str) -> bool:
    """Whether an environment marker (`sys_platform == 'win32'`) holds for this interpreter."""
    if not marker:
        return True
    try:
        from packaging.markers import Marker

        return Marker(marker).evaluate()
    except Exception:  # noqa: BLE001 - an unreadable marker: keep the pin
        return True


def lock_differences(desc: dict[str, Any], lockfile: Path) -> list[str]:
    """Where the installed distributions differ from the lock, in words ([] when they agree or
    there is no lock). Distributions installed from local folders (the project's own) are not
    differences."""
    locked = locked_versions(lockfile)
    if not locked:
        return []
    have = desc["packages"]
    local = set(desc.get("local", {}))
    out = []
    for name in sorted(set(locked) | set(have)):
        if name in INSTALLERS or name in local:
            continue
        a, b = have.get(name), locked.get(name)
        if a == b:
            continue
        if b is None:
            out.append(f"{name} {a} is installed but not in the lock")
        elif a is None:
            out.append(f"{name} {b} is in the lock but not installed")
        else:
            out.append(f"{name} {a} is installed, the lock has {b}")
    return out


def package_changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """What changed between two package maps, in words (e.g. 'pandas 3.1.1 -> 3.1.2')."""
    out = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a != b:
            out.append(f"{name} {a or '(none)'} -> {b or '(none)'}")
    return out


def machine() -> dict[str, Any]:
    """The machine a run happened on (for reports and certificates; never part of a key)."""
    return {"os": platform.platform(), "machine": platform.machine(), "cpu": _cpu_model(),
            "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "interpreter": sys.executable}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
