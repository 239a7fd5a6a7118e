"""Partial responses: the ``fields`` system parameter.

Google's APIs let any request name the response fields it wants, ``?fields=name,displayName``
or, for nested and repeated fields, ``?fields=relevantChunks(chunkRelevanceScore,chunk/name)``.
The grammar is the one Google documents for partial responses::

    selection := item ("," item)*
    item      := path ["(" selection ")"]
    path      := name ("/" name)*
    name      := a field name (camelCase or snake_case) | "*"

A path selects a field and everything under it; ``a(b,c)`` selects ``b`` and ``c`` inside
``a``; ``a/b`` is ``a(b)``; ``*`` selects every field at its level. A repeated field's
selection applies to each element. Names the response does not have select nothing.

:class:`PartialResponseMiddleware` applies it to every successful JSON response (``200``,
``application/json``) and to each event of a server-sent event stream (``alt=sse``). Error
bodies are never trimmed. A malformed ``fields`` value is rejected with 400
INVALID_ARGUMENT *before* the request runs, so a bad mask never half-applies a write. A
streamed JSON array (``streamGenerateContent`` without ``alt=sse``) is trimmed whole, so
with ``fields`` it arrives at the end rather than piece by piece.

Example::

    selection = parse_fields("relevantChunks(chunk/name,chunkRelevanceScore)")
    select({"relevantChunks": [{"chunk": {"name": "c", "data": {}}, "chunkRelevanceScore": 1}]},
           selection)
    # {"relevantChunks": [{"chunk": {"name": "c"}, "chunkRelevanceScore": 1}]}
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from pydantic.alias_generators import to_camel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragkit.limits import MAX_FIELDS_DEPTH
from ragkit.server.errors import ApiError, invalid_argument
from ragkit.server.http.errors import error_response

__all__ = ["PartialResponseMiddleware", "Selection", "parse_fields", "select"]

#: A parsed selection: field name -> what to keep inside it (``None``: all of it).
Selection = dict[str, "Selection | None"]

_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*|\*)|([,()/]))\s*")


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _invalid(text, f"unexpected {text[position]!r} at position {position + 1}")
        tokens.append(match.group(1) or match.group(2))
        position = match.end()
    return tokens


def _invalid(text: str, problem: str) -> ApiError:
    shown = text if len(text) <= 200 else text[:200] + "..."
    return invalid_argument(f"Invalid fields parameter {shown!r}: {problem}.")


def _merge(into: Selection, name: str, sub: Selection | None) -> None:
    if name not in into:
        into[name] = sub
        return
    current = into[name]
    if current is None or sub is None:
        into[name] = None  # a whole field wins over any part of it
        return
    for key, value in sub.items():
        _merge(current, key, value)


def parse_fields(text: str) -> Selection:
    """Parse a ``fields`` value.

    Raises:
        ApiError: INVALID_ARGUMENT for an empty item, unbalanced brackets, a stray symbol
            or ``(`` nested deeper than ``MAX_FIELDS_DEPTH``.
    """
    tokens = _tokens(text)
    position = 0

    def name() -> str:
        nonlocal position
        if position >= len(tokens) or tokens[position] in ",()/":
            found = "the end" if position >= len(tokens) else repr(tokens[position])
            raise _invalid(text, f"expected a field name, found {found}")
        token = tokens[position]
        position += 1
        return token if token == "*" else to_camel(token)

    def selection(depth: int) -> Selection:
        nonlocal position
        if depth > MAX_FIELDS_DEPTH:
            raise _invalid(text, f"nesting is limited to {MAX_FIELDS_DEPTH} levels")
        result: Selection = {}
        while True:
            path = [name()]
            while position < len(tokens) and tokens[position] == "/":
                position += 1
                path.append(name())
            sub: Selection | None = None
            if position < len(tokens) and tokens[position] == "(":
                position += 1
                sub = selection(depth + 1)
                if position >= len(tokens) or tokens[position] != ")":
                    raise _invalid(text, "unbalanced '('")
                position += 1
            for part in reversed(path[1:]):
                sub = {part: sub}
            _merge(result, path[0], sub)
            if position < len(tokens) and tokens[position] == ",":
                position += 1
                continue
            return result

    parsed = selection(1)
    if position != len(tokens):
        raise _invalid(text, f"unexpected {tokens[position]!r}")
    return parsed


def select(value: Any, selection: Selection | None) -> Any:
    """The parts of ``value`` (decoded JSON) that ``selection`` names."""
    if selection is None:
        return value
    if isinstance(value, list):
        return [select(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    if "*" in selection:
        for key, item in value.items():
            kept[key] = select(item, selection["*"])
    for key, sub in selection.items():
        if key != "*" and key in value:
            kept[key] = select(value[key], sub)
    return kept


def _trim(payload: Any, selection: Selection) -> Any:
    """Trim a response payload; error bodies (also inside a streamed array) stay whole."""
    if isinstance(payload, list):
        return [_trim(item, selection) for item in payload]
    if isinstance(payload, dict) and "error" in payload:
        return payload
    return select(payload, selection)


def _fields_of(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    found = None
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in ("fields", "$fields"):
            found = value
    return found.strip() if found and found.strip() else None


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class PartialResponseMiddleware:
    """Apply the ``fields`` parameter to JSON and server-sent event responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fields = _fields_of(scope) if scope["type"] == "http" else None
        if fields is None:
            await self.app(scope, receive, send)
            return
        try:
            selection = parse_fields(fields)
        except ApiError as error:
            await error_response(error)(scope, receive, send)
            return
        mode = "pass"
        start: Message = {}
        body = bytearray()

        async def trimming_send(message: Message) -> None:
            nonlocal mode, start
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                kind = _header(headers, b"content-type")
                if message["status"] == 200 and kind.startswith("application/json"):
                    mode, start = "json", message
                    return
                if message["status"] == 200 and kind.startswith("text/event-stream"):
                    mode = "sse"
                await send(message)
                return
            if message["type"] != "http.response.body" or mode == "pass":
                await send(message)
                return
            if mode == "sse":
                chunk = bytes(message.get("body", b""))
                await send({**message, "body": _trim_events(chunk, selection)})
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            trimmed = _dumps(_trim(json.loads(body), selection)) if body else b""
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(trimmed)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": trimmed, "more_body": False})

        await self.app(scope, receive, trimming_send)


def _trim_events(chunk: bytes, selection: Selection) -> bytes:
    """Trim the ``data:`` lines of server-sent events (one JSON payload per line)."""
    lines = chunk.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"data: "):
            payload = json.loads(line[len(b"data: ") :])
            lines[i] = b"data: " + _dumps(_trim(payload, selection))
    return b"\n".join(lines)
