"""The File Search store calls as :class:`APIRequest` values, checked before sending.

Both clients build their requests here, so names, limits and bodies are decided once:

- ``v1beta/fileSearchStores[/{store}]``: create, get, list, delete (``force``);
- ``v1beta/{store}:importFile``: index a Files API file;
- ``upload/v1beta/{store}:uploadToFileSearchStore``: the resumable upload's first step
  (see :mod:`ragkit._upload`);
- ``v1beta/{store}/documents[/{document}]``: get, list, delete;
- ``v1beta/{store}/[upload/]operations/{operation}``: the operations the two imports return.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias, TypeVar

import httpx

from ragkit import limits
from ragkit._base_client import API_VERSION, APIRequest, parse_model
from ragkit._exceptions import ResponseValidationError
from ragkit._upload import UploadSource, finalized_body, session_start_request
from ragkit._validation import (
    check_chunking_config,
    check_custom_metadata,
    check_display_name,
    check_file_size,
    check_page_size,
)
from ragkit.names import (
    file_search_document_name,
    file_search_operation_name,
    file_search_store_name,
    model_name,
)
from ragkit.resources._common import (
    MetadataInput,
    api_path,
    coerce,
    custom_metadata,
    delete_request,
    get_request,
    list_request,
    wire,
)
from ragkit.resources.files import _file_name as files_api_name
from ragkit.types import (
    BaseOperation,
    ChunkingConfig,
    FileSearchStore,
    FileSearchStoreDocument,
    FileSearchStoreOperation,
    ImportFileOperation,
    ImportFileRequest,
    ListFileSearchStoreDocumentsResponse,
    ListFileSearchStoresResponse,
    UploadToFileSearchStoreOperation,
    UploadToFileSearchStoreRequest,
    WhiteSpaceConfig,
)

__all__ = [
    "ChunkingInput",
    "OperationModel",
    "chunking_config",
    "create",
    "delete",
    "delete_document",
    "document_of",
    "get",
    "get_document",
    "get_operation",
    "import_file",
    "list_documents",
    "list_stores",
    "operation_model",
    "parse_upload_operation",
    "poll_operation",
    "upload_start",
]

#: A ``ChunkingConfig``, its dict form, or ``{"max_tokens_per_chunk": 200,
#: "max_overlap_tokens": 20}`` (the white-space settings themselves).
ChunkingInput: TypeAlias = ChunkingConfig | WhiteSpaceConfig | Mapping[str, Any]
OperationModel: TypeAlias = type[UploadToFileSearchStoreOperation] | type[ImportFileOperation]
OperationT = TypeVar("OperationT", bound=BaseOperation)

_WHITE_SPACE_KEYS = {
    "max_tokens_per_chunk",
    "maxTokensPerChunk",
    "max_overlap_tokens",
    "maxOverlapTokens",
}


def chunking_config(value: ChunkingInput | None) -> ChunkingConfig | None:
    """A checked ``ChunkingConfig`` from any accepted form (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, WhiteSpaceConfig):
        config = ChunkingConfig(white_space_config=value)
    elif isinstance(value, Mapping) and value.keys() & _WHITE_SPACE_KEYS:
        config = ChunkingConfig(white_space_config=coerce(WhiteSpaceConfig, value))
    else:
        config = coerce(ChunkingConfig, value)
    check_chunking_config(config)
    return config


def create(display_name: str | None, embedding_model: str | None) -> APIRequest[FileSearchStore]:
    check_display_name(display_name)
    body = FileSearchStore(
        display_name=display_name,
        embedding_model=model_name(embedding_model) if embedding_model else None,
    )
    return APIRequest(
        method="POST",
        path=api_path("fileSearchStores"),
        parse=parse_model(FileSearchStore),
        json=wire(body),
    )


def get(name: str) -> APIRequest[FileSearchStore]:
    return get_request(file_search_store_name(name), FileSearchStore)


def list_stores(page_size: int | None) -> APIRequest[ListFileSearchStoresResponse]:
    check_page_size(
        page_size,
        limits.MAX_FILE_SEARCH_STORES_PAGE_SIZE,
        limit_name="MAX_FILE_SEARCH_STORES_PAGE_SIZE",
    )
    return list_request("fileSearchStores", ListFileSearchStoresResponse, page_size=page_size)


def delete(name: str, force: bool) -> APIRequest[None]:
    return delete_request(file_search_store_name(name), force=force or None)


def import_file(
    store: str,
    file_name: str,
    metadata: MetadataInput | None,
    chunking: ChunkingInput | None,
) -> APIRequest[ImportFileOperation]:
    entries = custom_metadata(metadata)
    check_custom_metadata(entries)
    body = ImportFileRequest(
        file_name=files_api_name(file_name),
        custom_metadata=entries,
        chunking_config=chunking_config(chunking),
    )
    return APIRequest(
        method="POST",
        path=api_path(file_search_store_name(store), "importFile"),
        parse=parse_model(ImportFileOperation),
        json=wire(body),
        retry=False,
    )


def upload_start(
    store: str,
    source: UploadSource,
    *,
    display_name: str | None,
    metadata: MetadataInput | None,
    chunking: ChunkingInput | None,
) -> APIRequest[None]:
    """The request opening an ``uploadToFileSearchStore`` session for ``source``."""
    name = file_search_store_name(store)
    check_display_name(display_name)
    check_file_size(
        source.size,
        what=f"{source.filename or 'the file'}",
        maximum=limits.MAX_FILE_SEARCH_FILE_BYTES,
        limit_name="MAX_FILE_SEARCH_FILE_BYTES",
    )
    entries = custom_metadata(metadata)
    check_custom_metadata(entries)
    body = UploadToFileSearchStoreRequest(
        display_name=display_name,
        custom_metadata=entries,
        chunking_config=chunking_config(chunking),
        mime_type=source.mime_type,
    )
    path = f"upload/{API_VERSION}/{name}:uploadToFileSearchStore"
    return session_start_request(path, source, wire(body))


def get_document(name: str) -> APIRequest[FileSearchStoreDocument]:
    return get_request(file_search_document_name(name), FileSearchStoreDocument)


def list_documents(
    store: str, page_size: int | None
) -> APIRequest[ListFileSearchStoreDocumentsResponse]:
    check_page_size(
        page_size,
        limits.MAX_FILE_SEARCH_DOCUMENTS_PAGE_SIZE,
        limit_name="MAX_FILE_SEARCH_DOCUMENTS_PAGE_SIZE",
    )
    return list_request(
        f"{file_search_store_name(store)}/documents",
        ListFileSearchStoreDocumentsResponse,
        page_size=page_size,
    )


def delete_document(name: str, force: bool) -> APIRequest[None]:
    return delete_request(file_search_document_name(name), force=force or None)


def operation_model(name: str) -> OperationModel:
    """Upload operations live under ``.../upload/operations/``; the rest are imports."""
    if "/upload/operations/" in file_search_operation_name(name):
        return UploadToFileSearchStoreOperation
    return ImportFileOperation


def get_operation(name: str) -> APIRequest[FileSearchStoreOperation]:
    """``operations.get``: the operation parsed as the type its name implies."""
    name = file_search_operation_name(name)
    parse = parse_model(operation_model(name))
    return APIRequest(method="GET", path=api_path(name), parse=parse)


def poll_operation(name: str, model: type[OperationT]) -> APIRequest[OperationT]:
    """The ``GET`` that polls ``name`` again, parsed as the type the caller already has."""
    name = file_search_operation_name(name)
    return APIRequest(method="GET", path=api_path(name), parse=parse_model(model))


def document_of(operation: FileSearchStoreOperation) -> str:
    """The document a finished, successful operation created.

    Raises:
        ResponseValidationError: the operation's ``response`` names no document.
    """
    document = operation.response.document_name if operation.response else None
    if not document:
        raise ResponseValidationError(
            f"operation {operation.name} is done but its response names no document"
        )
    if "/" not in document and operation.response and operation.response.parent:
        # A bare document ID sits under the operation's store (``response.parent``).
        document = f"{operation.response.parent}/documents/{document}"
    return file_search_document_name(document)


def parse_upload_operation(response: httpx.Response) -> UploadToFileSearchStoreOperation:
    """The operation the finalize response of an upload carries."""
    body = finalized_body(response)
    try:
        return UploadToFileSearchStoreOperation.model_validate(body)
    except ValueError as exc:
        raise ResponseValidationError(
            f"the upload's finalize response is not an Operation: {exc}", response=response
        ) from exc
