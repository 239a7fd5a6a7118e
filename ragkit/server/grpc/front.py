"""The gRPC server: Google's published methods, each transcoded to the REST app.

Every method of the installed ``google-ai-generativelanguage`` (v1beta and v1) is served
by a generic handler (no generated stubs): the request message becomes the REST request
Google's ``google.api.http`` rule describes, runs through the same app as an HTTP request
(:mod:`ragkit.server.grpc.asgi`), and the JSON answer becomes the response message; a
REST error becomes the gRPC status of the same canonical code, with the same message.
The metadata a client sends (``x-goog-api-key``, ``authorization: Bearer ...``) travels
as the headers of that request, so the one :class:`~ragkit.server.auth.Authenticator`
decides. ``StreamGenerateContent`` streams: each server-sent event of the REST answer is
sent as one message as soon as it is made.

The server runs on grpc.aio in the app's own event loop; the app's lifespan starts and
stops it (:mod:`ragkit.server.app`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, NoReturn

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from grpc import aio

from ragkit.server.grpc.asgi import AsgiApp, HttpRequest, exchange
from ragkit.server.grpc.methods import GrpcMethod
from ragkit.server.grpc.status import GrpcError, error_from_body, error_from_payload
from ragkit.server.grpc.transcode import NoBinding, parse_response, to_http
from ragkit.server.http.access import RequestObserver
from ragkit.server.logs import AccessRecord, clean_request_id
from ragkit.types.status import Code

__all__ = ["MAX_MESSAGE_BYTES", "GrpcFront"]

logger = logging.getLogger("ragkit.server")

#: Largest request or response message (Google's limit on a request with inline data).
MAX_MESSAGE_BYTES = 20 * 1024 * 1024

_INTERNAL = GrpcError(grpc.StatusCode.INTERNAL, "Internal error encountered.")

#: Metadata that describes the gRPC transport itself, not the call.
_TRANSPORT_METADATA = frozenset({"content-type", "content-length", "te", "host", "user-agent"})


def _headers(context: aio.ServicerContext[Any, Any]) -> list[tuple[str, str]]:
    headers = [("user-agent", "ragkit-grpc-front")]
    for key, value in context.invocation_metadata() or ():
        if (
            isinstance(value, str)
            and not key.endswith("-bin")
            and not key.startswith((":", "grpc-"))
            and key not in _TRANSPORT_METADATA
        ):
            headers.append((key, value))
    return headers


def _peer(context: aio.ServicerContext[Any, Any]) -> tuple[str, int] | None:
    """``ipv4:127.0.0.1:5000`` / ``ipv6:[::1]:5000`` as an ASGI client address."""
    kind, _, address = (context.peer() or "").partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None
    host, _, port = address.rpartition(":")
    return (host.strip("[]"), int(port)) if port.isdigit() else None


async def _abort(context: aio.ServicerContext[Any, Any], error: GrpcError) -> NoReturn:
    await context.abort(error.code, error.message, trailing_metadata=error.trailers)
    raise AssertionError("unreachable: abort raises")  # pragma: no cover


def _sse_payload(event: bytes) -> Any:
    data = [line[5:].strip() for line in event.split(b"\n") if line.startswith(b"data:")]
    return json.loads(b"\n".join(data)) if data else None


class GrpcFront:
    """gRPC handlers over an ASGI app, and the aio server that runs them.

    Args:
        app: The REST app (``create_app(...)``), called in-process for every call.
        methods: The methods to serve (:func:`~ragkit.server.grpc.methods.load_methods`).
        observer: Where finished calls are counted and logged, once each (the REST app
            lets the in-process requests of gRPC calls pass unobserved).
    """

    def __init__(
        self,
        app: AsgiApp,
        methods: dict[str, GrpcMethod],
        *,
        observer: RequestObserver | None = None,
    ) -> None:
        self._app = app
        self._methods = methods
        self._observer = observer
        self._server: aio.Server | None = None
        self.port: int | None = None

    def _unary(self, method: GrpcMethod) -> Callable[..., Awaitable[Message]]:
        async def handle(message: Message, context: aio.ServicerContext[Any, Any]) -> Message:
            with self._observed(method, context):
                try:
                    return await self._answer(method, message, context)
                except aio.AbortError:
                    raise
                except Exception:
                    # The REST front renders its own failures; this is the front's own bug.
                    logger.exception("Unhandled error serving gRPC %s", method.path)
                    await _abort(context, _INTERNAL)

        return handle

    def _streaming(self, method: GrpcMethod) -> Callable[..., AsyncIterator[Message]]:
        async def handle(
            message: Message, context: aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Message]:
            with self._observed(method, context):
                try:
                    async for reply in self._stream(method, message, context):
                        yield reply
                except aio.AbortError:
                    raise
                except Exception:
                    logger.exception("Unhandled error serving gRPC %s", method.path)
                    await _abort(context, _INTERNAL)

        return handle

    @contextlib.contextmanager
    def _observed(
        self, method: GrpcMethod, context: aio.ServicerContext[Any, Any]
    ) -> Iterator[None]:
        """Time the call and hand it to the observer with its final status."""
        observer = self._observer
        if observer is None:
            yield
            return
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            with observer.in_flight("grpc"):
                yield
        except aio.AbortError:
            code = context.code() or grpc.StatusCode.UNKNOWN
            raise
        except (asyncio.CancelledError, GeneratorExit):
            code = grpc.StatusCode.CANCELLED  # the client went away
            raise
        except BaseException:
            code = grpc.StatusCode.UNKNOWN
            raise
        finally:
            peer = _peer(context)
            metadata = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
            record = AccessRecord(
                transport="grpc",
                method="POST",
                path=method.path,
                status=Code[code.name].http_status,
                latency_ms=(time.perf_counter() - started) * 1000,
                client=peer[0] if peer else None,
                request_id=clean_request_id(metadata.get("x-request-id")),
                grpc_status=code.name,
            )
            observer.finished(record, method_label=method.path[1:], code_label=code.name)

    async def _answer(
        self, method: GrpcMethod, message: Message, context: aio.ServicerContext[Any, Any]
    ) -> Message:
        request = await self._transcode(method, message, context)
        async with exchange(self._app, request) as response:
            body = await response.read()
        if response.status != 200:
            await _abort(context, error_from_body(response.status, body))
        return await self._parse(method, json.loads(body), context)

    async def _stream(
        self, method: GrpcMethod, message: Message, context: aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[Message]:
        """Each server-sent event of the REST answer as one message, as it arrives."""
        request = await self._transcode(method, message, context)
        async with exchange(self._app, request) as response:
            if response.status != 200:
                await _abort(context, error_from_body(response.status, await response.read()))
            pending = b""
            async for chunk in response.body:
                pending = (pending + chunk).replace(b"\r\n", b"\n")
                *events, pending = pending.split(b"\n\n")
                for event in events:
                    payload = _sse_payload(event)
                    if isinstance(payload, dict) and "error" in payload:
                        # An error after the stream started ends it, as over REST.
                        await _abort(context, error_from_payload(payload, 500))
                    if payload is not None:
                        yield await self._parse(method, payload, context)

    async def _transcode(
        self, method: GrpcMethod, message: Message, context: aio.ServicerContext[Any, Any]
    ) -> HttpRequest:
        try:
            verb, path, query, body = to_http(method, message)
        except NoBinding as exc:
            await _abort(context, GrpcError(grpc.StatusCode.INVALID_ARGUMENT, str(exc)))
        return HttpRequest(verb, path, query, _headers(context), body, _peer(context))

    async def _parse(
        self, method: GrpcMethod, payload: Any, context: aio.ServicerContext[Any, Any]
    ) -> Message:
        try:
            return parse_response(method, payload)
        except json_format.ParseError:
            logger.exception("The REST answer to %s does not fit its proto", method.path)
            await _abort(context, _INTERNAL)

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        """One generic handler per gRPC service."""
        services: dict[str, dict[str, grpc.RpcMethodHandler]] = defaultdict(dict)
        for method in self._methods.values():
            service = method.path[1:].rsplit("/", 1)[0]
            if method.server_streaming:
                handler = grpc.unary_stream_rpc_method_handler(
                    self._streaming(method),
                    request_deserializer=method.request.FromString,
                    response_serializer=method.response.SerializeToString,
                )
            else:
                handler = grpc.unary_unary_rpc_method_handler(
                    self._unary(method),
                    request_deserializer=method.request.FromString,
                    response_serializer=method.response.SerializeToString,
                )
            services[service][method.name] = handler
        return [grpc.method_handlers_generic_handler(s, h) for s, h in services.items()]

    async def start(self, host: str, port: int, credentials: grpc.ServerCredentials | None) -> int:
        """Listen on ``host:port`` (``0``: a free port), over TLS unless ``credentials``
        is ``None``; returns the port.

        Raises:
            RuntimeError: the address cannot be bound.
        """
        server = aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
            ]
        )
        server.add_generic_rpc_handlers(self.handlers())
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            if credentials is None:
                bound = server.add_insecure_port(address)
            else:
                bound = server.add_secure_port(address, credentials)
        except RuntimeError:
            bound = 0
        if not bound:
            raise RuntimeError(
                f"cannot listen for gRPC on {address} (is the port in use?); "
                "choose another with --grpc-port, or serve REST only with --no-grpc"
            )
        await server.start()
        self._server, self.port = server, int(bound)
        return int(bound)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting calls and let running ones finish for up to ``grace`` seconds."""
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None
