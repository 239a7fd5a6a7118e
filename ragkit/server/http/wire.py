"""Request bodies in, response bodies out, with the JSON rules Google's front end applies.

Bodies are parsed strictly: unknown fields are rejected (``Unknown name "x"``), either
camelCase or snake_case names are accepted, enums as names or integers. Responses are
camelCase JSON with ``None`` fields and empty lists omitted; enums are names unless the
request asked for ``enum-encoding=int``. An empty body reads as ``{}``, like an empty proto
message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from ragkit.server.errors import invalid_argument
from ragkit.server.http.errors import validation_message
from ragkit.server.strict_json import parse_json
from ragkit.types._base import from_wire, to_wire

__all__ = ["body_of", "json_body", "parse_body", "render"]

M = TypeVar("M", bound=BaseModel)


async def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (``{}`` when empty).

    Raises:
        ApiError: INVALID_ARGUMENT when the body is not JSON or not a JSON object, or
            holds what proto3 JSON refuses (see :mod:`ragkit.server.strict_json`).
    """
    raw = await request.body()
    if not raw.strip():
        return {}
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise invalid_argument(
            'Invalid JSON payload received. Unknown name "": Root element must be a message.'
        )
    return data


def parse_body(model_type: type[M], data: dict[str, Any]) -> M:
    """Validate wire ``data`` into ``model_type``, rejecting unknown fields.

    Raises:
        ApiError: INVALID_ARGUMENT naming each bad field by its camelCase path.
    """
    try:
        parsed: M = from_wire(model_type, data, strict=True)
    except ValidationError as exc:
        raise invalid_argument(validation_message(exc.errors())) from None
    return parsed


def body_of(model_type: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency reading the request body as ``model_type``."""

    async def dependency(request: Request) -> M:
        return parse_body(model_type, await json_body(request))

    return dependency


def _drop_empty_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_empty_lists(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [_drop_empty_lists(v) for v in value]
    return value


def render(model: BaseModel | None, *, enum_int: bool = False) -> JSONResponse:
    """A 200 response carrying ``model`` as Google's JSON (``{}`` for ``None``/Empty).

    Empty repeated fields are left out, as proto3 JSON does: an empty list page is
    ``{}``, not ``{"corpora": []}``.
    """
    content = {} if model is None else _drop_empty_lists(to_wire(model, enum_int=enum_int))
    return JSONResponse(content)
