"""In-process fixtures: the app over httpx.ASGITransport, with a real or a recording service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig


class RecordingService:
    """Stands in for RetrieverService: records every call, returns ``returns[method]``.

    It pins what the HTTP layer hands the service (resource names, masks, flags, parsed
    bodies) independently of what the real service does with them.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.returns: dict[str, Any] = {}
        self.raises: dict[str, BaseException] = {}
        self.closed = False

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((method, args, kwargs))
            if method in self.raises:
                raise self.raises[method]
            return self.returns.get(method)

        return call

    def start_warming(self) -> None:
        """The app starts loading indexes at startup; nothing to load here, nothing recorded."""

    def close(self) -> None:
        self.closed = True

    @property
    def last(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        return self.calls[-1]


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan and yield a client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ragkit") as client:
            yield client


@pytest.fixture
def recording() -> RecordingService:
    return RecordingService()


@pytest.fixture
async def fake_client(
    tmp_path: Path, recording: RecordingService
) -> AsyncIterator[httpx.AsyncClient]:
    """A single-user server whose service is ``recording``."""
    config = ServerConfig(data_dir=tmp_path / "data", embedder="hash")
    app = create_app(config, service_factory=lambda _config, _embedder: recording)
    async with running(app) as client:
        yield client


AUTH_FILE = """
[[principal]]
email = "alice@example.com"
api_keys = ["alice-key"]

[[principal]]
email = "bob@example.com"
groups = ["readers@example.com"]
bearer_tokens = ["bob-token"]
"""


@pytest.fixture
async def client(tmp_path: Path, database_url: str | None) -> AsyncIterator[httpx.AsyncClient]:
    """A single-user server over the real service (hash embedder, temp data dir; on
    PostgreSQL where the module runs on both backends)."""
    app = create_app(
        ServerConfig(data_dir=tmp_path / "data", embedder="hash", database_url=database_url)
    )
    async with running(app) as http:
        yield http


@asynccontextmanager
async def two_users(
    tmp_path: Path, **config: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Alice (API key) and Bob (bearer token) on one multi-user server, real service;
    ``config`` adds ServerConfig fields (``quotas=...``)."""
    auth = tmp_path / "auth.toml"
    auth.write_text(AUTH_FILE, encoding="utf-8")
    app = create_app(
        ServerConfig(data_dir=tmp_path / "data", auth_file=auth, embedder="hash", **config)
    )
    async with running(app) as alice:
        alice.headers["x-goog-api-key"] = "alice-key"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://ragkit",
            headers={"Authorization": "Bearer bob-token"},
        ) as bob:
            yield alice, bob


@pytest.fixture
async def users(
    tmp_path: Path, database_url: str | None
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Alice (API key) and Bob (bearer token) on one multi-user server, real service."""
    async with two_users(tmp_path, database_url=database_url) as pair:
        yield pair
