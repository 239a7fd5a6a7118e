"""File Search stores (``fileSearchStores``): Google's current RAG API on ragkit's engine.

A store is a corpus underneath: ``fileSearchStores/{id}`` is the corpus row ``{id}``,
marked as a store, so its documents, chunks, permissions (the creator is OWNER), vectors,
BM25 index and per-corpus quotas are the corpora API's own. Stores are neither listed nor
counted as corpora; each principal may create ``Quotas.max_file_search_stores`` of them.
What File Search adds lives in :mod:`ragkit.server.store.file_search`: each document's
state (PENDING while its import runs, then ACTIVE or FAILED), size and MIME type, and the
import/upload operations, which :mod:`ragkit.server.service.file_search_ops` runs.

A caller with no role on a store (or asking for one that does not exist) gets 403
PERMISSION_DENIED either way, as for corpora and files.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from ragkit import limits
from ragkit.names import generate_id
from ragkit.server.errors import (
    failed_precondition,
    invalid_argument,
    not_found,
    permission_denied,
    resource_exhausted,
)
from ragkit.server.models.answerer import Answerer
from ragkit.server.principal import Principal
from ragkit.server.service.access import authorize
from ragkit.server.service.core import ServiceCore
from ragkit.server.service.paging import cursor, keyset, resolve_page_size
from ragkit.server.service.validation import check_display_name, parse_name
from ragkit.server.store import corpora as corpus_rows
from ragkit.server.store import documents as document_rows
from ragkit.server.store import file_search as rows
from ragkit.server.store.dialect import Connection
from ragkit.server.store.permissions import USER, insert_permission
from ragkit.server.store.records import CorpusRecord, DocumentRecord
from ragkit.types import (
    CustomMetadata,
    DocumentState,
    FileSearchStore,
    FileSearchStoreDocument,
    ListFileSearchStoreDocumentsResponse,
    ListFileSearchStoresResponse,
    Operation,
    Role,
)
from ragkit.types.operation import TYPE_URL_PREFIX
from ragkit.types.status import Code

__all__ = ["FileSearchStoresMixin", "store_name"]

STORES = "fileSearchStores"


def store_name(corpus: CorpusRecord | str) -> str:
    """``fileSearchStores/{id}`` of the store whose corpus row is ``corpus``."""
    return f"{STORES}/{corpus if isinstance(corpus, str) else corpus.name}"


def _denied(name: str) -> Exception:
    return permission_denied(
        f"You do not have permission to access the FileSearchStore {name} or it may not exist."
    )


def open_store(conn: Connection, who: Principal, store_id: str, needed: Role) -> CorpusRecord:
    """The store's corpus row, if ``who`` holds ``needed`` on it.

    Raises:
        ApiError: PERMISSION_DENIED (missing, not a store, or no such role).
    """
    corpus = corpus_rows.find_corpus(conn, store_id)
    if corpus is None or rows.is_store(conn, corpus.id) is None:
        raise _denied(store_name(store_id))
    record, _ = authorize(conn, who, store_id, needed)
    return record


class FileSearchStoresMixin(ServiceCore):
    # --- stores -----------------------------------------------------------------------

    def create_file_search_store(
        self, who: Principal, store: FileSearchStore, *, default_embedding_model: str
    ) -> FileSearchStore:
        """Create a store owned by ``who``; its name is generated from ``displayName``.

        ``embeddingModel`` is recorded as asked (default: the server's embedder); every
        store is embedded by the server's embedder.

        Raises:
            ApiError: INVALID_ARGUMENT (display name, embedding model), RESOURCE_EXHAUSTED
                (``max_file_search_stores``).
        """
        display_name = check_display_name(store.display_name)
        model = store.embedding_model or default_embedding_model
        if not model.startswith("models/"):
            raise invalid_argument(
                f"Invalid embedding_model {model!r}: expected a model name such as "
                f"{default_embedding_model!r}."
            )
        with self._db.write() as conn:
            limit = self._quotas.max_file_search_stores
            if limit is not None:
                used = rows.count_created_stores(conn, who.email)
                if used >= limit:
                    raise resource_exhausted(
                        "Quota exceeded for File Search stores per user "
                        f"(max_file_search_stores): {who.email} has created {used} of {limit} "
                        "stores; delete one first."
                    )
            store_id = generate_id(display_name)
            while corpus_rows.find_corpus(conn, store_id) is not None:
                store_id = generate_id(display_name)
            record = corpus_rows.insert_corpus(conn, store_id, display_name, self._now(), who.email)
            insert_permission(conn, record.id, generate_id(), USER, who.email, Role.OWNER.value)
            rows.mark_store(conn, record.id, model)
            return self._store_out(conn, record)

    def get_file_search_store(self, who: Principal, name: str) -> FileSearchStore:
        """Get ``fileSearchStores/{s}`` with its document counters (READER)."""
        (store_id,) = parse_name(name, STORES)
        with self._db.read() as conn:
            record = open_store(conn, who, store_id, Role.READER)
            return self._store_out(conn, record)

    def list_file_search_stores(
        self, who: Principal, *, page_size: int | None, page_token: str | None
    ) -> ListFileSearchStoresResponse:
        """Stores ``who`` can read, oldest first (page size default 10, max 20)."""
        size = resolve_page_size(page_size, limits.MAX_FILE_SEARCH_STORES_PAGE_SIZE)
        scope = (STORES, who.email, size)
        after = cursor(self._pages.read(page_token, *scope))
        with self._db.read() as conn:
            found = rows.list_stores(conn, who, after=after, limit=size + 1)
            page, token = self._pages.page(
                found, size, lambda r: keyset(r.create_time, r.id), *scope
            )
            stores = [self._store_out(conn, r) for r in page]
        return ListFileSearchStoresResponse(file_search_stores=stores, next_page_token=token)

    def delete_file_search_store(self, who: Principal, name: str, *, force: bool) -> None:
        """Delete a store (OWNER); one with documents needs ``force`` (else
        FAILED_PRECONDITION), which deletes its documents, chunks and operations too."""
        (store_id,) = parse_name(name, STORES)
        with self._db.write() as conn:
            record = open_store(conn, who, store_id, Role.OWNER)
            if not force and corpus_rows.count_documents(conn, record.id):
                raise failed_precondition(
                    f"FileSearchStore {name} contains documents; delete them first or set "
                    "force=true."
                )
            corpus_rows.delete_corpus(conn, record.id)
            self._db.after_commit(lambda: self._indexes.drop(record.id))

    def _store_out(self, conn: Connection, record: CorpusRecord) -> FileSearchStore:
        counts = rows.store_counts(conn, record.id)
        return FileSearchStore(
            name=store_name(record),
            display_name=record.display_name or None,
            create_time=record.create_time,
            update_time=record.update_time,
            active_documents_count=counts.active,
            pending_documents_count=counts.pending,
            failed_documents_count=counts.failed,
            size_bytes=counts.size_bytes,
            embedding_model=rows.is_store(conn, record.id) or None,
        )

    # --- documents --------------------------------------------------------------------

    def get_file_search_document(self, who: Principal, name: str) -> FileSearchStoreDocument:
        """Get ``fileSearchStores/{s}/documents/{d}`` (READER)."""
        store, record = self._find_document(who, name, Role.READER)
        with self._db.read() as conn:
            return _document_out(store, record, rows.document_facts(conn, [record.id]))

    def list_file_search_documents(
        self, who: Principal, parent: str, *, page_size: int | None, page_token: str | None
    ) -> ListFileSearchStoreDocumentsResponse:
        """Documents of a store, oldest first (page size default 10, max 20)."""
        (store_id,) = parse_name(parent, STORES)
        size = resolve_page_size(page_size, limits.MAX_FILE_SEARCH_DOCUMENTS_PAGE_SIZE)
        scope = ("fileSearchDocuments", parent, size)
        after = cursor(self._pages.read(page_token, *scope))
        with self._db.read() as conn:
            store = open_store(conn, who, store_id, Role.READER)
            found = document_rows.list_documents(conn, store.id, after=after, limit=size + 1)
            page, token = self._pages.page(
                found, size, lambda r: keyset(r.create_time, r.id), *scope
            )
            facts = rows.document_facts(conn, [r.id for r in page])
        return ListFileSearchStoreDocumentsResponse(
            documents=[_document_out(store, r, facts) for r in page], next_page_token=token
        )

    def delete_file_search_document(self, who: Principal, name: str, *, force: bool) -> None:
        """Delete a document (WRITER); one with chunks needs ``force`` (else
        FAILED_PRECONDITION)."""
        with self._db.write() as conn:
            store, record = self._find_document_in(conn, who, name, Role.WRITER)
            if not force and document_rows.count_document_chunks(conn, record.id):
                raise failed_precondition(
                    f"Document {name} contains chunks; delete them first or set force=true."
                )
            removed = document_rows.delete_document(conn, record)
            self._db.after_commit(lambda: self._indexes.apply(store.id, removed=removed))

    def _find_document(
        self, who: Principal, name: str, needed: Role
    ) -> tuple[CorpusRecord, DocumentRecord]:
        with self._db.read() as conn:
            return self._find_document_in(conn, who, name, needed)

    @staticmethod
    def _find_document_in(
        conn: Connection, who: Principal, name: str, needed: Role
    ) -> tuple[CorpusRecord, DocumentRecord]:
        store_id, document_id = parse_name(name, STORES, "documents")
        store = open_store(conn, who, store_id, needed)
        record = document_rows.find_document(conn, store.id, document_id)
        if record is None:
            raise not_found(f"Document {name} not found.")
        return store, record

    @property
    def answerer(self) -> Answerer:
        """The grounded answerer of ``generateAnswer`` (an LLM answerer when configured)."""
        return self._answerer

    # --- operations -------------------------------------------------------------------

    def require_file_search_writer(self, who: Principal, store: str) -> None:
        """Refuse an upload before its bytes are stored, unless ``who`` may write.

        Raises:
            ApiError: INVALID_ARGUMENT (name), PERMISSION_DENIED.
        """
        (store_id,) = parse_name(store, STORES)
        with self._db.read() as conn:
            open_store(conn, who, store_id, Role.WRITER)

    def begin_file_search_operation(
        self,
        who: Principal,
        store: str,
        *,
        kind: str,
        request: dict[str, Any],
        file_name: str | None = None,
        upload_session: str | None = None,
    ) -> rows.OperationRecord:
        """Record an import (``kind="import"``) or upload operation on ``store`` (WRITER).

        An upload's operation is recorded at the start of its upload session and gets its
        file when the upload finalizes; an import's file is known at once.
        """
        (store_id,) = parse_name(store, STORES)
        with self._db.write() as conn:
            record = open_store(conn, who, store_id, Role.WRITER)
            middle = "upload/operations" if kind == "upload" else "operations"
            return rows.insert_operation(
                conn,
                name=f"{store_name(record)}/{middle}/{generate_id()}",
                corpus_id=record.id,
                kind=kind,
                owner=who,
                request=request,
                file_name=file_name,
                upload_session=upload_session,
                now=self._now(),
            )

    def get_file_search_operation(self, who: Principal, name: str) -> Operation:
        """An operation of a store ``who`` can read.

        Raises:
            ApiError: PERMISSION_DENIED (store), NOT_FOUND (no such operation).
        """
        store_id = name.split("/")[1] if name.count("/") >= 3 else ""
        with self._db.read() as conn:
            open_store(conn, who, store_id, Role.READER)
            record = rows.find_operation(conn, name)
        if record is None:
            raise not_found(f"Operation {name} not found.")
        expired = self._now() - timedelta(seconds=limits.FILE_TTL_SECONDS)
        if not record.done and record.file_name is None and record.create_time < expired:
            # The upload never finished and its session expired: nothing will come.
            message = "The upload was never finalized; its session expired."
            error = {"code": Code.DEADLINE_EXCEEDED.value, "message": message}
            return operation_out(replace(record, done=True, result={"error": error}))
        return operation_out(record)

    def file_search_upload(self, session_id: str) -> rows.OperationRecord | None:
        """The upload operation started with upload session ``session_id``, if any."""
        with self._db.read() as conn:
            return rows.find_upload_operation(conn, session_id)

    def attach_file_search_file(self, op: rows.OperationRecord, file_name: str) -> None:
        """The upload of ``op`` finalized as ``file_name``: the import can run."""
        with self._db.write() as conn:
            rows.set_operation_file(conn, op.id, file_name)

    def pending_file_search_operations(self) -> list[rows.OperationRecord]:
        """Operations to run (at startup: those a stop interrupted); finished ones past
        their lifetime are forgotten on the way."""
        self.purge_file_search_operations()
        return self.unleased_file_search_operations()

    def unleased_file_search_operations(self) -> list[rows.OperationRecord]:
        """Unfinished operations no server holds a live lease on: interrupted by a stop,
        or by a server that died (its lease lapsed)."""
        with self._db.read() as conn:
            leased = self._work_leases.held_anywhere(conn)
            pending = rows.pending_operations(conn)
        return [op for op in pending if _operation_lease(op.name) not in leased]

    def claim_file_search_operation(self, op: rows.OperationRecord) -> bool:
        """Lease ``op`` for this server; False if another server is running it."""
        with self._db.write() as conn:
            return self._work_leases.take(conn, _operation_lease(op.name))

    def purge_file_search_operations(self) -> int:
        """Forget finished operations older than ``FILE_SEARCH_OPERATION_TTL_SECONDS``
        (their documents stay), and uploads never finalized, so the table does not grow
        without bound."""
        before = self._now() - timedelta(seconds=limits.FILE_SEARCH_OPERATION_TTL_SECONDS)
        with self._db.write() as conn:
            return rows.delete_finished_operations(conn, before)

    def file_search_operation(self, name: str) -> rows.OperationRecord | None:
        with self._db.read() as conn:
            return rows.find_operation(conn, name)

    def track_file_search_document(
        self, op: rows.OperationRecord, document: str, facts: rows.DocumentFacts
    ) -> None:
        """Record the state, size and type of ``document`` (a ``corpora/...`` name that
        ``op`` created), and that ``op`` created it (so a resumed operation can clean up)."""
        _, document_id = parse_name(document, "corpora", "documents")
        with self._db.write() as conn:
            record = document_rows.find_document(conn, op.corpus_id, document_id)
            if record is None:
                raise not_found(f"Document {document} not found.")
            rows.put_document_facts(conn, record.id, op.corpus_id, facts)
            rows.set_operation_document(conn, op.id, document)

    def set_file_search_document_state(
        self, op: rows.OperationRecord, document: str, state: DocumentState
    ) -> None:
        _, document_id = parse_name(document, "corpora", "documents")
        with self._db.write() as conn:
            record = document_rows.find_document(conn, op.corpus_id, document_id)
            if record is not None:
                rows.set_document_state(conn, record.id, state.value)

    def finish_file_search_operation(
        self, op: rows.OperationRecord, result: dict[str, Any]
    ) -> None:
        """Mark ``op`` done with ``{"error": ...}`` or ``{"response": ...}``."""
        with self._db.write() as conn:
            rows.finish_operation(conn, op.id, result)
            self._work_leases.release(conn, _operation_lease(op.name))

    def file_search_store_documents(
        self, who: Principal, store: str
    ) -> tuple[CorpusRecord, dict[str, tuple[int, str]]]:
        """A store ``who`` may read, and ``{document id: (state, title)}`` of its documents.

        Raises:
            ApiError: INVALID_ARGUMENT (name), PERMISSION_DENIED.
        """
        (store_id,) = parse_name(store, STORES)
        with self._db.read() as conn:
            record = open_store(conn, who, store_id, Role.READER)
            return record, rows.document_states(conn, record.id)


def _operation_lease(name: str) -> str:
    """The work lease of running File Search operation ``name``."""
    return f"operation:{name}"


def _document_out(
    store: CorpusRecord, record: DocumentRecord, facts: dict[int, rows.DocumentFacts]
) -> FileSearchStoreDocument:
    fact = facts.get(record.id)
    return FileSearchStoreDocument(
        name=f"{store_name(store)}/documents/{record.name}",
        display_name=record.display_name or None,
        custom_metadata=[CustomMetadata.model_validate(e) for e in record.custom_metadata] or None,
        create_time=record.create_time,
        update_time=record.update_time,
        state=DocumentState(fact.state) if fact else DocumentState.STATE_ACTIVE,
        size_bytes=fact.size_bytes if fact else 0,
        mime_type=fact.mime_type if fact else None,
    )


#: ``@type`` of a finished operation's response, by kind.
RESPONSE_TYPES = {
    "import": TYPE_URL_PREFIX + "ImportFileResponse",
    "upload": TYPE_URL_PREFIX + "UploadToFileSearchStoreResponse",
}


def operation_out(record: rows.OperationRecord) -> Operation:
    """The operation as Google renders it: ``done`` with ``response`` or ``error``."""
    result = record.result or {}
    response = result.get("response")
    return Operation(
        name=record.name,
        done=record.done,
        error=result.get("error"),
        response={"@type": RESPONSE_TYPES[record.kind], **response} if response else None,
    )
