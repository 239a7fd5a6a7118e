"""A real ``ragkit serve`` with its gRPC front over TLS, shared by the gRPC tests.

Clients trust the server's generated CA the way a user would: through
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``, set before any TLS channel of this process opens.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..http.serving import free_port, serve
from .generativeai_venv import start_build, stop_build

ALICE_KEY = "alice-key"
BOB_KEY = "bob-key"
_ROOTS = "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"


@dataclass(frozen=True)
class GrpcServer:
    """Where the server listens: ``url`` (REST) and ``target`` (gRPC ``HOST:PORT``)."""

    url: str
    target: str
    ca: Path
    log: str
    log_path: Path | None = None

    def log_text(self) -> str:
        """The server's output so far (``log`` is what it was at start)."""
        if self.log_path is None:
            return self.log
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start making google-generativeai's venv now if its tests were selected, so the
    install runs on the core the tests leave idle (:mod:`.generativeai_venv`)."""
    if session.config.option.collectonly:
        return
    if any(item.path.name == "test_generativeai.py" for item in session.items):
        start_build()


def pytest_sessionfinish(session: pytest.Session) -> None:
    stop_build()


@pytest.fixture(scope="session")
def grpc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GrpcServer]:
    root = tmp_path_factory.mktemp("grpc-serve")
    auth = root / "auth.toml"
    auth.write_text(
        '[[principal]]\nemail = "alice@example.com"\napi_keys = ["alice-key"]\n'
        '[[principal]]\nemail = "bob@example.com"\napi_keys = ["bob-key"]\n'
    )
    port = free_port()
    data = root / "data"
    args = ("--embedder", "hash", "--auth-file", str(auth), "--grpc-port", str(port))
    with serve(data, *args) as server:
        ca = data / "tls" / "ca.pem"
        previous = os.environ.get(_ROOTS)
        os.environ[_ROOTS] = str(ca)
        try:
            yield GrpcServer(server.url, f"127.0.0.1:{port}", ca, server.log, server.log_path)
        finally:
            if previous is None:
                os.environ.pop(_ROOTS, None)
            else:
                os.environ[_ROOTS] = previous
