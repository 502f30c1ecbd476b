"""Shared fixtures of the study's tests."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from reprobook.testing import copy_project, run_cli

REPO = Path(__file__).resolve().parents[1]
ENGINE_FIXTURES = REPO / "engine" / "tests" / "fixtures"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A copy of the engine's small fixture project."""
    dest = tmp_path / "mini"
    shutil.copytree(ENGINE_FIXTURES / "mini", dest)
    return dest


@dataclass(frozen=True)
class StudyCopy:
    """A copy of the repository's files as a fresh clone has them, whose CLI imports the copy's own
    engine (engine/src first on the import path), as a clone's does when `make setup` installs the
    engine from it. The engine's code is then inside the project, in every job's code closure as
    in the record, so the record's job keys hold and no job runs that the record calls fresh."""

    root: Path

    def cli(self, *args: str, **kw) -> subprocess.CompletedProcess:
        """reprobook.testing.run_cli in the copy, with the copy's engine."""
        env = {"PYTHONPATH": str(self.root / "engine" / "src"), **kw.pop("env", {})}
        return run_cli(self.root, *args, env=env, **kw)


@pytest.fixture(scope="session")
def study_copy(tmp_path_factory) -> Callable[[str], StudyCopy]:
    """study_copy(name): a new StudyCopy of the repository in a fresh temporary folder."""
    return lambda name: StudyCopy(copy_project(REPO, tmp_path_factory.mktemp(name) / "repo"))
