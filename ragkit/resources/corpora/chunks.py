"""``client.corpora.documents.chunks``: the retrievable passages of a document.

REST: ``v1beta/corpora/{c}/documents/{d}/chunks[/{chunk}]`` and the batch verbs
``chunks:batchCreate``, ``chunks:batchUpdate``, ``chunks:batchDelete`` (at most 100
requests each). Chunk names inside batches may be bare IDs; they are expanded under the
document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from ragkit import limits
from ragkit._base_client import APIRequest, parse_empty, parse_model
from ragkit._exceptions import ResourceNameError
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._validation import check_batch_size, check_custom_metadata, check_page_size
from ragkit.names import chunk_name, document_name, parent_of, validate_id
from ragkit.resources._common import (
    AsyncAPIResource,
    MetadataInput,
    SyncAPIResource,
    api_path,
    coerce,
    custom_metadata,
    delete_request,
    get_request,
    list_request,
    update_mask,
    wire,
)
from ragkit.types import (
    BatchCreateChunksRequest,
    BatchCreateChunksResponse,
    BatchDeleteChunksRequest,
    BatchUpdateChunksRequest,
    BatchUpdateChunksResponse,
    Chunk,
    ChunkData,
    CreateChunkRequest,
    DeleteChunkRequest,
    ListChunksResponse,
    UpdateChunkRequest,
)

__all__ = ["AsyncChunks", "ChunkInput", "ChunkUpdateInput", "Chunks"]

DataInput: TypeAlias = str | ChunkData | Mapping[str, Any]
#: What ``batch_create`` accepts per chunk: the text, a ``Chunk``, a ``CreateChunkRequest``.
ChunkInput: TypeAlias = str | Chunk | CreateChunkRequest | Mapping[str, Any]
#: What ``batch_update`` accepts per chunk: a request, or ``(chunk, mask)``.
ChunkUpdateInput: TypeAlias = (
    UpdateChunkRequest | tuple[Chunk | Mapping[str, Any], str | Sequence[str]] | Mapping[str, Any]
)


def _chunk_child(document: str, value: str) -> str:
    if "/" not in value:
        return f"{document}/chunks/{validate_id(value, kind='chunk')}"
    name = chunk_name(value)
    if parent_of(name) != document:
        raise ResourceNameError(f"chunk {value!r} is not under {document!r}")
    return name


def _data(value: DataInput) -> ChunkData:
    return ChunkData(string_value=value) if isinstance(value, str) else coerce(ChunkData, value)


def _checked_chunk(document: str, chunk: Chunk) -> Chunk:
    check_custom_metadata(chunk.custom_metadata)
    if chunk.name:
        return chunk.model_copy(update={"name": _chunk_child(document, chunk.name)})
    return chunk


def _create_request(document: str, item: ChunkInput) -> CreateChunkRequest:
    if isinstance(item, str):
        request = CreateChunkRequest(chunk=Chunk(data=ChunkData(string_value=item)))
    elif isinstance(item, Chunk):
        request = CreateChunkRequest(chunk=item)
    elif isinstance(item, Mapping) and "chunk" not in item:
        request = CreateChunkRequest(chunk=coerce(Chunk, item))
    else:
        request = coerce(CreateChunkRequest, item)
    if request.parent not in (None, document):
        raise ResourceNameError(f"chunk parent {request.parent!r} is not {document!r}")
    if request.chunk is None:
        raise ValueError("a CreateChunkRequest needs a chunk")
    return CreateChunkRequest(parent=document, chunk=_checked_chunk(document, request.chunk))


def _update_request(document: str, item: ChunkUpdateInput) -> UpdateChunkRequest:
    if isinstance(item, tuple):
        chunk, mask = item
        paths = [mask] if isinstance(mask, str) else list(mask)
        item = UpdateChunkRequest(chunk=coerce(Chunk, chunk), update_mask=update_mask(*paths))
    else:
        item = coerce(UpdateChunkRequest, item)
    if item.chunk is None or not item.chunk.name or not item.update_mask:
        raise ValueError("each chunk update needs a named chunk and an update mask")
    return UpdateChunkRequest(
        chunk=_checked_chunk(document, item.chunk),
        update_mask=update_mask(*item.update_mask.split(",")),
    )


def _create(
    document: str, data: DataInput, name: str | None, metadata: MetadataInput | None
) -> APIRequest[Chunk]:
    parent = document_name(document)
    chunk = Chunk(name=name, data=_data(data), custom_metadata=custom_metadata(metadata))
    return APIRequest(
        method="POST",
        path=api_path(f"{parent}/chunks"),
        parse=parse_model(Chunk),
        json=wire(_checked_chunk(parent, chunk)),
    )


def _list(document: str, page_size: int | None) -> APIRequest[ListChunksResponse]:
    check_page_size(page_size, limits.MAX_CHUNKS_PAGE_SIZE, limit_name="MAX_CHUNKS_PAGE_SIZE")
    return list_request(
        f"{document_name(document)}/chunks", ListChunksResponse, page_size=page_size
    )


def _update(name: str, data: DataInput | None, metadata: MetadataInput | None) -> APIRequest[Chunk]:
    name = chunk_name(name)
    fields = [f for f, v in (("data", data), ("custom_metadata", metadata)) if v is not None]
    if not fields:
        raise ValueError("update needs data and/or custom_metadata")
    entries = custom_metadata(metadata)
    check_custom_metadata(entries)
    body = Chunk(name=name, data=_data(data) if data is not None else None, custom_metadata=entries)
    return APIRequest(
        method="PATCH",
        path=api_path(name),
        parse=parse_model(Chunk),
        params={"updateMask": update_mask(*fields)},
        json=wire(body),
    )


def _batch_create(
    document: str, chunks: Sequence[ChunkInput], retry: bool
) -> APIRequest[BatchCreateChunksResponse]:
    parent = document_name(document)
    check_batch_size(chunks, what="chunks:batchCreate")
    requests = [_create_request(parent, item) for item in chunks]
    if retry and any(r.chunk is None or not r.chunk.name for r in requests):
        raise ValueError(
            "retry=True needs an explicit name on every chunk, "
            "otherwise a retried batch could create duplicates"
        )
    return APIRequest(
        method="POST",
        path=api_path(f"{parent}/chunks", "batchCreate"),
        parse=parse_model(BatchCreateChunksResponse),
        json=wire(BatchCreateChunksRequest(requests=requests)),
        retry=retry,
    )


def _batch_update(
    document: str, updates: Sequence[ChunkUpdateInput]
) -> APIRequest[BatchUpdateChunksResponse]:
    parent = document_name(document)
    check_batch_size(updates, what="chunks:batchUpdate")
    requests = [_update_request(parent, item) for item in updates]
    return APIRequest(
        method="POST",
        path=api_path(f"{parent}/chunks", "batchUpdate"),
        parse=parse_model(BatchUpdateChunksResponse),
        json=wire(BatchUpdateChunksRequest(requests=requests)),
        retry=True,
    )


def _batch_delete(document: str, names: Sequence[str]) -> APIRequest[None]:
    parent = document_name(document)
    if isinstance(names, str):
        raise TypeError("batch_delete takes a sequence of chunk names, not one string")
    check_batch_size(names, what="chunks:batchDelete")
    requests = [DeleteChunkRequest(name=_chunk_child(parent, name)) for name in names]
    return APIRequest(
        method="POST",
        path=api_path(f"{parent}/chunks", "batchDelete"),
        parse=parse_empty,
        json=wire(BatchDeleteChunksRequest(requests=requests)),
        retry=True,
    )


class Chunks(SyncAPIResource):
    """Chunks: the passages that are embedded and searched (``.../documents/{d}/chunks/{k}``)."""

    def create(
        self,
        document: str,
        *,
        data: DataInput,
        name: str | None = None,
        custom_metadata: MetadataInput | None = None,
    ) -> Chunk:
        """Create one chunk; ``data`` is its text or a ``ChunkData``; ``name`` may be an ID."""
        return self._client._request(_create(document, data, name, custom_metadata))

    def get(self, name: str) -> Chunk:
        """Fetch ``corpora/{c}/documents/{d}/chunks/{k}``."""
        return self._client._request(get_request(chunk_name(name), Chunk))

    def list(
        self, document: str, *, page_size: int | None = None
    ) -> SyncPager[ListChunksResponse, Chunk]:
        """The document's chunks, oldest first (``page_size`` <= 100)."""
        return self._client._pager(_list(document, page_size), lambda page: page.chunks)

    def update(
        self,
        name: str,
        *,
        data: DataInput | None = None,
        custom_metadata: MetadataInput | None = None,
    ) -> Chunk:
        """Change the fields given (the update mask lists exactly those)."""
        return self._client._request(_update(name, data, custom_metadata))

    def delete(self, name: str) -> None:
        """Delete one chunk."""
        return self._client._request(delete_request(chunk_name(name)))

    def batch_create(
        self, document: str, chunks: Sequence[ChunkInput], *, retry: bool = False
    ) -> BatchCreateChunksResponse:
        """Create up to 100 chunks in one call.

        Creates are not retried unless ``retry=True``, which requires every chunk to be
        named so that a repeated call cannot create duplicates.
        """
        return self._client._request(_batch_create(document, chunks, retry))

    def batch_update(
        self, document: str, updates: Sequence[ChunkUpdateInput]
    ) -> BatchUpdateChunksResponse:
        """Update up to 100 chunks; each item is an ``UpdateChunkRequest`` or ``(chunk, mask)``."""
        return self._client._request(_batch_update(document, updates))

    def batch_delete(self, document: str, names: Sequence[str]) -> None:
        """Delete up to 100 chunks of ``document`` (full names or bare IDs)."""
        return self._client._request(_batch_delete(document, names))


class AsyncChunks(AsyncAPIResource):
    """Chunks: the passages that are embedded and searched (``.../documents/{d}/chunks/{k}``)."""

    async def create(
        self,
        document: str,
        *,
        data: DataInput,
        name: str | None = None,
        custom_metadata: MetadataInput | None = None,
    ) -> Chunk:
        """Create one chunk; ``data`` is its text or a ``ChunkData``; ``name`` may be an ID."""
        return await self._client._request(_create(document, data, name, custom_metadata))

    async def get(self, name: str) -> Chunk:
        """Fetch ``corpora/{c}/documents/{d}/chunks/{k}``."""
        return await self._client._request(get_request(chunk_name(name), Chunk))

    def list(
        self, document: str, *, page_size: int | None = None
    ) -> AsyncPager[ListChunksResponse, Chunk]:
        """The document's chunks, oldest first (``page_size`` <= 100)."""
        return self._client._pager(_list(document, page_size), lambda page: page.chunks)

    async def update(
        self,
        name: str,
        *,
        data: DataInput | None = None,
        custom_metadata: MetadataInput | None = None,
    ) -> Chunk:
        """Change the fields given (the update mask lists exactly those)."""
        return await self._client._request(_update(name, data, custom_metadata))

    async def delete(self, name: str) -> None:
        """Delete one chunk."""
        return await self._client._request(delete_request(chunk_name(name)))

    async def batch_create(
        self, document: str, chunks: Sequence[ChunkInput], *, retry: bool = False
    ) -> BatchCreateChunksResponse:
        """Create up to 100 chunks in one call (retried only with ``retry=True``)."""
        return await self._client._request(_batch_create(document, chunks, retry))

    async def batch_update(
        self, document: str, updates: Sequence[ChunkUpdateInput]
    ) -> BatchUpdateChunksResponse:
        """Update up to 100 chunks; each item is an ``UpdateChunkRequest`` or ``(chunk, mask)``."""
        return await self._client._request(_batch_update(document, updates))

    async def batch_delete(self, document: str, names: Sequence[str]) -> None:
        """Delete up to 100 chunks of ``document`` (full names or bare IDs)."""
        return await self._client._request(_batch_delete(document, names))
