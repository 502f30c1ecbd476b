"""Shared fixtures of the study's tests."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENGINE_FIXTURES = REPO / "engine" / "tests" / "fixtures"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A copy of the engine's small fixture project."""
    dest = tmp_path / "mini"
    shutil.copytree(ENGINE_FIXTURES / "mini", dest)
    return dest
