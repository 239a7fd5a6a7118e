"""``client.cached_contents``: context caches reused across generate calls.

REST: ``v1beta/cachedContents[/{id}]``. Only the expiration (``ttl`` or ``expire_time``)
can be changed after creation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ragkit import limits
from ragkit._base_client import APIRequest, parse_model
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._validation import check_display_name, check_page_size
from ragkit.names import model_name
from ragkit.resources._common import (
    AsyncAPIResource,
    ContentInput,
    ContentsInput,
    SyncAPIResource,
    api_path,
    coerce,
    coerce_list,
    content,
    contents,
    delete_request,
    get_request,
    list_request,
    resource_name,
    update_mask,
    wire,
)
from ragkit.types import CachedContent, ListCachedContentsResponse, Tool, ToolConfig

__all__ = ["AsyncCachedContents", "CachedContents", "TtlInput"]

#: A TTL as seconds, a ``timedelta`` or a Duration string such as ``"3600s"``.
TtlInput = float | timedelta | str
ExpireInput = datetime | str


def _ttl(value: TtlInput | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return f"{seconds:.9f}".rstrip("0").rstrip(".") + "s"


def _expiry(ttl: TtlInput | None, expire_time: ExpireInput | None) -> dict[str, Any]:
    if ttl is not None and expire_time is not None:
        raise ValueError("pass either ttl or expire_time, not both")
    return {"ttl": _ttl(ttl), "expireTime": expire_time}


def _name(value: str) -> str:
    return resource_name(value, "cachedContents", strict=False)


def _create(
    model: str,
    contents_: ContentsInput | None,
    system_instruction: ContentInput | None,
    tools: Sequence[Tool | Mapping[str, Any]] | None,
    tool_config: ToolConfig | Mapping[str, Any] | None,
    display_name: str | None,
    expiry: dict[str, Any],
) -> APIRequest[CachedContent]:
    check_display_name(
        display_name,
        limits.MAX_CACHED_CONTENT_DISPLAY_NAME_LENGTH,
        limit_name="MAX_CACHED_CONTENT_DISPLAY_NAME_LENGTH",
    )
    body = CachedContent.model_validate(
        {
            "model": model_name(model),
            "contents": None if contents_ is None else contents(contents_),
            "systemInstruction": None
            if system_instruction is None
            else content(system_instruction, role=None),
            "tools": None if tools is None else coerce_list(Tool, tools),
            "toolConfig": None if tool_config is None else coerce(ToolConfig, tool_config),
            "displayName": display_name,
            **expiry,
        }
    )
    return APIRequest(
        method="POST",
        path=api_path("cachedContents"),
        parse=parse_model(CachedContent),
        json=wire(body),
    )


def _list(page_size: int | None) -> APIRequest[ListCachedContentsResponse]:
    check_page_size(
        page_size,
        limits.MAX_CACHED_CONTENTS_PAGE_SIZE,
        limit_name="MAX_CACHED_CONTENTS_PAGE_SIZE",
    )
    return list_request("cachedContents", ListCachedContentsResponse, page_size=page_size)


def _update(name: str, expiry: dict[str, Any]) -> APIRequest[CachedContent]:
    name = _name(name)
    field = "ttl" if expiry["ttl"] is not None else "expire_time"
    if expiry["ttl"] is None and expiry["expireTime"] is None:
        raise ValueError("update needs ttl or expire_time")
    body = CachedContent.model_validate({"name": name, **expiry})
    return APIRequest(
        method="PATCH",
        path=api_path(name),
        parse=parse_model(CachedContent),
        params={"updateMask": update_mask(field)},
        json=wire(body),
    )


class CachedContents(SyncAPIResource):
    """Context caches (``cachedContents/{id}``), usable only with the model they name."""

    def create(
        self,
        *,
        model: str,
        contents: ContentsInput | None = None,
        system_instruction: ContentInput | None = None,
        tools: Sequence[Tool | Mapping[str, Any]] | None = None,
        tool_config: ToolConfig | Mapping[str, Any] | None = None,
        display_name: str | None = None,
        ttl: TtlInput | None = None,
        expire_time: ExpireInput | None = None,
    ) -> CachedContent:
        """Cache a prompt prefix for ``model``; expiry by ``ttl`` or ``expire_time``."""
        request = _create(
            model,
            contents,
            system_instruction,
            tools,
            tool_config,
            display_name,
            _expiry(ttl, expire_time),
        )
        return self._client._request(request)

    def get(self, name: str) -> CachedContent:
        """Fetch ``cachedContents/{id}`` (metadata only; the content is not returned)."""
        return self._client._request(get_request(_name(name), CachedContent))

    def list(
        self, *, page_size: int | None = None
    ) -> SyncPager[ListCachedContentsResponse, CachedContent]:
        """The caller's caches (``page_size`` <= 1000)."""
        return self._client._pager(_list(page_size), lambda page: page.cached_contents)

    def update(
        self, name: str, *, ttl: TtlInput | None = None, expire_time: ExpireInput | None = None
    ) -> CachedContent:
        """Extend or shorten the cache's life (the only mutable field)."""
        return self._client._request(_update(name, _expiry(ttl, expire_time)))

    def delete(self, name: str) -> None:
        """Delete a cache."""
        return self._client._request(delete_request(_name(name)))


class AsyncCachedContents(AsyncAPIResource):
    """Context caches (``cachedContents/{id}``), usable only with the model they name."""

    async def create(
        self,
        *,
        model: str,
        contents: ContentsInput | None = None,
        system_instruction: ContentInput | None = None,
        tools: Sequence[Tool | Mapping[str, Any]] | None = None,
        tool_config: ToolConfig | Mapping[str, Any] | None = None,
        display_name: str | None = None,
        ttl: TtlInput | None = None,
        expire_time: ExpireInput | None = None,
    ) -> CachedContent:
        """Cache a prompt prefix for ``model``; expiry by ``ttl`` or ``expire_time``."""
        request = _create(
            model,
            contents,
            system_instruction,
            tools,
            tool_config,
            display_name,
            _expiry(ttl, expire_time),
        )
        return await self._client._request(request)

    async def get(self, name: str) -> CachedContent:
        """Fetch ``cachedContents/{id}`` (metadata only; the content is not returned)."""
        return await self._client._request(get_request(_name(name), CachedContent))

    def list(
        self, *, page_size: int | None = None
    ) -> AsyncPager[ListCachedContentsResponse, CachedContent]:
        """The caller's caches (``page_size`` <= 1000)."""
        return self._client._pager(_list(page_size), lambda page: page.cached_contents)

    async def update(
        self, name: str, *, ttl: TtlInput | None = None, expire_time: ExpireInput | None = None
    ) -> CachedContent:
        """Extend or shorten the cache's life (the only mutable field)."""
        return await self._client._request(_update(name, _expiry(ttl, expire_time)))

    async def delete(self, name: str) -> None:
        """Delete a cache."""
        return await self._client._request(delete_request(_name(name)))
