"""File Search stores: the stores, their documents, and the operations that fill them."""

from ragkit.resources.file_search_stores.documents import (
    AsyncFileSearchStoreDocuments,
    FileSearchStoreDocuments,
)
from ragkit.resources.file_search_stores.operations import (
    AsyncFileSearchStoreOperations,
    FileSearchStoreOperations,
)
from ragkit.resources.file_search_stores.stores import AsyncFileSearchStores, FileSearchStores

__all__ = [
    "AsyncFileSearchStoreDocuments",
    "AsyncFileSearchStoreOperations",
    "AsyncFileSearchStores",
    "FileSearchStoreDocuments",
    "FileSearchStoreOperations",
    "FileSearchStores",
]
