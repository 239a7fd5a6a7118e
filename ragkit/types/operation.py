"""Long-running operations (``google.longrunning.Operation``), ``Empty``, and ``Any`` packing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from pydantic import model_validator

from ragkit.types._base import STRICT, WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.status import Status

__all__ = [
    "BaseOperation",
    "Empty",
    "ListOperationsResponse",
    "Operation",
    "TYPE_URL_PREFIX",
    "pack_any",
    "type_url",
    "unpack_any",
]


class BaseOperation(WireModel):
    """A long-running operation (``google.longrunning.Operation``); ``error`` and
    ``response`` are exclusive.
    """

    name: str | None = None
    done: bool | None = None
    error: Status | None = None

    @model_validator(mode="after")
    def _check_result(self) -> Self:
        return check_oneof(self, "result", "error", "response")


class Empty(WireModel):
    """An empty message: the response body of methods with no data, such as ``DELETE``."""


class Operation(BaseOperation):
    """A long-running operation whose ``metadata`` and ``response`` are JSON objects tagged
    with ``@type`` (e.g.
    ``type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch``).
    """

    metadata: dict[str, Any] | None = None
    response: dict[str, Any] | None = None


class ListOperationsResponse(WireModel):
    """Response of ``operations.list`` (and ``batches.list``)."""

    operations: list[Operation] | None = None
    next_page_token: str | None = None


#: Type URL prefix of this API's messages inside a ``google.protobuf.Any``.
TYPE_URL_PREFIX = "type.googleapis.com/google.ai.generativelanguage.v1beta."

_M = TypeVar("_M", bound=WireModel)


def type_url(model_type: type[WireModel]) -> str:
    """The ``@type`` of ``model_type`` in an operation's ``metadata`` or ``response``.

    >>> type_url(Empty)
    'type.googleapis.com/google.protobuf.Empty'
    """
    if model_type is Empty:
        return "type.googleapis.com/google.protobuf.Empty"
    return TYPE_URL_PREFIX + model_type.__name__


def pack_any(message: WireModel, *, enum_int: bool = False) -> dict[str, Any]:
    """Wrap ``message`` as ``google.protobuf.Any`` JSON: its fields plus ``@type`` (first)."""
    return {"@type": type_url(type(message)), **message.to_wire(enum_int=enum_int)}


def unpack_any(data: Mapping[str, Any], model_type: type[_M], *, strict: bool = False) -> _M:
    """Parse ``google.protobuf.Any`` JSON (e.g. ``Operation.response``) as ``model_type``.

    Only the message name after the last ``/`` of ``@type`` is compared, so any type-URL
    host is accepted; a missing ``@type`` is tolerated.

    Raises:
        ValueError: ``@type`` names a different message, or the fields do not validate.
    """
    url = data.get("@type")
    expected = type_url(model_type)
    if url is not None and str(url).rsplit("/", 1)[-1] != expected.rsplit("/", 1)[-1]:
        raise ValueError(f"expected an Any of type {expected!r}, got {url!r}")
    fields = {key: value for key, value in data.items() if key != "@type"}
    return model_type.model_validate(fields, context=STRICT if strict else None)
