"""Every failure leaves the server as Google's error body.

``{"error": {"code": <http status>, "message": "...", "status": "<CANONICAL_CODE>"}}`` is
the only error shape clients ever see: :class:`~ragkit.server.errors.ApiError` raised
below the HTTP layer, request validation failures (400 INVALID_ARGUMENT naming the
camelCase field path), route misses, and unexpected exceptions (500 INTERNAL, logged with
a traceback) all end up here. A pydantic error raised *after* the request was parsed is a
server bug, so it is a 500 too, not a 400 blaming the caller.

Decision, route misses: Google's front end treats HTTP method + path as one key, so a
known path asked with the wrong method is as unknown as a path that does not exist. The
server answers both with **404 NOT_FOUND**, never 405; the message names the methods the
path does accept, so the mistake is still easy to spot.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic.alias_generators import to_camel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragkit.server.errors import ApiError, internal, invalid_argument, not_found
from ragkit.types.status import Code

__all__ = [
    "InternalErrorMiddleware",
    "error_response",
    "install_error_handlers",
    "validation_message",
]

logger = logging.getLogger("ragkit.server")

_PROBED_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def error_response(error: ApiError) -> JSONResponse:
    """Render ``error`` as Google's error body with the matching HTTP status."""
    # Some errors carry response headers (503 NotReady: Retry-After).
    headers: dict[str, str] | None = getattr(error, "headers", None)
    return JSONResponse(error.to_body(), status_code=error.http_status, headers=headers)


def _field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + to_camel(part)
    return path


def validation_message(errors: Sequence[Any]) -> str:
    """One readable line per pydantic error, naming the camelCase field path.

    Unknown fields use Google's wording: ``Invalid JSON payload received. Unknown name
    "x" at 'requests[0].chunk': Cannot find field.``
    """
    lines: list[str] = []
    for err in errors:
        loc = [part for part in err.get("loc", ()) if part != "body"]
        path = _field_path(loc)
        if err.get("type") == "unknown_field":
            name = err.get("ctx", {}).get("name", "")
            where = f" at '{path}'" if path else ""
            lines.append(
                f'Invalid JSON payload received. Unknown name "{name}"{where}: Cannot find field.'
            )
            continue
        message = str(err.get("msg", "invalid value"))
        message = message.removeprefix("Value error, ")
        lines.append(f"Invalid value at '{path}': {message}" if path else message)
    return "\n".join(lines) or "Invalid request."


def _allowed_methods(request: Request) -> list[str]:
    # Ask the router which methods would fully match this path; Starlette's Allow header
    # only reports the first route that matched the path, not every method it serves.
    allowed = []
    for method in _PROBED_METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(invalid_argument(validation_message(exc.errors())))


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    target = f"{request.method} {request.url.path}"
    if exc.status_code in (404, 405):
        message = f"Method not found: {target}."
        allowed = _allowed_methods(request) if exc.status_code == 405 else []
        if allowed:
            message += f" This path accepts {', '.join(allowed)}."
        return error_response(not_found(message))
    code = Code.from_http_status(exc.status_code)
    body = ApiError(code, str(exc.detail)).to_body()
    body["error"]["code"] = exc.status_code
    return JSONResponse(body, status_code=exc.status_code)


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure class to Google's error body."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_middleware(InternalErrorMiddleware)


class InternalErrorMiddleware:
    """Turn any unexpected exception into 500 INTERNAL instead of a crash or HTML page.

    Starlette's own last-resort handler re-raises after answering, which makes in-process
    test clients fail and servers log twice; this one answers, logs once, and stops. A
    client that disconnected mid-body is no server error: it is logged at INFO, without
    a traceback, and gets no answer (there is no one to send it to).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            # The client went away mid-request: nobody to answer, nothing to fix here.
            logger.info("Client disconnected during %s %s", scope["method"], scope["path"])
        except Exception:
            logger.exception("Unhandled error serving %s %s", scope["method"], scope["path"])
            if started:
                raise
            response = error_response(internal("Internal error encountered."))
            await response(scope, receive, send)
