"""The request-body limit, enforced while the body is read.

:class:`BodyLimitMiddleware` refuses a body whose ``Content-Length`` is over the limit
before reading a byte of it, and stops a body without one (chunked) as soon as the bytes
received pass the limit, so no request can make the server hold more than the limit in
memory. The answer is Google's::

    400 {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                   "message": "Request payload size exceeds the limit: 67108864 bytes..."}}

with ``Connection: close``, since the rest of the body is never read. The media upload
routes (``/upload/...``) stream files of up to 2 GB to disk under their own limits
(:mod:`ragkit.server.media`) and pass through untouched.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragkit.server.errors import ApiError, invalid_argument
from ragkit.server.http.errors import error_response

__all__ = ["BodyLimitMiddleware", "body_too_large"]

#: Paths whose bodies stream to disk under the Files API's own size limit.
_STREAMING_PREFIX = "/upload/"


def body_too_large(limit: int) -> ApiError:
    """The INVALID_ARGUMENT for a request body over ``limit`` bytes, in Google's words."""
    return invalid_argument(
        f"Request payload size exceeds the limit: {limit} bytes (the server's request-body "
        "limit, ragkit serve --max-request-bytes); upload large content with the Files API."
    )


class BodyLimitMiddleware:
    """Answer 400 INVALID_ARGUMENT to any request body over ``limit`` bytes."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_STREAMING_PREFIX):
            await self.app(scope, receive, send)
            return
        limit = self.limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)
            return
        received = 0
        over = False

        async def counting_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise body_too_large(limit)
            return message

        async def closing_send(message: Message) -> None:
            # The unread rest of the body would be parsed as the next request.
            if over and message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        await self.app(scope, counting_receive, closing_send)


_CLOSE = (b"connection", b"close")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server refuses a malformed length itself
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = error_response(body_too_large(limit))
    response.headers["connection"] = "close"
    await response(scope, receive, send)
