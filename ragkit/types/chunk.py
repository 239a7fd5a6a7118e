"""Chunks: the retrievable units of a document, and their batch requests."""

from __future__ import annotations

from ragkit.types._base import Timestamp, WireEnum, WireModel
from ragkit.types.metadata import CustomMetadata

__all__ = [
    "BatchCreateChunksRequest",
    "BatchCreateChunksResponse",
    "BatchDeleteChunksRequest",
    "BatchUpdateChunksRequest",
    "BatchUpdateChunksResponse",
    "Chunk",
    "ChunkData",
    "ChunkState",
    "CreateChunkRequest",
    "DeleteChunkRequest",
    "ListChunksResponse",
    "UpdateChunkRequest",
]


class ChunkState(WireEnum):
    """Processing state of a `Chunk`."""

    STATE_UNSPECIFIED = 0
    STATE_PENDING_PROCESSING = 1
    STATE_ACTIVE = 2
    STATE_FAILED = 10


class ChunkData(WireModel):
    """Extracted data that represents the `Chunk` content."""

    string_value: str | None = None


class Chunk(WireModel):
    """A `Chunk` is a subpart of a `Document` that is treated as an independent unit for the
    purposes of vector representation and storage.

    Required by the API: ``data``.
    """

    name: str | None = None
    data: ChunkData | None = None
    custom_metadata: list[CustomMetadata] | None = None
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None
    state: ChunkState | None = None


class CreateChunkRequest(WireModel):
    """Request to create a `Chunk`.

    Required by the API: ``parent``, ``chunk``.
    """

    parent: str | None = None
    chunk: Chunk | None = None


class BatchCreateChunksRequest(WireModel):
    """Request to batch create `Chunk`s.

    Required by the API: ``requests``.
    """

    requests: list[CreateChunkRequest] | None = None


class BatchCreateChunksResponse(WireModel):
    """Response from `BatchCreateChunks` containing a list of created `Chunk`s."""

    chunks: list[Chunk] | None = None


class DeleteChunkRequest(WireModel):
    """Request to delete a `Chunk`.

    Required by the API: ``name``.
    """

    name: str | None = None


class BatchDeleteChunksRequest(WireModel):
    """Request to batch delete `Chunk`s.

    Required by the API: ``requests``.
    """

    requests: list[DeleteChunkRequest] | None = None


class UpdateChunkRequest(WireModel):
    """Request to update a `Chunk`.

    Required by the API: ``chunk``, ``update_mask``.
    """

    chunk: Chunk | None = None
    update_mask: str | None = None


class BatchUpdateChunksRequest(WireModel):
    """Request to batch update `Chunk`s.

    Required by the API: ``requests``.
    """

    requests: list[UpdateChunkRequest] | None = None


class BatchUpdateChunksResponse(WireModel):
    """Response from `BatchUpdateChunks` containing a list of updated `Chunk`s."""

    chunks: list[Chunk] | None = None


class ListChunksResponse(WireModel):
    """Response from `ListChunks` containing a paginated list of `Chunk`s."""

    chunks: list[Chunk] | None = None
    next_page_token: str | None = None
