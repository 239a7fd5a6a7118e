"""One HTTP exchange with the REST app, in-process: no socket, no HTTP parsing.

The gRPC front hands every call to the very app ``ragkit serve`` serves over HTTP, so
authentication, limits, quotas, the service layer and error rendering are the ones the
REST front runs. The response body is read as the app sends it, so a streamed response
(server-sent events) reaches the gRPC client chunk by chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import unquote, urlencode

from starlette.types import ASGIApp, Message, Scope

from ragkit.server.http.access import GRPC_SCOPE_KEY

__all__ = ["AsgiApp", "HttpRequest", "HttpResponse", "exchange"]

AsgiApp = ASGIApp


@dataclass(frozen=True)
class HttpRequest:
    """A request as the REST front would receive it; ``path`` is percent-encoded."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    client: tuple[str, int] | None = None


@dataclass
class HttpResponse:
    """The status and headers of the app's answer; iterate :attr:`body` for its bytes."""

    status: int
    headers: dict[str, str]
    body: AsyncIterator[bytes]

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.body])


def _scope(request: HttpRequest) -> Scope:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers]
    headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(request.body)).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "2",
        "method": request.method.upper(),
        "scheme": "https",
        "path": unquote(request.path),
        "raw_path": request.path.encode("latin-1"),
        "root_path": "",
        "query_string": urlencode(request.query).encode("latin-1"),
        "headers": headers,
        "client": request.client,
        "server": ("ragkit-grpc", 443),
        "state": {},
        # The gRPC front counts and logs the call itself, once.
        GRPC_SCOPE_KEY: True,
    }


@contextlib.asynccontextmanager
async def exchange(app: AsgiApp, request: HttpRequest) -> AsyncIterator[HttpResponse]:
    """Run ``request`` through ``app``; the response body streams while the context is
    open, and leaving it early (a cancelled call) tells the app the client went away.

    Raises:
        RuntimeError: the app ended without answering.
    """
    queue: asyncio.Queue[Message | None] = asyncio.Queue()
    disconnected = asyncio.Event()
    sent_body = False
    finished = False

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        await queue.put(message)

    async def run() -> None:
        await app(_scope(request), receive, send)

    task = asyncio.create_task(run())
    task.add_done_callback(lambda _: queue.put_nowait(None))
    try:
        start = await queue.get()
        if start is None or start["type"] != "http.response.start":
            if task.done() and task.exception() is not None:
                raise RuntimeError("the app failed without answering") from task.exception()
            raise RuntimeError("the app ended without answering")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start.get("headers", [])}

        async def body() -> AsyncIterator[bytes]:
            nonlocal finished
            while not finished:
                message = await queue.get()
                if message is None:
                    finished = True
                elif message["type"] == "http.response.body":
                    finished = not message.get("more_body", False)
                    yield message.get("body", b"")

        yield HttpResponse(status=int(start["status"]), headers=headers, body=body())
    finally:
        disconnected.set()
        if not finished:
            # The gRPC caller left (or failed) before the whole answer: stop the work.
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
