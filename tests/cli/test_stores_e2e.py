"""``ragkit stores`` against a real ``ragkit serve`` process; the upload runs as its own
``python -m ragkit`` process too (no terminal: one progress line per step)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ragkit.cli import main
from tests.server.http.serving import ServerProcess, serve
from tests.server.media.support import build_pdf

pytestmark = pytest.mark.slow


def ragkit(server: ServerProcess, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    return subprocess.run(
        [sys.executable, "-m", "ragkit", "stores", *argv, "--base-url", server.url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_create_upload_and_ask_over_http(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("RAGKIT_BASE_URL", "RAGKIT_DATA_DIR", "RAGKIT_EMBEDDER"):
        monkeypatch.delenv(name, raising=False)
    guide = tmp_path / "guide.md"
    guide.write_text("# Care guide\n\nBananas ripen faster in a paper bag.\n", encoding="utf-8")
    telescope = tmp_path / "telescope.pdf"
    telescope.write_bytes(build_pdf(["The Zephyr telescope was built in 1931 in Ohio."]))

    with serve(tmp_path / "data", "--embedder", "hash") as server:
        assert (
            main(["stores", "create", "--display-name", "Library", "--base-url", server.url]) == 0
        )
        store = capsys.readouterr().out.strip()

        uploaded = ragkit(server, "upload", store, str(guide), str(telescope))
        assert uploaded.returncode == 0, uploaded.stderr
        assert len(uploaded.stdout.split()) == 2
        assert "[2/2] telescope.pdf: indexed as" in uploaded.stderr
        assert "2 of 2 files indexed into" in uploaded.stderr

        question = "When was the Zephyr telescope built?"
        assert main(["stores", "ask", store, question, "--base-url", server.url]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert "1931" in lines[0] and "[1]" in lines[0]
        assert lines[2] == f"[1] telescope.pdf ({store})"
