"""Typed long-running operations of File Search stores (google-genai's
``UploadToFileSearchStoreOperation`` and ``ImportFileOperation``).

The wire shape is a ``google.longrunning.Operation``; here ``response`` is parsed as the
message it carries (its ``@type`` is ignored), so ``operation.response.document_name``
is typed. Upload operations are named ``fileSearchStores/{s}/upload/operations/{o}``,
imports ``fileSearchStores/{s}/operations/{o}``.
"""

from __future__ import annotations

from typing import Any

from ragkit.types.file_search import ImportFileResponse, UploadToFileSearchStoreResponse
from ragkit.types.operation import BaseOperation

__all__ = ["FileSearchStoreOperation", "ImportFileOperation", "UploadToFileSearchStoreOperation"]


class UploadToFileSearchStoreOperation(BaseOperation):
    """The operation ``uploadToFileSearchStore`` returns; ``done`` once the document is
    indexed (``response``) or has failed (``error``)."""

    metadata: dict[str, Any] | None = None
    response: UploadToFileSearchStoreResponse | None = None


class ImportFileOperation(BaseOperation):
    """The operation ``fileSearchStores/{s}:importFile`` returns."""

    metadata: dict[str, Any] | None = None
    response: ImportFileResponse | None = None


#: Either kind, as ``file_search_stores.operations.get`` returns it (chosen by the name).
FileSearchStoreOperation = UploadToFileSearchStoreOperation | ImportFileOperation
