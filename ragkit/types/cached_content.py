"""Context caching (``cachedContents``)."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ragkit.types._base import Duration, Timestamp, WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.content import Content
from ragkit.types.tools import Tool, ToolConfig

__all__ = ["CachedContent", "CachedContentUsageMetadata", "ListCachedContentsResponse"]


class CachedContentUsageMetadata(WireModel):
    """Metadata on the usage of the cached content."""

    total_token_count: int | None = None


class CachedContent(WireModel):
    """Content that has been preprocessed and can be used in subsequent request to
    GenerativeService.

    Required by the API: ``model``.
    """

    name: str | None = None
    model: str | None = None
    system_instruction: Content | None = None
    contents: list[Content] | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None
    expire_time: Timestamp | None = None
    ttl: Duration | None = None
    display_name: str | None = None
    usage_metadata: CachedContentUsageMetadata | None = None

    @model_validator(mode="after")
    def _check_expiration(self) -> Self:
        return check_oneof(self, "expiration", "expire_time", "ttl")


class ListCachedContentsResponse(WireModel):
    """Response with CachedContents list."""

    cached_contents: list[CachedContent] | None = None
    next_page_token: str | None = None
