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
