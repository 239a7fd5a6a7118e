"""gRPC messages to REST requests and back, by the method's ``google.api.http`` rule.

This is the transcoding Google's front end does, with the function Google's own REST
clients use (``google.api_core.path_template.transcode``): path variables from the
request's fields, the ``body`` field (or ``*``, the rest) as JSON, every other set field
as a query parameter (``pageSize``, ``updateMask``, ``force``...). Messages become JSON
with ``google.protobuf.json_format`` (camelCase names, enums by name, only fields that are
set), so the REST front validates them exactly as it validates a REST client's body.
Answers are asked for with integer enums, so values newer than the installed protos
survive the trip back.
"""

from __future__ import annotations

import json
import re
from typing import Any

from google.api_core import path_template, rest_helpers
from google.protobuf import json_format
from google.protobuf.message import Message

from ragkit.server.grpc.methods import GrpcMethod
from ragkit.server.grpc.protojson import fill, to_dict

__all__ = ["NoBinding", "json_bytes", "parse_response", "to_http"]

#: ``$alt`` asking for JSON (or server-sent events) with enums as integers.
_ALT_JSON = "json;enum-encoding=int"
_ALT_SSE = "sse;enum-encoding=int"
#: ``{name=corpora/*}`` in a binding's URI template.
_VARIABLE = re.compile(r"\{(?P<name>[^=}]+)(?:=(?P<template>[^}]+))?\}")


class NoBinding(ValueError):
    """The request's resource name fits none of the method's HTTP bindings."""


def _wire(message: Message) -> dict[str, Any]:
    return to_dict(message)


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _field(request: Message, name: str) -> Any:
    return path_template.get_field(request, name)  # type: ignore[no-untyped-call]


def _describe_binding(method: GrpcMethod, request: Message) -> str:
    """``GetPermission needs name like corpora/*/permissions/* or tunedModels/*/...``."""
    shapes: dict[str, list[str]] = {}
    for rule in method.http:
        for match in _VARIABLE.finditer(rule["uri"]):
            templates = shapes.setdefault(match.group("name"), [])
            template = match.group("template") or "*"
            if template not in templates:
                templates.append(template)
    wanted = ", ".join(
        f"{field} like {' or '.join(templates)} (got {_field(request, field)!r})"
        for field, templates in shapes.items()
    )
    return f"{method.name} needs {wanted}."


def to_http(method: GrpcMethod, request: Message) -> tuple[str, str, list[tuple[str, str]], bytes]:
    """(HTTP method, percent-encoded path, query, JSON body) of ``request``.

    Raises:
        NoBinding: a path field (``name``, ``parent``, ``model``...) does not fit any
            binding, e.g. ``GetCorpus(name="documents/x")``.
    """
    try:
        http = path_template.transcode(list(method.http), request)  # type: ignore[no-untyped-call]
    except ValueError:
        raise NoBinding(_describe_binding(method, request)) from None
    body = http.get("body")
    payload = b""
    if body is not None:
        payload = json_bytes(_wire(body) if isinstance(body, Message) else body)
    query: list[tuple[str, str]] = rest_helpers.flatten_query_params(  # type: ignore[no-untyped-call]
        _wire(http["query_params"]), strict=True
    )
    query.append(("$alt", _ALT_SSE if method.server_streaming else _ALT_JSON))
    return http["method"].upper(), http["uri"], query, payload


def parse_response(method: GrpcMethod, payload: Any) -> Message:
    """The response message from the REST front's JSON; unknown fields (newer than the
    installed protos) are dropped, as a GAPIC REST client drops them.

    Raises:
        json_format.ParseError: the JSON does not fit the message.
    """
    message = method.response()
    try:
        fill(message, payload)
    except (TypeError, ValueError, KeyError, AttributeError):
        # Something the fast path does not map: json_format decides (and names the problem).
        message = method.response()
        json_format.ParseDict(payload, message, ignore_unknown_fields=True)
    return message
