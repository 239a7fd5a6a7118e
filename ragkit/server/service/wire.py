"""Store records to wire types (full resource names, timestamps, enums)."""

from __future__ import annotations

from ragkit.server.store.records import (
    ChunkRecord,
    CorpusRecord,
    DocumentRecord,
    PermissionRecord,
)
from ragkit.types import (
    Chunk,
    ChunkData,
    ChunkState,
    Corpus,
    CustomMetadata,
    Document,
    GranteeType,
    Permission,
    Role,
)

__all__ = ["chunk_out", "corpus_out", "document_out", "permission_out"]


def corpus_out(record: CorpusRecord) -> Corpus:
    return Corpus(
        name=f"corpora/{record.name}",
        display_name=record.display_name or None,
        create_time=record.create_time,
        update_time=record.update_time,
    )


def document_out(corpus: str, record: DocumentRecord) -> Document:
    """``corpus`` is the corpus ID."""
    return Document(
        name=f"corpora/{corpus}/documents/{record.name}",
        display_name=record.display_name or None,
        custom_metadata=[CustomMetadata.model_validate(e) for e in record.custom_metadata] or None,
        create_time=record.create_time,
        update_time=record.update_time,
    )


def chunk_out(document: str, record: ChunkRecord) -> Chunk:
    """``document`` is the full document name."""
    return Chunk(
        name=f"{document}/chunks/{record.name}",
        data=ChunkData(string_value=record.text),
        custom_metadata=[CustomMetadata.model_validate(e) for e in record.custom_metadata] or None,
        create_time=record.create_time,
        update_time=record.update_time,
        state=ChunkState(record.state),
    )


def permission_out(corpus: str, record: PermissionRecord) -> Permission:
    """``corpus`` is the corpus ID."""
    return Permission(
        name=f"corpora/{corpus}/permissions/{record.name}",
        grantee_type=GranteeType(record.grantee_type),
        email_address=record.email,
        role=Role(record.role),
    )
