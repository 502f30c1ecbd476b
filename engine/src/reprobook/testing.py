"""Helpers for a project's own tests: run the real CLI on a copy of a project, hash a tree.

    from reprobook.testing import run_cli, tree_hashes

    def test_builds(tmp_path):
        proc = run_cli(project, "build", check=True)
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path


def run_cli(root: Path, *args: str, check: bool = False, timeout: float = 600,
            env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m reprobook ARGS` in `root` with this interpreter; returns the finished process
    (stdout and stderr as text). With check=True a non-zero exit raises AssertionError showing both."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("REPROBOOK_ROOT", None)
    proc = subprocess.run([sys.executable, "-m", "reprobook", *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"reprobook {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def tree_hashes(folder: Path) -> dict[str, str]:
    """Relative posix path -> sha256 of every file under `folder` ({} when it does not exist)."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
