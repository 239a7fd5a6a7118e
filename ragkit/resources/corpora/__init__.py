"""Semantic Retrieval resources: corpora, documents, chunks and permissions."""

from ragkit.resources.corpora.chunks import AsyncChunks, Chunks
from ragkit.resources.corpora.corpora import AsyncCorpora, Corpora
from ragkit.resources.corpora.documents import AsyncDocuments, Documents
from ragkit.resources.corpora.permissions import AsyncPermissions, Permissions

__all__ = [
    "AsyncChunks",
    "AsyncCorpora",
    "AsyncDocuments",
    "AsyncPermissions",
    "Chunks",
    "Corpora",
    "Documents",
    "Permissions",
]
