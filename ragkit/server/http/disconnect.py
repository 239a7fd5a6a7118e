"""Notice when a client hangs up, so work done only for it can be dropped.

:class:`DisconnectMiddleware` opens a :func:`~ragkit.server.cancellation.cancellation_scope`
for every HTTP request. Once the app has read the whole request body, a watcher task keeps
listening on the connection; an ``http.disconnect`` before the response is complete (the
client timed out, was killed, or closed the socket) cancels the request's token, and the
embedding scheduler drops the request's queued or running bulk work. The watcher owns the
ASGI ``receive`` from then on: later ``receive()`` calls by the app get the disconnect when
it happens, as they would without the middleware.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragkit.server.cancellation import Cancellation, cancellation_scope

__all__ = ["DisconnectMiddleware"]

_DISCONNECT: Message = {"type": "http.disconnect"}


class DisconnectMiddleware:
    """Cancel a request's :class:`~ragkit.server.cancellation.Cancellation` when its client
    disconnects before the response is complete."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = Cancellation()
        gone = asyncio.Event()
        watcher: asyncio.Task[None] | None = None

        async def watch() -> None:
            message = await receive()
            if message["type"] == "http.disconnect":
                token.cancel("the client disconnected")
            gone.set()

        async def guarded_receive() -> Message:
            nonlocal watcher
            if watcher is not None:
                await gone.wait()
                return _DISCONNECT
            message = await receive()
            if message["type"] == "http.disconnect":
                token.cancel("the client disconnected")
            elif not message.get("more_body", False):
                watcher = asyncio.get_running_loop().create_task(watch())
            return message

        try:
            with cancellation_scope(token):
                await self.app(scope, guarded_receive, send)
        finally:
            if watcher is not None:
                watcher.cancel()
                watcher.add_done_callback(_consume)


def _consume(task: asyncio.Task[None]) -> None:
    """Retrieve a finished watcher's outcome so asyncio does not log it as unretrieved."""
    if not task.cancelled():
        task.exception()
