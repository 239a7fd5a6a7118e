"""Custom metadata on documents and chunks, and the filters that query it."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ragkit.types._base import FiniteFloat, WireEnum, WireModel
from ragkit.types._oneof import check_oneof

__all__ = ["Condition", "CustomMetadata", "MetadataFilter", "Operator", "StringList"]


class Operator(WireEnum):
    """Operator applied by a `Condition` to a metadata key-value pair."""

    OPERATOR_UNSPECIFIED = 0
    LESS = 1
    LESS_EQUAL = 2
    EQUAL = 3
    GREATER_EQUAL = 4
    GREATER = 5
    NOT_EQUAL = 6
    INCLUDES = 7
    EXCLUDES = 8


class Condition(WireModel):
    """Filter condition applicable to a single key.

    Required by the API: ``operation``.
    """

    string_value: str | None = None
    operation: Operator | None = None
    numeric_value: FiniteFloat | None = None

    @model_validator(mode="after")
    def _check_value(self) -> Self:
        return check_oneof(self, "value", "string_value", "numeric_value")


class StringList(WireModel):
    """User provided string values assigned to a single metadata key."""

    values: list[str] | None = None


class CustomMetadata(WireModel):
    """User provided metadata stored as key-value pairs.

    Required by the API: ``key``.
    """

    key: str | None = None
    string_value: str | None = None
    string_list_value: StringList | None = None
    numeric_value: FiniteFloat | None = None

    @model_validator(mode="after")
    def _check_value(self) -> Self:
        return check_oneof(self, "value", "string_value", "string_list_value", "numeric_value")


class MetadataFilter(WireModel):
    """User provided filter to limit retrieval based on `Chunk` or `Document` level metadata
    values.

    Required by the API: ``key``, ``conditions``.
    """

    key: str | None = None
    conditions: list[Condition] | None = None
