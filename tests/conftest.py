"""Test-wide safety: no test writes to the real per-user data folder.

Without ``--data-dir`` or ``RAGKIT_DATA_DIR`` the embedded default keeps its data in the
per-user folder (``$XDG_DATA_HOME/ragkit``); pointing ``XDG_DATA_HOME`` at a temporary folder
for the session (subprocesses inherit it) keeps tests off ``~/.local/share``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_user_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("xdg-data")
    previous = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = previous
