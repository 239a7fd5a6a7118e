"""Rows as the store hands them to the service: plain frozen dataclasses.

IDs (``name``) are the last segment of a resource name; the service builds full names.
Custom metadata travels in its wire form (``{"key": ..., "stringValue": ...}`` dicts) so
the store needs no pydantic models. Timestamps are UTC ``datetime``s, stored as fixed-width
RFC 3339 text with microseconds so that text order equals time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ChunkRecord",
    "CorpusRecord",
    "DocumentRecord",
    "Metadata",
    "PermissionRecord",
    "format_time",
    "parse_time",
]

#: Custom metadata entries in wire form, e.g. ``[{"key": "year", "numericValue": 2020}]``.
Metadata = list[dict[str, Any]]


def format_time(value: datetime) -> str:
    """``2025-01-02T03:04:05.000006Z``: always six fractional digits, always UTC."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class CorpusRecord:
    id: int
    name: str
    display_name: str
    create_time: datetime
    update_time: datetime


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    corpus_id: int
    name: str
    display_name: str
    custom_metadata: Metadata
    create_time: datetime
    update_time: datetime


@dataclass(frozen=True)
class ChunkRecord:
    id: int
    corpus_id: int
    document_id: int
    name: str
    text: str
    custom_metadata: Metadata
    state: int
    create_time: datetime
    update_time: datetime


@dataclass(frozen=True)
class PermissionRecord:
    id: int
    corpus_id: int
    name: str
    grantee_type: int
    email: str | None
    role: int
