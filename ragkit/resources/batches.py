"""``client.batches``: batch jobs, which the API exposes as long-running operations.

REST: ``v1beta/batches[/{id}][:cancel]``. Jobs are created by
``client.models.batch_generate_content`` / ``async_batch_embed_content``; the batch itself
is in ``Operation.metadata`` (and ``response`` once done).
"""

from __future__ import annotations

from ragkit._base_client import APIRequest, parse_empty
from ragkit._pagination import AsyncPager, SyncPager
from ragkit.resources._common import (
    AsyncAPIResource,
    SyncAPIResource,
    api_path,
    delete_request,
    get_request,
    list_request,
    resource_name,
)
from ragkit.types import ListOperationsResponse, Operation

__all__ = ["AsyncBatches", "Batches"]


def _name(value: str) -> str:
    return resource_name(value, "batches", strict=False)


def _list(filter: str | None, page_size: int | None) -> APIRequest[ListOperationsResponse]:
    return list_request("batches", ListOperationsResponse, filter=filter, page_size=page_size)


def _cancel(name: str) -> APIRequest[None]:
    # Cancelling twice has the same effect as once, so the call may be retried.
    return APIRequest(
        method="POST", path=api_path(_name(name), "cancel"), parse=parse_empty, json={}, retry=True
    )


class Batches(SyncAPIResource):
    """Batch jobs (``batches/{id}``)."""

    def get(self, name: str) -> Operation:
        """The job's operation; ``metadata`` holds its state and stats."""
        return self._client._request(get_request(_name(name), Operation))

    def list(
        self, *, filter: str | None = None, page_size: int | None = None
    ) -> SyncPager[ListOperationsResponse, Operation]:
        """The caller's batch jobs."""
        return self._client._pager(_list(filter, page_size), lambda page: page.operations)

    def cancel(self, name: str) -> None:
        """Ask the server to stop the job; it ends as ``BATCH_STATE_CANCELLED``."""
        return self._client._request(_cancel(name))

    def delete(self, name: str) -> None:
        """Forget the job (does not cancel it)."""
        return self._client._request(delete_request(_name(name)))


class AsyncBatches(AsyncAPIResource):
    """Batch jobs (``batches/{id}``)."""

    async def get(self, name: str) -> Operation:
        """The job's operation; ``metadata`` holds its state and stats."""
        return await self._client._request(get_request(_name(name), Operation))

    def list(
        self, *, filter: str | None = None, page_size: int | None = None
    ) -> AsyncPager[ListOperationsResponse, Operation]:
        """The caller's batch jobs."""
        return self._client._pager(_list(filter, page_size), lambda page: page.operations)

    async def cancel(self, name: str) -> None:
        """Ask the server to stop the job; it ends as ``BATCH_STATE_CANCELLED``."""
        return await self._client._request(_cancel(name))

    async def delete(self, name: str) -> None:
        """Forget the job (does not cancel it)."""
        return await self._client._request(delete_request(_name(name)))
