"""Document methods: create, get, list, update, delete (``parent`` is ``corpora/{c}``)."""

from __future__ import annotations

from ragkit.limits import MAX_DOCUMENTS_PAGE_SIZE
from ragkit.names import generate_id
from ragkit.server.errors import (
    already_exists,
    failed_precondition,
    not_found,
    resource_exhausted,
)
from ragkit.server.principal import Principal
from ragkit.server.service.access import authorize
from ragkit.server.service.core import ServiceCore
from ragkit.server.service.paging import cursor, keyset, resolve_page_size
from ragkit.server.service.validation import (
    check_display_name,
    check_metadata,
    child_id,
    parse_mask,
    parse_name,
)
from ragkit.server.service.wire import document_out
from ragkit.server.store import documents as rows
from ragkit.server.store.corpora import count_documents
from ragkit.server.store.dialect import Connection
from ragkit.server.store.records import CorpusRecord, DocumentRecord
from ragkit.types import Document, ListDocumentsResponse, Role

__all__ = ["DocumentsMixin", "find_document"]

_DOCUMENT_MASK = {"display_name": "displayName", "custom_metadata": "customMetadata"}


def find_document(
    conn: Connection, who: Principal, name: str, needed: Role
) -> tuple[CorpusRecord, DocumentRecord]:
    """Authorize ``needed`` on the document's corpus, then find the document.

    Raises:
        ApiError: INVALID_ARGUMENT (bad name), PERMISSION_DENIED, NOT_FOUND.
    """
    corpus_id, document_id = parse_name(name, "corpora", "documents")
    corpus, _ = authorize(conn, who, corpus_id, needed)
    document = rows.find_document(conn, corpus.id, document_id)
    if document is None:
        raise not_found(f"Document {name} not found.")
    return corpus, document


class DocumentsMixin(ServiceCore):
    def create_document(self, who: Principal, parent: str, document: Document) -> Document:
        """Create a document in ``parent`` (WRITER).

        Raises:
            ApiError: INVALID_ARGUMENT, PERMISSION_DENIED, ALREADY_EXISTS,
                RESOURCE_EXHAUSTED (documents per corpus).
        """
        (corpus_id,) = parse_name(parent, "corpora")
        display_name = check_display_name(document.display_name)
        metadata = check_metadata(document.custom_metadata)
        requested = child_id(document.name, parent, "documents", "document")
        with self._db.write() as conn:
            corpus, _ = authorize(conn, who, corpus_id, Role.WRITER)
            limit = self._quotas.max_documents_per_corpus
            used = count_documents(conn, corpus.id) if limit is not None else 0
            if limit is not None and used >= limit:
                raise resource_exhausted(
                    f"Quota exceeded for documents per corpus (max_documents_per_corpus): "
                    f"corpus {parent} holds {used} of {limit} documents."
                )
            document_id = requested or generate_id(display_name)
            while rows.find_document(conn, corpus.id, document_id) is not None:
                if requested:
                    raise already_exists(
                        f"Document {parent}/documents/{document_id} already exists."
                    )
                document_id = generate_id(display_name)
            record = rows.insert_document(
                conn, corpus.id, document_id, display_name, metadata, self._now()
            )
        return document_out(corpus_id, record)

    def get_document(self, who: Principal, name: str) -> Document:
        """Get ``corpora/{c}/documents/{d}`` (READER)."""
        with self._db.read() as conn:
            corpus, record = find_document(conn, who, name, Role.READER)
        return document_out(corpus.name, record)

    def list_documents(
        self, who: Principal, parent: str, *, page_size: int | None, page_token: str | None
    ) -> ListDocumentsResponse:
        """Documents of ``parent``, oldest first (page size default 10, max 20)."""
        (corpus_id,) = parse_name(parent, "corpora")
        size = resolve_page_size(page_size, MAX_DOCUMENTS_PAGE_SIZE)
        scope = ("documents", parent, size)
        after = cursor(self._pages.read(page_token, *scope))
        with self._db.read() as conn:
            corpus, _ = authorize(conn, who, corpus_id, Role.READER)
            found = rows.list_documents(conn, corpus.id, after=after, limit=size + 1)
        page, token = self._pages.page(found, size, lambda r: keyset(r.create_time, r.id), *scope)
        return ListDocumentsResponse(
            documents=[document_out(corpus_id, r) for r in page], next_page_token=token
        )

    def update_document(
        self, who: Principal, name: str, document: Document, update_mask: str | None
    ) -> Document:
        """Update ``displayName`` and/or ``customMetadata`` (WRITER), as the mask says."""
        fields = parse_mask(update_mask, _DOCUMENT_MASK, "document")
        display_name = check_display_name(document.display_name)
        metadata = check_metadata(document.custom_metadata)
        with self._db.write() as conn:
            corpus, record = find_document(conn, who, name, Role.WRITER)
            record = rows.update_document(
                conn,
                record,
                display_name=display_name if "display_name" in fields else record.display_name,
                metadata=metadata if "custom_metadata" in fields else record.custom_metadata,
                now=self._now(),
            )
        return document_out(corpus.name, record)

    def delete_document(self, who: Principal, name: str, *, force: bool) -> None:
        """Delete a document (WRITER); one with chunks needs ``force`` (else
        FAILED_PRECONDITION), which also deletes the chunks and their vectors."""
        with self._db.write() as conn:
            corpus, record = find_document(conn, who, name, Role.WRITER)
            if not force and rows.count_document_chunks(conn, record.id):
                raise failed_precondition(
                    f"Document {name} contains chunks; delete them first or set force=true."
                )
            removed = rows.delete_document(conn, record)
            self._db.after_commit(lambda: self._indexes.apply(corpus.id, removed=removed))
