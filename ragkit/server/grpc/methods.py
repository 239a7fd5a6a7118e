"""The gRPC methods Google publishes for the Generative Language API, read from its client.

Google ships the API's protos compiled into ``google-ai-generativelanguage`` (the GAPIC
client), not as ``.proto`` files. Each of its services has a gRPC transport, which names
every method's path and its request/response messages, and a REST transport base, which
holds the method's ``google.api.http`` rule (the transcoding Google's own front end
applies). :func:`load_methods` reads both, so the gRPC front serves exactly the methods
(and bindings) of the installed client, v1beta and v1, with no hand-kept table to drift.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from google.longrunning import operations_pb2
from google.protobuf import empty_pb2
from google.protobuf.message import Message
from grpc import aio

__all__ = ["VERSIONS", "GrpcMethod", "load_methods"]

#: API versions served over gRPC, each by its ``google.ai.generativelanguage_<v>`` package.
VERSIONS = ("v1beta", "v1")

#: ``google.longrunning.Operations`` mixin methods: their request serializer is the generic
#: ``Message.SerializeToString``, which does not name the message, so they are listed here.
_OPERATION_REQUESTS: dict[str, type[Message]] = {
    "GetOperation": operations_pb2.GetOperationRequest,
    "ListOperations": operations_pb2.ListOperationsRequest,
    "CancelOperation": operations_pb2.CancelOperationRequest,
    "DeleteOperation": operations_pb2.DeleteOperationRequest,
}


@dataclass(frozen=True)
class GrpcMethod:
    """One gRPC method: ``/google.ai.generativelanguage.v1beta.RetrieverService/GetCorpus``,
    its protobuf request and response classes, whether it streams its responses, and the
    HTTP bindings the REST front serves it under."""

    path: str
    request: type[Message]
    response: type[Message]
    server_streaming: bool
    #: ``google.api.http`` bindings as GAPIC spells them:
    #: ``{"method": "post", "uri": "/v1beta/{parent=corpora/*}/documents", "body": "document"}``.
    http: tuple[dict[str, str], ...]

    @property
    def name(self) -> str:
        """The method name alone, e.g. ``GetCorpus``."""
        return self.path.rsplit("/", 1)[1]


def _unusable_stub(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a recorded stub is never called")


class _RecordingChannel(aio.Channel):  # type: ignore[misc]
    """An ``aio.Channel`` that only records the stubs a GAPIC transport asks it for."""

    def __init__(self) -> None:
        self.stubs: dict[str, tuple[bool, Any, Any]] = {}
        # GAPIC's asyncio transports append their logging interceptor here.
        self._unary_unary_interceptors: list[Any] = []

    def _record(self, streaming: bool, method: str, serializer: Any, deserializer: Any) -> Any:
        self.stubs.setdefault(method, (streaming, serializer, deserializer))
        return _unusable_stub

    def unary_unary(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        return self._record(False, method, request_serializer, response_deserializer)

    def unary_stream(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        return self._record(True, method, request_serializer, response_deserializer)

    def stream_unary(self, *args: Any, **kwargs: Any) -> Any:
        return _unusable_stub  # client-streaming methods (none served) are not recorded

    def stream_stream(self, *args: Any, **kwargs: Any) -> Any:
        return _unusable_stub  # BidiGenerateContent (the Live API) is not served

    def get_state(self, try_to_connect: bool = False) -> Any:
        return None

    async def wait_for_state_change(self, last_observed_state: Any) -> None:
        return None

    async def channel_ready(self) -> None:
        return None

    async def close(self, grace: float | None = None) -> None:
        return None

    async def __aenter__(self) -> _RecordingChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def _message_class(codec: Any, method: str, *, request: bool) -> type[Message]:
    """The protobuf class behind a GAPIC (de)serializer: proto-plus ``Type.serialize``
    is bound to the proto-plus class, a raw ``Type.FromString`` to the protobuf class."""
    owner = getattr(codec, "__self__", None)
    if isinstance(owner, type):
        pb = getattr(owner, "pb", None)
        if callable(pb):
            cls: type[Message] = pb()
            return cls
        if issubclass(owner, Message):
            return cast(type[Message], owner)
    if codec is None and not request:
        empty: type[Message] = empty_pb2.Empty
        return empty
    if request and method.startswith("/google.longrunning.Operations/"):
        return _OPERATION_REQUESTS[method.rsplit("/", 1)[1]]
    raise LookupError(f"cannot tell the message type of {method}")


def _services(version: str) -> Iterator[tuple[str, str]]:
    package = importlib.import_module(f"google.ai.generativelanguage_{version}.services")
    for info in pkgutil.iter_modules(package.__path__):
        yield package.__name__, info.name


def _only(module: Any, suffix: str) -> Any:
    found = [value for key, value in vars(module).items() if key.endswith(suffix)]
    if len(found) != 1:
        raise LookupError(f"{module.__name__} has {len(found)} classes ending {suffix}")
    return found[0]


def _http_rules(rest_base: Any, method: str) -> tuple[dict[str, str], ...]:
    base = getattr(rest_base, f"_Base{method}", None)
    get_options: Callable[[], list[dict[str, str]]] | None = getattr(
        base, "_get_http_options", None
    )
    return tuple(get_options()) if get_options is not None else ()


#: Transport properties that are not method stubs.
_NOT_STUBS = frozenset({"grpc_channel", "operations_client", "kind", "host"})


def load_methods() -> dict[str, GrpcMethod]:
    """Every unary and server-streaming method of the installed client's services, by
    gRPC path. Methods without an HTTP binding (none today) are left out: the REST front
    is what serves them."""
    methods: dict[str, GrpcMethod] = {}
    for version in VERSIONS:
        for package, service in _services(version):
            transports = f"{package}.{service}.transports"
            transport_cls = _only(
                importlib.import_module(f"{transports}.grpc_asyncio"), "GrpcAsyncIOTransport"
            )
            rest_base = _only(importlib.import_module(f"{transports}.rest_base"), "RestTransport")
            channel = _RecordingChannel()
            transport = transport_cls(channel=channel)
            for attribute, value in vars(transport_cls).items():
                if isinstance(value, property) and attribute not in _NOT_STUBS:
                    getattr(transport, attribute)
            for path, (streaming, serializer, deserializer) in channel.stubs.items():
                name = path.rsplit("/", 1)[1]
                http = _http_rules(rest_base, name)
                if not http:
                    continue
                if path in methods:
                    # The Operations mixin recurs in every service, each with its bindings.
                    known = methods[path]
                    merged = known.http + tuple(r for r in http if r not in known.http)
                    methods[path] = GrpcMethod(
                        path, known.request, known.response, streaming, merged
                    )
                    continue
                methods[path] = GrpcMethod(
                    path=path,
                    request=_message_class(serializer, path, request=True),
                    response=_message_class(deserializer, path, request=False),
                    server_streaming=streaming,
                    http=http,
                )
    return methods
