"""A fresh user for CLI tests: an empty working directory and per-user data folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class NewUser:
    """Where a first-time user runs ragkit from, and where ragkit should keep the data."""

    cwd: Path
    data: Path  # $XDG_DATA_HOME/ragkit: the per-user default


@pytest.fixture
def new_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NewUser:
    for name in ("RAGKIT_BASE_URL", "RAGKIT_DATA_DIR", "COLUMNS", "RAGKIT_PROGRESS_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAGKIT_EMBEDDER", "hash")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    cwd = tmp_path / "work"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return NewUser(cwd=cwd, data=tmp_path / "xdg" / "ragkit")
