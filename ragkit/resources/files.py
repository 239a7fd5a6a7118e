"""``client.files``: upload (resumable), inspect, download and delete files.

REST: ``upload/v1beta/files`` (media upload), ``v1beta/files[/{file}]``,
``download/v1beta/files/{file}:download?alt=media``. Files expire after 48 hours.
"""

from __future__ import annotations

from ragkit import limits
from ragkit._base_client import API_VERSION, APIRequest, parse_empty
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._upload import (
    DEFAULT_CHUNK_SIZE,
    FileInput,
    UploadSource,
    parse_uploaded_file,
    run_upload,
    run_upload_async,
    start_request,
)
from ragkit._validation import check_page_size
from ragkit.resources._common import (
    AsyncAPIResource,
    SyncAPIResource,
    delete_request,
    get_request,
    list_request,
    resource_name,
)
from ragkit.types import File, ListFilesResponse

__all__ = ["AsyncFiles", "Files"]


def _file_name(value: str) -> str:
    # Generated files (files/batch-...) exceed the 40-character rule for chosen IDs.
    return resource_name(value, "files", strict=False)


def _list(page_size: int | None) -> APIRequest[ListFilesResponse]:
    check_page_size(page_size, limits.MAX_FILES_PAGE_SIZE, limit_name="MAX_FILES_PAGE_SIZE")
    return list_request("files", ListFilesResponse, page_size=page_size)


def _download(name: str) -> APIRequest[None]:
    return APIRequest(
        method="GET",
        path=f"download/{API_VERSION}/{_file_name(name)}:download",
        parse=parse_empty,
        params={"alt": "media"},
    )


class Files(SyncAPIResource):
    """Files for prompts and batch jobs (``files/{file}``)."""

    def upload(
        self,
        file: FileInput,
        *,
        mime_type: str | None = None,
        display_name: str | None = None,
        name: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> File:
        """Upload a path, bytes or binary file object with the resumable protocol.

        ``mime_type`` is guessed from the file name when not given (bytes need it).
        The data goes in ``chunk_size`` pieces (default 8 MiB); the last one finalizes.

        >>> client.files.upload("report.pdf", display_name="Q3 report")  # doctest: +SKIP
        """
        file_name = resource_name(name, "files") if name is not None else None
        source = UploadSource(file, mime_type=mime_type)
        try:
            start = start_request(source, display_name=display_name, name=file_name)
            response = run_upload(self._client._send, start, source, chunk_size)
            return parse_uploaded_file(response)
        finally:
            source.close()

    def get(self, name: str) -> File:
        """Fetch ``files/{file}`` (check ``state`` is ``ACTIVE`` before using it)."""
        return self._client._request(get_request(_file_name(name), File))

    def list(self, *, page_size: int | None = None) -> SyncPager[ListFilesResponse, File]:
        """The caller's files (``page_size`` <= 100)."""
        return self._client._pager(_list(page_size), lambda page: page.files)

    def delete(self, name: str) -> None:
        """Delete a file before it expires."""
        return self._client._request(delete_request(_file_name(name)))

    def download(self, name: str) -> bytes:
        """The file's bytes (``download/v1beta/files/{file}:download?alt=media``)."""
        return self._client._send(_download(name)).content


class AsyncFiles(AsyncAPIResource):
    """Files for prompts and batch jobs (``files/{file}``)."""

    async def upload(
        self,
        file: FileInput,
        *,
        mime_type: str | None = None,
        display_name: str | None = None,
        name: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> File:
        """Upload a path, bytes or binary file object with the resumable protocol."""
        file_name = resource_name(name, "files") if name is not None else None
        source = UploadSource(file, mime_type=mime_type)
        try:
            start = start_request(source, display_name=display_name, name=file_name)
            response = await run_upload_async(self._client._send, start, source, chunk_size)
            return parse_uploaded_file(response)
        finally:
            source.close()

    async def get(self, name: str) -> File:
        """Fetch ``files/{file}`` (check ``state`` is ``ACTIVE`` before using it)."""
        return await self._client._request(get_request(_file_name(name), File))

    def list(self, *, page_size: int | None = None) -> AsyncPager[ListFilesResponse, File]:
        """The caller's files (``page_size`` <= 100)."""
        return self._client._pager(_list(page_size), lambda page: page.files)

    async def delete(self, name: str) -> None:
        """Delete a file before it expires."""
        return await self._client._request(delete_request(_file_name(name)))

    async def download(self, name: str) -> bytes:
        """The file's bytes (``download/v1beta/files/{file}:download?alt=media``)."""
        return (await self._client._send(_download(name))).content
