"""How the server listens: one home for the uvicorn server of ``ragkit serve`` and
:class:`~ragkit.server.embedded.EmbeddedServer`.

uvicorn bounds idle keep-alive connections but not a client that sends its request
slowly, and it answers a malformed request in plain text. :class:`GuardedH11Protocol`
(uvicorn's h11 protocol, a subclass) adds what a server facing the network needs:

* a **header timeout**: a connection has ``header_timeout`` seconds from its first byte
  (or from the end of its previous response) to deliver a request line and headers, so
  clients trickling headers a byte at a time are closed (408) instead of held forever;
* a **body timeout**: a request body may stall at most ``body_timeout`` seconds between
  two reads (time the app spends not reading does not count), then the connection closes;
* a **connection limit**: beyond ``max_connections`` open connections a new one is
  answered 503 UNAVAILABLE and closed before anything is read from it;
* **Google's error body** for requests HTTP cannot parse (a raw ``0xFF`` byte in the path,
  a negative ``Content-Length``...): 400 INVALID_ARGUMENT as JSON, not uvicorn's text.

Every one of these answers is ``{"error": {"code", "message", "status"}}`` with
``Connection: close``. The limits come from
:class:`~ragkit.server.config.ServerConfig` (``--header-timeout``, ``--body-timeout``,
``--max-connections``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from ragkit.server.config import ServerConfig
from ragkit.server.errors import ApiError, invalid_argument
from ragkit.server.logs import configure_logging
from ragkit.server.metrics import ServerMetrics
from ragkit.types.status import Code

__all__ = ["GuardedH11Protocol", "build_server", "serve"]

#: uvicorn's exit status for a server that could not start (a port in use...).
_STARTUP_FAILURE = 3
#: How long a refused connection stays half-closed, so the client reads its answer.
_LINGER_SECONDS = 1.0
#: What uvicorn says of any request h11 cannot parse.
_UVICORN_400 = "Invalid HTTP request received."


def _error_bytes(status: int, error: ApiError | dict[str, Any]) -> bytes:
    """A complete ``Connection: close`` HTTP/1.1 response carrying Google's error body."""
    body = json.dumps(error.to_body() if isinstance(error, ApiError) else error).encode()
    reason = HTTPStatus(status).phrase
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json; charset=UTF-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header and body timeouts, a connection limit and JSON
    answers to malformed requests. :func:`build_server` sets the three limits on a
    subclass, since uvicorn builds the protocol itself."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1000
    #: Told of every connection answered and closed here (the app never sees them), for
    #: ``ragkit_connections_refused_total`` in ``/metrics``.
    on_refused: Callable[[str], None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase = "headers"
        self._closing = False

    # --- connection limit and the header clock -----------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        # uvicorn closes the transport itself after a Connection: close answer (a body
        # over the limit, say); closing with the body unread must linger too.
        self.transport = cast(asyncio.Transport, _LingeringTransport(self.transport, self))
        # super() registered this connection: more than the limit means one too many.
        if len(self.connections) > self.max_connections:
            error = ApiError(
                Code.UNAVAILABLE,
                f"The server holds its limit of {self.max_connections} open connections "
                "(ragkit serve --max-connections); retry shortly.",
            )
            self._close_with(503, error, "connection_limit")
            return
        self._arm("headers")

    def shutdown(self) -> None:
        if self._closing:
            self.transport.close()
            return
        super().shutdown()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return  # answered already; what the client still sends is dropped
        super().data_received(data)
        self._follow()

    def handle_events(self) -> None:
        try:
            super().handle_events()
        except UnicodeDecodeError:
            # uvicorn decodes the path as ASCII; h11 lets other bytes through.
            self.send_400_response("the request path must be ASCII (percent-encode it)")

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if (
            not self._closing
            and not self.transport.is_closing()
            and self.conn.their_state is h11.IDLE
        ):
            self._arm("headers")  # the next request's headers are due

    def _follow(self) -> None:
        """Move the clock along with the request: headers, then body, then none."""
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._arm("body")  # restarted by every read: the timeout is between reads
        elif state is not h11.IDLE:
            self._disarm()
        elif self._deadline is None:
            self._arm("headers")

    def _arm(self, phase: str) -> None:
        self._disarm()
        self._phase = phase
        seconds = self.header_timeout if phase == "headers" else self.body_timeout
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self._closing or self.transport.is_closing():
            return
        if self._phase == "body":
            if self.conn.their_state is not h11.SEND_BODY:
                return
            waiting = self.cycle is not None and self.cycle.waiting_for_100_continue
            if self.flow.read_paused or waiting:
                self._arm("body")  # the app is not reading yet: not the client's delay
                return
            message = (
                f"The request body stalled for more than {self.body_timeout:g} s "
                "(ragkit serve --body-timeout)."
            )
            if self.cycle is not None and self.cycle.response_started:
                self.transport.close()
                return
        else:
            message = (
                f"The request headers did not arrive within {self.header_timeout:g} s "
                "(ragkit serve --header-timeout)."
            )
        error = {"error": {"code": 408, "message": message, "status": "DEADLINE_EXCEEDED"}}
        self._close_with(408, error, f"{self._phase}_timeout")

    # --- malformed requests ---------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """Answer a request HTTP cannot parse with Google's INVALID_ARGUMENT body."""
        if msg == _UVICORN_400:
            msg = "the request line or a header is malformed"
        error = invalid_argument(f"Invalid HTTP request received: {msg}.")
        self._close_with(400, error, "malformed")

    def _close_with(self, status: int, error: ApiError | dict[str, Any], reason: str) -> None:
        """Answer, then close, and count it (``reason``: ``connection_limit``,
        ``headers_timeout``, ``body_timeout``, ``malformed``). The socket lingers half-closed
        for a moment, reading and dropping input: closing it with unread input would send a
        reset that can destroy the answer before the client reads it."""
        if self.on_refused is not None:
            self.on_refused(reason)
        self._disarm()
        self._closing = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app's own answer, if any, is dropped
        self.transport.write(_error_bytes(status, error))
        self._linger()

    def _linger(self) -> None:
        transport = self.transport
        raw = transport._transport if isinstance(transport, _LingeringTransport) else transport
        self._closing = True
        if raw.is_closing() or not raw.can_write_eof():
            raw.close()
            return
        raw.write_eof()
        self.loop.call_later(_LINGER_SECONDS, raw.close)


class _LingeringTransport:
    """The connection's transport, whose ``close()`` lingers (half-closed, dropping input)
    while the client may still be sending a body nobody will read."""

    def __init__(self, transport: asyncio.Transport, protocol: GuardedH11Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def close(self) -> None:
        if self._protocol.conn.their_state is h11.SEND_BODY:
            self._protocol._linger()
        else:
            self._transport.close()


def _protocol_for(
    config: ServerConfig, on_refused: Callable[[str], None] | None = None
) -> type[GuardedH11Protocol]:
    return type(
        "RagkitH11Protocol",
        (GuardedH11Protocol,),
        {
            "header_timeout": config.header_timeout,
            "body_timeout": config.body_timeout,
            "max_connections": config.max_connections,
            # staticmethod: a plain function stored on the class would bind to self.
            "on_refused": staticmethod(on_refused) if on_refused is not None else None,
        },
    )


def _refusals_of(app: FastAPI) -> Callable[[str], None] | None:
    metrics = getattr(getattr(app.state, "ragkit", None), "metrics", None)
    return metrics.refused if isinstance(metrics, ServerMetrics) else None


def build_server(
    app: FastAPI, config: ServerConfig, *, log_level: str | None = None
) -> uvicorn.Server:
    """The uvicorn server for ``app``, listening on ``config.host:config.port`` (or on the
    sockets later passed to ``run``) with the config's timeouts and connection limit.

    uvicorn's own access log is off (the app writes one, with latency:
    :mod:`ragkit.server.http.access`) and it installs no log handlers of its own: its lines
    go wherever the process's logging sends them (:func:`ragkit.server.logs.configure_logging`
    for ``ragkit serve``), in the same format as the rest."""
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            log_level=log_level or config.log_level,
            log_config=None,
            access_log=False,
            lifespan="on",
            http=_protocol_for(config, _refusals_of(app)),
        )
    )


def serve(
    app: FastAPI, config: ServerConfig, *, sockets: list[socket.socket] | None = None
) -> None:
    """Serve ``app`` until interrupted (SIGINT/SIGTERM), as ``ragkit serve`` does; like
    ``uvicorn.run``, an interrupt ends it quietly and a failed startup exits with status 3.
    The process's logging goes to stderr in ``config.log_format`` at ``config.log_level``."""
    configure_logging(config.log_level, "json" if config.log_format == "json" else "text")
    server = build_server(app, config)
    # uvicorn re-raises the signal it handled (KeyboardInterrupt); the shutdown has run.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=sockets)
    if not server.started:
        sys.exit(_STARTUP_FAILURE)
