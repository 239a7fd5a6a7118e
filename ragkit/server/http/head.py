"""``HEAD`` answers what ``GET`` would, without the body (RFC 9110, section 9.3.2).

FastAPI routes list ``GET`` only, so a ``HEAD`` used to miss every route. This middleware
serves ``HEAD`` as the ``GET`` of the same URL and drops the body: same status, same
headers (``Content-Length`` included), so a client can probe a resource or an error.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HeadAsGetMiddleware"]


class HeadAsGetMiddleware:
    """Serve ``HEAD`` as ``GET`` minus the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def bodiless_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        routed = {**scope, "method": "GET"}
        try:
            await self.app(routed, receive, bodiless_send)
        finally:
            if "route" in routed:  # the access log and /metrics name the route that served it
                scope["route"] = routed["route"]
