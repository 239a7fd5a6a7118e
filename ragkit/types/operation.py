"""Long-running operations (``google.longrunning.Operation``) and ``Empty``."""

from __future__ import annotations

from typing import Any, Self

from pydantic import model_validator

from ragkit.types._base import WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.status import Status

__all__ = ["BaseOperation", "Empty", "ListOperationsResponse", "Operation"]


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
