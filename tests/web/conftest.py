"""A real ``ragkit serve`` (hash embedder, two principals) and Debian's Chromium under Playwright.

Chromium is required: when ``/usr/bin/chromium`` (or ``$RAGKIT_CHROMIUM``) is missing these
tests FAIL, so CI never passes without running them (``.ci/run`` installs it). Screenshots of
every screen go to ``artifacts/web/`` (git-ignored; ``$RAGKIT_WEB_ARTIFACTS`` overrides).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..server.http.serving import ServerProcess, serve

CHROMIUM = Path(os.environ.get("RAGKIT_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(
    os.environ.get(
        "RAGKIT_WEB_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts" / "web"
    )
)
# Headless, and nothing that phones home or needs a GPU or a sandbox (CI runs as root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]

AUTH_FILE = """
[[principal]]
email = "alice@example.com"
api_keys = ["alice-key"]

[[principal]]
email = "bob@example.com"
groups = ["support@example.com"]
api_keys = ["bob-key"]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("web")
    auth = root / "auth.toml"
    auth.write_text(AUTH_FILE, encoding="utf-8")
    with serve(root / "data", "--embedder", "hash", "--auth-file", str(auth)) as process:
        yield process


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need it. Install it with "
            "`apt-get install -y chromium` (.ci/run does), or set RAGKIT_CHROMIUM."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


UI_ARGS = ("--embedder", "hash", "--no-browser")


class UiProcess:
    """``python -m ragkit ui --no-browser`` on ``data_dir``; ``url`` is the address it prints."""

    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ragkit", "ui", "--data-dir", str(data_dir), *UI_ARGS],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        self.banner = self.proc.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+)/", self.banner)
        if found is None:
            self.proc.kill()
            raise RuntimeError(f"ragkit ui did not start: {self.banner}{self.proc.stdout.read()}")
        self.url = found.group(1)

    def stop(self) -> str:
        """SIGTERM, as a service manager would; returns the rest of its output."""
        self.proc.terminate()
        output, _ = self.proc.communicate(timeout=30)
        return output


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[UiProcess]:
    process = UiProcess(tmp_path / "ui-data")
    try:
        yield process
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()
