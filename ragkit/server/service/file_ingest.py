"""Ingest one uploaded file into a corpus, on the server, with ragkit's own ingestion.

This is the seam behind the web app's drag-and-drop (``POST /ragkit/api/corpora/{c}/files``):
a browser cannot parse PDFs or count tokens, so the server runs the same loaders, chunker and
document preparation as ``ragkit ingest`` and then the service's own ``create_document`` and
``batch_create_chunks``, so every API rule (roles, quotas, limits) applies exactly as for a
client that made those calls itself.

The document gets the ID ``ragkit ingest`` would give a file of that name (its ``source``),
and the same provenance metadata (``source``, ``title``, ``section``, ``page_start``...), so
answers cite "file, page, section" and a later ``ragkit ingest`` of the same file sees it as
current. Dropping a file again replaces the document when its bytes changed, and leaves it
alone when they did not.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass

from ragkit.ingest import ChunkingConfig, LoadError, chunk_document, load
from ragkit.ingest.errors import ChunkingError
from ragkit.ingest.sync.ids import document_id
from ragkit.ingest.sync.plan import PreparedDocument, batches, fingerprint, prepare_document
from ragkit.limits import MAX_CHUNKS_PAGE_SIZE
from ragkit.provenance import metadata_to_dict
from ragkit.resources._common import custom_metadata
from ragkit.server.errors import ApiError, invalid_argument
from ragkit.server.principal import Principal
from ragkit.server.service.retriever import RetrieverService
from ragkit.server.service.validation import parse_name
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    CreateChunkRequest,
    Document,
    Role,
)
from ragkit.types.status import Code

__all__ = ["IngestedFile", "ingest_file", "prepare_file"]


@dataclass(frozen=True)
class IngestedFile:
    """What :func:`ingest_file` did.

    Attributes:
        document: The document as stored.
        chunk_count: Chunks the document holds.
        status: ``"created"``, ``"replaced"`` (new bytes under a known name) or
            ``"unchanged"`` (the same bytes were ingested before).
        warnings: Adjustments made to fit the API's limits (metadata dropped...).
    """

    document: Document
    chunk_count: int
    status: str
    warnings: tuple[str, ...] = ()


def ingest_file(
    service: RetrieverService,
    who: Principal,
    corpus: str,
    *,
    filename: str,
    data: bytes,
    chunking: ChunkingConfig | None = None,
) -> IngestedFile:
    """Load ``data`` as the file ``filename``, chunk it and store it in ``corpus``.

    ``filename`` picks the loader by extension (``.txt``, ``.md``, ``.html``, ``.pdf``) and
    becomes the document's ``source``. All chunks land, or the new document is removed again
    (a replaced document's old version is deleted first, so a replacement that fails on a
    quota leaves neither).

    Raises:
        ApiError: INVALID_ARGUMENT (unsupported type, unreadable or empty file, a chunk over
            the token limit), PERMISSION_DENIED (needs WRITER on the corpus),
            RESOURCE_EXHAUSTED (document or chunk quota).
    """
    (corpus_id,) = parse_name(corpus, "corpora")
    parent = f"corpora/{corpus_id}"
    source = _source_name(filename)
    # Refuse before parsing: a reader must not get "unchanged", nor make the server read PDFs.
    service.require_role(who, parent, Role.WRITER)
    prepared = prepare_file(source, data, chunking or ChunkingConfig(), document_id(source))
    name = f"{parent}/documents/{prepared.document_id}"
    existing = _existing(service, who, name)
    if existing is not None:
        if metadata_to_dict(existing.custom_metadata) == prepared.metadata:
            count = _count_chunks(service, who, name)
            return IngestedFile(existing, count, "unchanged", prepared.warnings)
        service.delete_document(who, name, force=True)
    service.create_document(
        who,
        parent,
        Document(
            name=prepared.document_id,
            display_name=prepared.display_name,
            custom_metadata=custom_metadata(prepared.pending_metadata),
        ),
    )
    try:
        for batch in batches(prepared.chunks):
            requests = [
                CreateChunkRequest(
                    chunk=Chunk(
                        name=item.chunk_id,
                        data=ChunkData(string_value=item.text),
                        custom_metadata=custom_metadata(item.metadata),
                    )
                )
                for item in batch
            ]
            service.batch_create_chunks(who, name, BatchCreateChunksRequest(requests=requests))
        # The completion marker last, as `ragkit ingest` does: a document without
        # ``content_hash`` is the remains of an interrupted ingestion.
        document = service.update_document(
            who,
            name,
            Document(
                display_name=prepared.display_name,
                custom_metadata=custom_metadata(prepared.metadata),
            ),
            "customMetadata",
        )
    except BaseException:
        with suppress(ApiError):  # keep the original error; the document is a leftover then
            service.delete_document(who, name, force=True)
        raise
    status = "created" if existing is None else "replaced"
    return IngestedFile(document, len(prepared.chunks), status, prepared.warnings)


def prepare_file(
    source: str, data: bytes, config: ChunkingConfig, document_id: str, *, shown: str = ""
) -> PreparedDocument:
    """Load ``data`` as the file ``source`` (its extension picks the loader), chunk it and
    check every limit: the one place where the server turns a file into chunks (the web
    app's drops, File Search imports). ``shown`` names the file in errors (default
    ``source``).

    Raises:
        ApiError: INVALID_ARGUMENT (unsupported type, unreadable or empty file, a chunk
            over the token limit).
    """
    shown = shown or source
    try:
        loaded = load(source, data)
        prepared = prepare_document(
            loaded,
            chunk_document(loaded, config),
            source=source,
            document_id=document_id,
            fingerprint=fingerprint(config, {}),
            max_tokens=config.max_tokens,
        )
    except LoadError as exc:
        raise invalid_argument(f"Cannot ingest {shown}: {exc.reason}.") from exc
    except ChunkingError as exc:
        raise invalid_argument(f"Cannot ingest {shown}: {exc}.") from exc
    if prepared.problems:
        raise invalid_argument(f"Cannot ingest {shown}: {'; '.join(prepared.problems)}.")
    return prepared


def _source_name(filename: str) -> str:
    """The file's base name: a browser may send a path, and no path may leave the upload."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        raise invalid_argument("filename must name a file, e.g. 'guide.pdf'.")
    return name


def _existing(service: RetrieverService, who: Principal, name: str) -> Document | None:
    try:
        return service.get_document(who, name)
    except ApiError as exc:
        if exc.code is Code.NOT_FOUND:
            return None
        raise


def _count_chunks(service: RetrieverService, who: Principal, name: str) -> int:
    count, token = 0, None
    while True:
        page = service.list_chunks(who, name, page_size=MAX_CHUNKS_PAGE_SIZE, page_token=token)
        count += len(page.chunks or [])
        token = page.next_page_token
        if not token:
            return count
