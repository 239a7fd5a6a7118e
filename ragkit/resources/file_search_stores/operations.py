"""``client.file_search_stores.operations``: poll, or wait for, the operations that
``upload_to_file_search_store`` and ``import_file`` return.

Names: ``fileSearchStores/{s}/upload/operations/{o}`` (uploads) and
``fileSearchStores/{s}/operations/{o}`` (imports); ``get`` returns the matching type.
"""

from __future__ import annotations

from typing import TypeVar

from ragkit._operations import (
    DEFAULT_OPERATION_TIMEOUT,
    DEFAULT_POLL_INTERVAL,
    Poller,
    raise_for_operation,
)
from ragkit.names import file_search_operation_name
from ragkit.resources._common import AsyncAPIResource, SyncAPIResource
from ragkit.resources.file_search_stores import _requests as build
from ragkit.types import FileSearchStoreOperation

__all__ = ["AsyncFileSearchStoreOperations", "FileSearchStoreOperations"]

OperationT = TypeVar("OperationT", bound=FileSearchStoreOperation)


def _start(
    operation: OperationT, timeout: float | None, poll_interval: float
) -> tuple[str, Poller]:
    name = operation.name or ""
    file_search_operation_name(name)
    return name, Poller(name, timeout=timeout, poll_interval=poll_interval)


class FileSearchStoreOperations(SyncAPIResource):
    """Long-running imports into File Search stores."""

    def get(self, name: str) -> FileSearchStoreOperation:
        """Fetch an operation by name; it is finished once ``done`` is true.

        >>> client.file_search_stores.operations.get(op.name).done  # doctest: +SKIP
        """
        return self._client._request(build.get_operation(name))

    def wait(
        self,
        operation: OperationT,
        *,
        timeout: float | None = DEFAULT_OPERATION_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> OperationT:
        """Poll ``operation`` until it is done and return it finished.

        The delay between polls starts at ``poll_interval`` seconds and grows to 5 s;
        ``timeout=None`` waits for as long as it takes.

        Raises:
            OperationTimeoutError: not done after ``timeout`` seconds (it keeps running).
            APIError: the operation failed; the subclass follows its status (e.g.
                ``BadRequestError`` for a file that cannot be parsed).
        """
        name, poller = _start(operation, timeout, poll_interval)
        request = build.poll_operation(name, type(operation))
        while not operation.done:
            self._client._sleep(poller.next_delay())
            operation = self._client._request(request)
        return raise_for_operation(operation)


class AsyncFileSearchStoreOperations(AsyncAPIResource):
    """Long-running imports into File Search stores."""

    async def get(self, name: str) -> FileSearchStoreOperation:
        """Fetch an operation by name; it is finished once ``done`` is true."""
        return await self._client._request(build.get_operation(name))

    async def wait(
        self,
        operation: OperationT,
        *,
        timeout: float | None = DEFAULT_OPERATION_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> OperationT:
        """Poll ``operation`` until it is done and return it finished (see the sync twin)."""
        name, poller = _start(operation, timeout, poll_interval)
        request = build.poll_operation(name, type(operation))
        while not operation.done:
            await self._client._sleep(poller.next_delay())
            operation = await self._client._request(request)
        return raise_for_operation(operation)
