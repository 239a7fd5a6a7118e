"""Long-running operations under a model or a tuned model.

``client.models.operations`` (``models/{m}/operations/{op}``, from
``predict_long_running``) and ``client.tuned_models.operations``
(``tunedModels/{t}/operations/{op}``, from ``tuned_models.create``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragkit._base_client import APIRequest
from ragkit._pagination import AsyncPager, SyncPager
from ragkit.names import model_name, split_name
from ragkit.resources._common import (
    AsyncAPIResource,
    SyncAPIResource,
    get_request,
    list_request,
    operation_name,
)
from ragkit.types import ListOperationsResponse, Operation

if TYPE_CHECKING:
    from ragkit._client import AsyncClient, Client

__all__ = ["AsyncOperations", "Operations"]


def _parent(value: str, collection: str) -> str:
    if collection == "models" or value.startswith("models/"):
        return model_name(value)
    name = value if "/" in value else f"{collection}/{value}"
    split_name(name, "tunedModels")
    return name


def _list(
    parent: str, filter: str | None, page_size: int | None
) -> APIRequest[ListOperationsResponse]:
    return list_request(
        f"{parent}/operations", ListOperationsResponse, filter=filter, page_size=page_size
    )


class Operations(SyncAPIResource):
    """Poll or list long-running operations."""

    def __init__(self, client: Client, collection: str) -> None:
        super().__init__(client)
        self._collection = collection

    def get(self, name: str) -> Operation:
        """Fetch an operation by its full name; poll until ``done`` is true."""
        return self._client._request(get_request(operation_name(name), Operation))

    def list(
        self, parent: str, *, filter: str | None = None, page_size: int | None = None
    ) -> SyncPager[ListOperationsResponse, Operation]:
        """The operations of ``parent`` (``"models/veo-2.0"``, ``"tunedModels/t1"``)."""
        request = _list(_parent(parent, self._collection), filter, page_size)
        return self._client._pager(request, lambda page: page.operations)


class AsyncOperations(AsyncAPIResource):
    """Poll or list long-running operations."""

    def __init__(self, client: AsyncClient, collection: str) -> None:
        super().__init__(client)
        self._collection = collection

    async def get(self, name: str) -> Operation:
        """Fetch an operation by its full name; poll until ``done`` is true."""
        return await self._client._request(get_request(operation_name(name), Operation))

    def list(
        self, parent: str, *, filter: str | None = None, page_size: int | None = None
    ) -> AsyncPager[ListOperationsResponse, Operation]:
        """The operations of ``parent`` (``"models/veo-2.0"``, ``"tunedModels/t1"``)."""
        request = _list(_parent(parent, self._collection), filter, page_size)
        return self._client._pager(request, lambda page: page.operations)
