"""``client.generated_files``: files the API generated on the caller's behalf.

REST: ``v1beta/generatedFiles[/{id}]`` and ``generatedFiles/{id}/operations/{op}``.
"""

from __future__ import annotations

from ragkit import limits
from ragkit._base_client import APIRequest
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._validation import check_page_size
from ragkit.resources._common import (
    AsyncAPIResource,
    SyncAPIResource,
    get_request,
    list_request,
    operation_name,
    resource_name,
)
from ragkit.types import GeneratedFile, ListGeneratedFilesResponse, Operation

__all__ = ["AsyncGeneratedFiles", "GeneratedFiles"]


def _name(value: str) -> str:
    return resource_name(value, "generatedFiles", strict=False)


def _operation(name: str, operation: str) -> APIRequest[Operation]:
    return get_request(operation_name(f"{_name(name)}/operations/{operation}"), Operation)


def _list(page_size: int | None) -> APIRequest[ListGeneratedFilesResponse]:
    check_page_size(page_size, limits.MAX_FILES_PAGE_SIZE, limit_name="MAX_FILES_PAGE_SIZE")
    return list_request("generatedFiles", ListGeneratedFilesResponse, page_size=page_size)


class GeneratedFiles(SyncAPIResource):
    """Generated files (``generatedFiles/{id}``)."""

    def get(self, name: str) -> GeneratedFile:
        """Fetch ``generatedFiles/{id}`` (``state`` says whether it is ready)."""
        return self._client._request(get_request(_name(name), GeneratedFile))

    def list(
        self, *, page_size: int | None = None
    ) -> SyncPager[ListGeneratedFilesResponse, GeneratedFile]:
        """The caller's generated files (``page_size`` <= 100)."""
        return self._client._pager(_list(page_size), lambda page: page.generated_files)

    def get_operation(self, name: str, operation: str) -> Operation:
        """The operation producing a generated file."""
        return self._client._request(_operation(name, operation))


class AsyncGeneratedFiles(AsyncAPIResource):
    """Generated files (``generatedFiles/{id}``)."""

    async def get(self, name: str) -> GeneratedFile:
        """Fetch ``generatedFiles/{id}`` (``state`` says whether it is ready)."""
        return await self._client._request(get_request(_name(name), GeneratedFile))

    def list(
        self, *, page_size: int | None = None
    ) -> AsyncPager[ListGeneratedFilesResponse, GeneratedFile]:
        """The caller's generated files (``page_size`` <= 100)."""
        return self._client._pager(_list(page_size), lambda page: page.generated_files)

    async def get_operation(self, name: str, operation: str) -> Operation:
        """The operation producing a generated file."""
        return await self._client._request(_operation(name, operation))
