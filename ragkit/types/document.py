"""Documents: collections of chunks inside a corpus."""

from __future__ import annotations

from ragkit.types._base import Timestamp, WireModel
from ragkit.types.metadata import CustomMetadata

__all__ = ["Document", "ListDocumentsResponse"]


class Document(WireModel):
    """A `Document` is a collection of `Chunk`s."""

    name: str | None = None
    display_name: str | None = None
    custom_metadata: list[CustomMetadata] | None = None
    update_time: Timestamp | None = None
    create_time: Timestamp | None = None


class ListDocumentsResponse(WireModel):
    """Response from `ListDocuments` containing a paginated list of `Document`s."""

    documents: list[Document] | None = None
    next_page_token: str | None = None
