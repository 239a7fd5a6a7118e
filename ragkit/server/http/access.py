"""Every finished request, counted in ``/metrics`` and written to the access log.

:class:`RequestObserver` is the one place a finished request goes, over either front:
:class:`AccessMiddleware` hands it the HTTP requests, the gRPC front its calls
(:mod:`ragkit.server.grpc.front`). A gRPC call runs through the REST app in-process
(:mod:`ragkit.server.grpc.asgi`), marked with :data:`GRPC_SCOPE_KEY` in its ASGI scope;
this middleware lets such requests pass unobserved, so each call is counted and logged
once, by the gRPC front, with the gRPC method and status.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragkit.server.logs import AccessRecord, clean_request_id, log_access
from ragkit.server.metrics import HTTP_VERBS, UNMATCHED, ServerMetrics, Transport

__all__ = ["GRPC_SCOPE_KEY", "AccessMiddleware", "RequestObserver", "route_label"]

#: ASGI scope key set on the requests the gRPC front sends through the app in-process.
GRPC_SCOPE_KEY = "ragkit.grpc"
# Longer paths are cut in the log (the path itself is any length HTTP allows).
_MAX_LOGGED_PATH = 2048


class RequestObserver:
    """Counts finished requests in ``metrics`` and logs them (when ``log_requests``)."""

    def __init__(self, metrics: ServerMetrics, *, log_requests: bool = True) -> None:
        self.metrics = metrics
        self.log_requests = log_requests

    def finished(self, record: AccessRecord, *, method_label: str, code_label: str) -> None:
        """``record`` finished; ``method_label`` and ``code_label`` are its bounded
        metric labels (route template or gRPC method; HTTP status or gRPC status)."""
        self.metrics.observe(record.transport, method_label, code_label, record.latency_ms / 1000)
        if self.log_requests:
            log_access(record)

    def in_flight(self, transport: Transport) -> AbstractContextManager[None]:
        """Count a request as in flight while the block runs."""
        return self.metrics.in_flight(transport)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _logged_path(scope: Scope) -> str:
    """The path as the client sent it (percent-encoded: a decoded ``%0A`` would break
    the line), without the query string, which may hold ``key=API_KEY``."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else str(scope.get("path", ""))
    path = path.partition("?")[0]
    return path if len(path) <= _MAX_LOGGED_PATH else path[:_MAX_LOGGED_PATH] + "..."


def _template(route: Any, path: str) -> str | None:
    """The full path template of the route that served ``path``.

    A route knows its own template (``/corpora/{corpus}``); whether it also holds the
    prefix of the router it was included with (``/v1beta``) depends on the FastAPI
    version. The prefix is the shortest start of the path after which the route's own
    pattern matches the rest: a literal, never a resource name, so labels stay bounded.
    """
    template = getattr(route, "path_format", None)
    regex = getattr(route, "path_regex", None)
    if not isinstance(template, str):
        return None
    if regex is None:
        return template
    cut = 0
    while cut != -1:
        if regex.match(path[cut:]):
            return path[:cut] + template
        cut = path.find("/", cut + 1)
    return template


def route_label(scope: Scope) -> str:
    """``POST /v1beta/corpora/{corpus}:query``: the HTTP method and the path template of
    the route that served ``scope`` (:data:`~ragkit.server.metrics.UNMATCHED` if none)."""
    template = _template(scope.get("route"), str(scope.get("path", "")))
    if template is None:
        return UNMATCHED
    verb = scope.get("method", "")
    return f"{verb if verb in HTTP_VERBS else 'OTHER'} {template}"


class AccessMiddleware:
    """Times each HTTP request to the end of its response, then tells the observer.

    Args:
        app: The app to wrap (add it last: outermost, it sees every answer).
        observer: Where finished requests go.
    """

    def __init__(self, app: ASGIApp, observer: RequestObserver) -> None:
        self.app = app
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(GRPC_SCOPE_KEY):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before answering, the server answers 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            with self.observer.in_flight("http"):
                await self.app(scope, receive, observed_send)
        finally:
            client = scope.get("client")
            record = AccessRecord(
                transport="http",
                method=str(scope.get("method", "")),
                path=_logged_path(scope),
                status=status,
                latency_ms=(time.perf_counter() - started) * 1000,
                client=str(client[0]) if client else None,
                request_id=clean_request_id(_header(scope, b"x-request-id")),
            )
            self.observer.finished(record, method_label=route_label(scope), code_label=str(status))
