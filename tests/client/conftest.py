"""A fake API at the transport seam, and helpers to drive either client the same way."""

from __future__ import annotations

import inspect
import json
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import ragkit

Handler = Callable[[httpx.Request], httpx.Response]


class FakeAPI:
    """Records every request; answers from a queue, else with a route handler, else ``{}``."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.queue: deque[httpx.Response | Exception] = deque()
        self.handler: Handler | None = None

    def reply(self, *responses: httpx.Response | Exception) -> None:
        self.queue.extend(responses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.queue:
            item = self.queue.popleft()
            if isinstance(item, Exception):
                raise item
            return item
        if self.handler is not None:
            return self.handler(request)
        return httpx.Response(200, json={})

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        content = self.requests[index].content
        return json.loads(content) if content else None


class Sleeps(list[float]):
    """Stands in for ``time.sleep`` / ``asyncio.sleep``, recording the delays."""

    def sync(self, seconds: float) -> None:
        self.append(seconds)

    async def async_(self, seconds: float) -> None:
        self.append(seconds)


def make_client(mode: str, api: FakeAPI, sleeps: Sleeps | None = None, **options: Any) -> Any:
    options.setdefault("api_key", "test-key")
    transport = httpx.MockTransport(api)
    client: Any
    if mode == "sync":
        client = ragkit.Client(transport=transport, **options)
        if sleeps is not None:
            client._sleep = sleeps.sync
    else:
        client = ragkit.AsyncClient(transport=transport, **options)
        if sleeps is not None:
            client._sleep = sleeps.async_
    return client


async def resolve(value: Any) -> Any:
    """Await coroutines; drain pagers and streams into lists (sync or async)."""
    if inspect.isawaitable(value):
        value = await value
    if isinstance(value, ragkit.AsyncPager | ragkit.AsyncStream):
        return [item async for item in value]
    if isinstance(value, ragkit.SyncPager | ragkit.Stream):
        return list(value)
    return value


def method_at(client: Any, path: str) -> Callable[..., Any]:
    target = client
    for part in path.split("."):
        target = getattr(target, part)
    return target


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(mode: str, api: FakeAPI, sleeps: Sleeps) -> Iterator[Any]:
    yield make_client(mode, api, sleeps)


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "RAGKIT_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
