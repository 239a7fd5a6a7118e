"""``ragkit serve`` flags become a ServerConfig and an app handed to uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn

from ragkit import limits
from ragkit.cli import build_parser, main
from ragkit.server.config import ServerConfig
from ragkit.server.http.deps import ServerState


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run(app: Any, **kwargs: Any) -> None:
        calls.append({"app": app, **kwargs})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return calls


def test_serve_builds_config_from_flags(
    tmp_path: Path, uvicorn_calls: list[dict[str, Any]]
) -> None:
    code = main(
        [
            "serve",
            "--host", "0.0.0.0",
            "--port", "9123",
            "--data-dir", str(tmp_path / "d"),
            "--embedder", "hash:32",
            "--max-corpora", "7",
            "--max-documents-per-corpus", "0",
            "--max-chunks-per-corpus", "50",
            "--log-level", "warning",
        ]
    )  # fmt: skip

    assert code == 0
    (call,) = uvicorn_calls
    assert (call["host"], call["port"], call["log_level"]) == ("0.0.0.0", 9123, "warning")
    state: ServerState = call["app"].state.ragkit
    assert state.config.data_dir == tmp_path / "d"
    assert state.embedder.dimensions == 32
    assert state.config.quotas.max_corpora == 7
    assert state.config.quotas.max_documents_per_corpus is None
    assert state.config.quotas.max_chunks_per_corpus == 50
    assert state.authenticator.single_user


def test_serve_defaults(tmp_path: Path, uvicorn_calls: list[dict[str, Any]]) -> None:
    main(["serve", "--data-dir", str(tmp_path)])

    (call,) = uvicorn_calls
    assert (call["host"], call["port"]) == ("127.0.0.1", 8080)
    state: ServerState = call["app"].state.ragkit
    assert state.config.embedder == "minilm"
    assert state.config.quotas.max_corpora == 5
    assert state.config.max_file_bytes == limits.MAX_FILE_BYTES


async def test_max_file_bytes_reaches_the_files_service(
    tmp_path: Path, uvicorn_calls: list[dict[str, Any]]
) -> None:
    main(["serve", "--data-dir", str(tmp_path), "--embedder", "hash", "--max-file-bytes", "4096"])

    (call,) = uvicorn_calls
    app = call["app"]
    assert app.state.ragkit.config.max_file_bytes == 4096
    async with app.router.lifespan_context(app):
        assert app.state.ragkit.files.max_file_bytes == 4096


def test_server_config_checks_max_file_bytes(tmp_path: Path) -> None:
    for bad in (0, -1, limits.MAX_FILE_BYTES + 1):
        with pytest.raises(ValueError, match="max_file_bytes"):
            ServerConfig(data_dir=tmp_path, max_file_bytes=bad)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["serve"], "--data-dir"),
        (["serve", "--data-dir", "d", "--port", "0"], "--port"),
        (["serve", "--data-dir", "d", "--max-corpora", "-1"], "--max-corpora"),
        (["serve", "--data-dir", "d", "--max-file-bytes", "0"], "--max-file-bytes"),
        (["serve", "--data-dir", "d", "--max-file-bytes", "2147483649"], "between 1 and"),
        (["serve", "--data-dir", "d", "--max-file-bytes", "2G"], "expected a number of bytes"),
        (["serve", "--data-dir", "d", "--embedder", "bert"], "Unknown embedder 'bert'"),
        (
            ["serve", "--data-dir", "d", "--auth-file", "/nonexistent/auth.toml"],
            "Cannot read auth file",
        ),
        ([], "COMMAND"),
        (["serve", "--data-dir", __file__], "is not a directory"),
    ],
)
def test_serve_rejects_bad_flags(
    argv: list[str],
    fragment: str,
    uvicorn_calls: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)

    assert caught.value.code == 2
    assert fragment in capsys.readouterr().err
    assert uvicorn_calls == []


def test_parser_lists_serve() -> None:
    assert "serve" in build_parser().format_help()


def test_embed_queue_depth_reaches_the_scheduler(
    tmp_path: Path, uvicorn_calls: list[dict[str, Any]]
) -> None:
    main(["serve", "--data-dir", str(tmp_path), "--embedder", "hash", "--embed-queue-depth", "3"])
    main(["serve", "--data-dir", str(tmp_path), "--embedder", "hash"])

    depths = [call["app"].state.ragkit.embedder.queue_depth for call in uvicorn_calls]
    assert depths == [3, 8]
    assert uvicorn_calls[0]["app"].state.ragkit.config.embed_queue_depth == 3
    with pytest.raises(ValueError, match="embed_queue_depth"):
        ServerConfig(data_dir=tmp_path, embed_queue_depth=0)


def test_embed_queue_depth_must_be_positive(
    uvicorn_calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--data-dir", "d", "--embed-queue-depth", "0"])
    assert "--embed-queue-depth" in capsys.readouterr().err
