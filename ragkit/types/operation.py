"""Long-running operations (``google.longrunning.Operation``) and ``Empty``."""

from __future__ import annotations

from typing import Any, Self

from pydantic import model_validator

from ragkit.types._base import WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.status import Status

__all__ = ["BaseOperation", "Empty", "ListOperationsResponse", "Operation"]


class BaseOperation(WireModel):
    """This resource represents a long-running operation that is the result of a network API
    call.
    """

    name: str | None = None
    done: bool | None = None
    error: Status | None = None

    @model_validator(mode="after")
    def _check_result(self) -> Self:
        return check_oneof(self, "result", "error", "response")


class Empty(WireModel):
    """A generic empty message that you can re-use to avoid defining duplicated empty
    messages in your APIs.
    """


class Operation(BaseOperation):
    """This resource represents a long-running operation that is the result of a network API
    call.
    """

    metadata: dict[str, Any] | None = None
    response: dict[str, Any] | None = None


class ListOperationsResponse(WireModel):
    """The response message for Operations.ListOperations."""

    operations: list[Operation] | None = None
    next_page_token: str | None = None
