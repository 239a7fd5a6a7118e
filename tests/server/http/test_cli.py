"""``ragkit serve`` flags become a ServerConfig and an app handed to uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ragkit import limits
from ragkit.cli import build_parser, main
from ragkit.server import runner
from ragkit.server.config import ServerConfig
from ragkit.server.http.deps import ServerState


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What ``ragkit serve`` hands the runner, which would start uvicorn."""
    calls: list[dict[str, Any]] = []

    def fake_serve(app: Any, config: ServerConfig) -> None:
        calls.append(
            {"app": app, "host": config.host, "port": config.port, "log_level": config.log_level}
        )

    monkeypatch.setattr(runner, "serve", fake_serve)
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
    # --no-grpc: the lifespan below would otherwise bind the fixed gRPC port 50051.
    main(["serve", "--data-dir", str(tmp_path), "--embedder", "hash", "--max-file-bytes", "4096",
          "--no-grpc"])  # fmt: skip

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
        (
            [
                "serve",
                "--data-dir",
                "d",
                "--tls-cert",
                "/nonexistent/c.pem",
                "--tls-key",
                "/nonexistent/k.pem",
            ],
            "error: cannot read the TLS certificate /nonexistent/c.pem: No such file",
        ),
        (
            ["serve", "--data-dir", "d", "--tls-cert", __file__, "--tls-key", __file__],
            f"error: the TLS certificate {__file__} is not a PEM certificate",
        ),
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
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err
    assert uvicorn_calls == []


def test_parser_lists_serve() -> None:
    assert "serve" in build_parser().format_help()


def test_serve_passes_limits_timeouts_and_quotas(
    tmp_path: Path, uvicorn_calls: list[dict[str, Any]]
) -> None:
    main(
        [
            "serve",
            "--data-dir", str(tmp_path),
            "--embedder", "hash",
            "--max-request-bytes", "5000",
            "--header-timeout", "2.5",
            "--body-timeout", "7",
            "--max-connections", "12",
            "--max-file-bytes-per-user", "0",
            "--max-upload-sessions-per-user", "3",
        ]
    )  # fmt: skip
    (call,) = uvicorn_calls
    config: ServerConfig = call["app"].state.ragkit.config
    assert (config.max_request_bytes, config.header_timeout, config.body_timeout) == (5000, 2.5, 7)
    assert config.max_connections == 12
    assert config.quotas.max_file_bytes_per_user is None
    assert config.quotas.max_upload_sessions_per_user == 3


def test_serve_defaults_for_limits_timeouts_and_quotas(
    tmp_path: Path, uvicorn_calls: list[dict[str, Any]]
) -> None:
    main(["serve", "--data-dir", str(tmp_path), "--embedder", "hash"])
    (call,) = uvicorn_calls
    config: ServerConfig = call["app"].state.ragkit.config
    assert config.max_request_bytes == limits.DEFAULT_MAX_REQUEST_BYTES == 64 * 1024 * 1024
    assert (config.header_timeout, config.body_timeout) == (10.0, 30.0)
    assert config.max_connections == 1000
    assert config.quotas.max_file_bytes_per_user == 20 * 1024**3
    assert config.quotas.max_upload_sessions_per_user == 100


@pytest.mark.parametrize(
    "flag", ["--header-timeout=0", "--body-timeout=nan", "--max-connections=0"]
)
def test_serve_refuses_bad_limits(tmp_path: Path, flag: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--data-dir", str(tmp_path), flag])
    assert exit_info.value.code == 2


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


def test_read_slots_size_the_read_gate(tmp_path: Path, uvicorn_calls: list[dict[str, Any]]) -> None:
    from ragkit.server.read_gate import default_read_slots, read_gate

    try:
        main(["serve", "--data-dir", str(tmp_path), "--embedder", "hash", "--read-slots", "3"])
        assert read_gate().slots == 3
        assert uvicorn_calls[0]["app"].state.ragkit.config.read_slots == 3
        main(["serve", "--data-dir", str(tmp_path), "--embedder", "hash"])
        assert read_gate().slots == default_read_slots()
    finally:
        read_gate().resize(default_read_slots())
    with pytest.raises(ValueError, match="read_slots"):
        ServerConfig(data_dir=tmp_path, read_slots=-1)
