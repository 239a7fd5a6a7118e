"""``ragkit ui`` in-process: it opens the browser on a live app, and fails cleanly."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ragkit.cli import main, ui


def test_ui_opens_the_browser_on_the_running_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pages: list[tuple[str, int, str]] = []

    def open_browser(url: str) -> bool:
        page = httpx.get(url)
        pages.append((url, page.status_code, page.headers["content-type"]))
        return True

    monkeypatch.setattr("webbrowser.open", open_browser)
    monkeypatch.setattr(ui, "_wait_for_stop", lambda: None)  # as if Ctrl-C came at once

    code = main(["ui", "--data-dir", str(tmp_path / "data"), "--embedder", "hash"])

    out = capsys.readouterr().out
    assert code == 0
    ((url, status, content_type),) = pages
    assert status == 200 and content_type.startswith("text/html")
    assert f"ragkit ui: {url} (data {(tmp_path / 'data').resolve()}, embedder hash)" in out
    assert out.rstrip().endswith("ragkit ui: stopping...")


def test_ui_without_a_browser_says_where_to_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("webbrowser.open", lambda url: False)
    monkeypatch.setattr(ui, "_wait_for_stop", lambda: None)

    assert main(["ui", "--data-dir", str(tmp_path / "data"), "--embedder", "hash"]) == 0
    assert "no browser found; open the address above yourself" in capsys.readouterr().out


def test_ui_with_an_unknown_embedder_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ui", "--data-dir", str(tmp_path / "data"), "--embedder", "nope"])

    assert exited.value.code == 1
    assert "ragkit ui: error: Unknown embedder 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()
