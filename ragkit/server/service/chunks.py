"""Chunk methods, single and batched (``parent`` is ``corpora/{c}/documents/{d}``).

Chunks are embedded synchronously, so they are ``STATE_ACTIVE`` when returned. A write
checks everything first (in a read transaction, so a bad request costs no embedding),
embeds outside any lock, then re-checks and writes in one transaction: a batch lands
entirely or not at all. That transaction also checks that the store's vectors are still
the embedder's (another server may have re-embedded it: then the write runs again with the
store's embedder, :mod:`ragkit.server.service.store_embedder`). Loaded vector indexes are
updated after the commit.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from ragkit.limits import GENERATED_ID_SUFFIX_LENGTH, MAX_CHUNKS_PAGE_SIZE, MAX_CHUNKS_PER_BATCH
from ragkit.server.errors import already_exists, invalid_argument, not_found, resource_exhausted
from ragkit.server.models.embedding import Embedder
from ragkit.server.principal import Principal
from ragkit.server.service.core import ServiceCore
from ragkit.server.service.documents import find_document
from ragkit.server.service.indexes import embed_texts, refuse_if_busy
from ragkit.server.service.paging import cursor, keyset, resolve_page_size
from ragkit.server.service.store_embedder import require_store_embedder
from ragkit.server.service.validation import (
    check_chunk_text,
    check_metadata,
    child_id,
    parse_mask,
    parse_name,
)
from ragkit.server.service.wire import chunk_out
from ragkit.server.store import chunks as rows
from ragkit.server.store.corpora import chunk_count
from ragkit.server.store.dialect import Connection
from ragkit.server.store.records import ChunkRecord, CorpusRecord, DocumentRecord, Metadata
from ragkit.types import (
    BatchCreateChunksRequest,
    BatchCreateChunksResponse,
    BatchDeleteChunksRequest,
    BatchUpdateChunksRequest,
    BatchUpdateChunksResponse,
    Chunk,
    ChunkState,
    ListChunksResponse,
    Role,
)

__all__ = ["ChunksMixin"]

_ACTIVE = ChunkState.STATE_ACTIVE.value
_CHUNK_MASK = {"custom_metadata": "customMetadata", "data": "data"}
#: ``data.string_value`` (``data.stringValue``) is the only path google-generativeai's
#: ``Chunk.update`` and ``batch_update_chunks`` send; it means the whole ``data``.
_CHUNK_MASK_ALIASES = {"data.string_value": "data"}
_T = TypeVar("_T")
_ALPHABET = string.digits + string.ascii_lowercase
_ID_SPACE = len(_ALPHABET) ** GENERATED_ID_SUFFIX_LENGTH


def random_chunk_id() -> str:
    """A uniformly random 12-character ID, like ``names.generate_id()`` but one syscall
    instead of twelve (it runs for every chunk ingested)."""
    value = secrets.randbelow(_ID_SPACE)
    chars = []
    for _ in range(GENERATED_ID_SUFFIX_LENGTH):
        value, digit = divmod(value, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


@dataclass(frozen=True)
class _Create:
    requested: str | None
    text: str
    metadata: Metadata


@dataclass(frozen=True)
class _Update:
    chunk_id: str
    text: str | None
    metadata: Metadata | None


def _batch(requests: Sequence[_T] | None, method: str) -> Sequence[_T]:
    count = len(requests or [])
    if not 1 <= count <= MAX_CHUNKS_PER_BATCH:
        raise invalid_argument(f"{method} takes 1 to {MAX_CHUNKS_PER_BATCH} requests, got {count}.")
    assert requests is not None
    return requests


def _chunk_id_under(name: str | None, parent: str, where: str) -> str:
    if not name:
        raise invalid_argument(f"{where} is required.")
    corpus_id, document_id, chunk_id = parse_name(name, "corpora", "documents", "chunks")
    if f"corpora/{corpus_id}/documents/{document_id}" != parent:
        raise invalid_argument(f"{where} {name!r} is not a chunk of {parent}.")
    return chunk_id


def _unique(ids: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise invalid_argument(f"{what} {value!r} appears more than once in the batch.")
        seen.add(value)


class ChunksMixin(ServiceCore):
    # --- create -----------------------------------------------------------------------

    def create_chunk(self, who: Principal, parent: str, chunk: Chunk) -> Chunk:
        """Create and embed one chunk (WRITER).

        Raises:
            ApiError: INVALID_ARGUMENT (no text, over 2,043 tokens, bad metadata or name),
                PERMISSION_DENIED, NOT_FOUND (document), ALREADY_EXISTS, RESOURCE_EXHAUSTED.
        """
        parse_name(parent, "corpora", "documents")
        refuse_if_busy(self._embedder)
        return self._create(who, parent, [self._plan_create(parent, chunk)])[0]

    def batch_create_chunks(
        self, who: Principal, parent: str, request: BatchCreateChunksRequest
    ) -> BatchCreateChunksResponse:
        """Create 1..100 chunks in one document, all or nothing; every inner ``parent``
        must be empty or equal ``parent``."""
        parse_name(parent, "corpora", "documents")
        refuse_if_busy(self._embedder)
        plans = []
        for i, item in enumerate(_batch(request.requests, "batchCreate")):
            if item.parent and item.parent != parent:
                raise invalid_argument(
                    f"requests[{i}].parent {item.parent!r} does not match the batch parent "
                    f"{parent!r}."
                )
            if item.chunk is None:
                raise invalid_argument(f"requests[{i}].chunk is required.")
            plans.append(self._plan_create(parent, item.chunk))
        _unique([p.requested for p in plans if p.requested], "Chunk ID")
        return BatchCreateChunksResponse(chunks=self._create(who, parent, plans))

    @staticmethod
    def _plan_create(parent: str, chunk: Chunk) -> _Create:
        return _Create(
            requested=child_id(chunk.name, parent, "chunks", "chunk"),
            text=check_chunk_text(chunk),
            metadata=check_metadata(chunk.custom_metadata),
        )

    def _check_create(
        self, conn: Connection, who: Principal, parent: str, plans: Sequence[_Create]
    ) -> tuple[CorpusRecord, DocumentRecord]:
        corpus, document = find_document(conn, who, parent, Role.WRITER)
        limit = self._quotas.max_chunks_per_corpus
        used = chunk_count(conn, corpus.id) if limit is not None else 0
        if limit is not None and used + len(plans) > limit:
            raise resource_exhausted(
                f"Quota exceeded for chunks per corpus (max_chunks_per_corpus): corpus "
                f"corpora/{corpus.name} holds {used} of {limit} chunks; this request adds "
                f"{len(plans)}."
            )
        taken = rows.find_chunks(conn, document.id, [p.requested for p in plans if p.requested])
        for chunk_id in taken:
            raise already_exists(f"Chunk {parent}/chunks/{chunk_id} already exists.")
        return corpus, document

    def _create(self, who: Principal, parent: str, plans: Sequence[_Create]) -> list[Chunk]:
        return self._embedding(lambda: self._create_with(self._embedder, who, parent, plans))

    def _create_with(
        self, embedder: Embedder, who: Principal, parent: str, plans: Sequence[_Create]
    ) -> list[Chunk]:
        with self._db.read() as conn:
            corpus, _ = self._check_create(conn, who, parent, plans)
            require_store_embedder(conn, embedder)
            known = rows.known_vectors(
                conn, corpus.id, [p.text for p in plans], embedder.dimensions
            )
        vectors = self._vectors(embedder, [p.text for p in plans], known)
        with self._db.write() as conn:
            corpus, document = self._check_create(conn, who, parent, plans)
            # Another server may have re-embedded the store meanwhile (or this one, with
            # serve --reindex): then nothing is written and _embedding runs it again.
            require_store_embedder(conn, embedder)
            names = self._chunk_ids(conn, document, plans)
            new = [
                rows.NewChunk(name, p.text, p.metadata, rows.vector_blob(v))
                for name, p, v in zip(names, plans, vectors, strict=True)
            ]
            records = rows.insert_chunks(conn, document, new, state=_ACTIVE, now=self._now())
            ids = [r.id for r in records]
            self._db.after_commit(lambda: self._indexes.apply(corpus.id, added=(ids, vectors)))
        return [chunk_out(parent, r) for r in records]

    @staticmethod
    def _vectors(
        embedder: Embedder, texts: list[str], known: dict[str, bytes]
    ) -> npt.NDArray[np.float32]:
        """Embeddings of ``texts``: reused from chunks with the same text, else computed."""
        vectors = np.empty((len(texts), embedder.dimensions), dtype=np.float32)
        fresh = [i for i, text in enumerate(texts) if text not in known]
        vectors[fresh] = embed_texts(embedder, [texts[i] for i in fresh])
        for i, text in enumerate(texts):
            if text in known:
                vectors[i] = np.frombuffer(known[text], dtype="<f4")
        return vectors

    @staticmethod
    def _chunk_ids(
        conn: Connection, document: DocumentRecord, plans: Sequence[_Create]
    ) -> list[str]:
        used = {p.requested for p in plans if p.requested}
        names: list[str | None] = [p.requested for p in plans]
        # Draw a name for every unnamed chunk, then check them all in one query; redraw
        # only the (vanishingly rare) collisions.
        while missing := [i for i, name in enumerate(names) if name is None]:
            drawn = {i: random_chunk_id() for i in missing}
            taken = rows.find_chunks(conn, document.id, drawn.values())
            for i, candidate in drawn.items():
                if candidate not in used and candidate not in taken:
                    names[i] = candidate
                    used.add(candidate)
        return [name for name in names if name is not None]

    # --- read -------------------------------------------------------------------------

    def get_chunk(self, who: Principal, name: str) -> Chunk:
        """Get ``corpora/{c}/documents/{d}/chunks/{k}`` (READER)."""
        corpus_id, document_id, chunk_id = parse_name(name, "corpora", "documents", "chunks")
        parent = f"corpora/{corpus_id}/documents/{document_id}"
        with self._db.read() as conn:
            _, document = find_document(conn, who, parent, Role.READER)
            found = rows.find_chunks(conn, document.id, [chunk_id])
        if chunk_id not in found:
            raise not_found(f"Chunk {name} not found.")
        return chunk_out(parent, found[chunk_id])

    def list_chunks(
        self, who: Principal, parent: str, *, page_size: int | None, page_token: str | None
    ) -> ListChunksResponse:
        """Chunks of ``parent``, oldest first (page size default 10, max 100)."""
        parse_name(parent, "corpora", "documents")
        size = resolve_page_size(page_size, MAX_CHUNKS_PAGE_SIZE)
        scope = ("chunks", parent, size)
        after = cursor(self._pages.read(page_token, *scope))
        with self._db.read() as conn:
            _, document = find_document(conn, who, parent, Role.READER)
            found = rows.list_chunks(conn, document.id, after=after, limit=size + 1)
        page, token = self._pages.page(found, size, lambda r: keyset(r.create_time, r.id), *scope)
        return ListChunksResponse(
            chunks=[chunk_out(parent, r) for r in page], next_page_token=token
        )

    # --- update -----------------------------------------------------------------------

    def update_chunk(
        self, who: Principal, name: str, chunk: Chunk, update_mask: str | None
    ) -> Chunk:
        """Update ``customMetadata`` and/or ``data`` (WRITER); new text is re-embedded."""
        corpus_id, document_id, chunk_id = parse_name(name, "corpora", "documents", "chunks")
        plan = self._plan_update(chunk_id, chunk, update_mask)
        return self._update(who, f"corpora/{corpus_id}/documents/{document_id}", [plan])[0]

    def batch_update_chunks(
        self, who: Principal, parent: str, request: BatchUpdateChunksRequest
    ) -> BatchUpdateChunksResponse:
        """Update 1..100 chunks of one document, all or nothing; each request names its
        chunk (``chunk.name``) and carries its own ``updateMask``."""
        parse_name(parent, "corpora", "documents")
        plans = []
        for i, item in enumerate(_batch(request.requests, "batchUpdate")):
            chunk = item.chunk
            chunk_id = _chunk_id_under(
                chunk.name if chunk else None, parent, f"requests[{i}].chunk.name"
            )
            assert chunk is not None
            plans.append(self._plan_update(chunk_id, chunk, item.update_mask))
        _unique([p.chunk_id for p in plans], "Chunk ID")
        return BatchUpdateChunksResponse(chunks=self._update(who, parent, plans))

    @staticmethod
    def _plan_update(chunk_id: str, chunk: Chunk, update_mask: str | None) -> _Update:
        fields = parse_mask(update_mask, _CHUNK_MASK, "chunk", _CHUNK_MASK_ALIASES)
        return _Update(
            chunk_id=chunk_id,
            text=check_chunk_text(chunk) if "data" in fields else None,
            metadata=check_metadata(chunk.custom_metadata) if "custom_metadata" in fields else None,
        )

    def _current(
        self, conn: Connection, who: Principal, parent: str, ids: Sequence[str]
    ) -> tuple[CorpusRecord, dict[str, ChunkRecord]]:
        corpus, document = find_document(conn, who, parent, Role.WRITER)
        found = rows.find_chunks(conn, document.id, ids)
        for chunk_id in ids:
            if chunk_id not in found:
                raise not_found(f"Chunk {parent}/chunks/{chunk_id} not found.")
        return corpus, found

    def _update(self, who: Principal, parent: str, plans: Sequence[_Update]) -> list[Chunk]:
        return self._embedding(lambda: self._update_with(self._embedder, who, parent, plans))

    def _update_with(
        self, embedder: Embedder, who: Principal, parent: str, plans: Sequence[_Update]
    ) -> list[Chunk]:
        ids = [p.chunk_id for p in plans]
        with self._db.read() as conn:
            _, before = self._current(conn, who, parent, ids)
        texts = {
            p.chunk_id: p.text
            for p in plans
            if p.text is not None and p.text != before[p.chunk_id].text
        }
        embedded = dict(zip(texts, embed_texts(embedder, list(texts.values())), strict=True))
        with self._db.write() as conn:
            corpus, current = self._current(conn, who, parent, ids)
            # A concurrent update may have changed a text since the read: embed the rest now.
            late = [
                p
                for p in plans
                if p.text is not None
                and p.chunk_id not in embedded
                and p.text != current[p.chunk_id].text
            ]
            if embedded or late:
                # As in _create_with: vectors of the store's embedder only.
                require_store_embedder(conn, embedder)
            if late:
                vectors = embed_texts(embedder, [p.text or "" for p in late])
                embedded.update(zip((p.chunk_id for p in late), vectors, strict=True))
            now = self._now()
            records = []
            for plan in plans:
                record = current[plan.chunk_id]
                vector = embedded.get(plan.chunk_id)
                records.append(
                    rows.update_chunk(
                        conn,
                        record,
                        text=plan.text if plan.text is not None else record.text,
                        metadata=plan.metadata
                        if plan.metadata is not None
                        else record.custom_metadata,
                        vector=None if vector is None else rows.vector_blob(vector),
                        now=now,
                    )
                )
            changed = [r.id for r in records if r.name in embedded]
            if changed:
                matrix = np.stack([embedded[r.name] for r in records if r.name in embedded])
                self._db.after_commit(
                    lambda: self._indexes.apply(corpus.id, added=(changed, matrix))
                )
        return [chunk_out(parent, r) for r in records]

    # --- delete -----------------------------------------------------------------------

    def delete_chunk(self, who: Principal, name: str) -> None:
        """Delete one chunk (WRITER)."""
        corpus_id, document_id, chunk_id = parse_name(name, "corpora", "documents", "chunks")
        self._delete(who, f"corpora/{corpus_id}/documents/{document_id}", [chunk_id])

    def batch_delete_chunks(
        self, who: Principal, parent: str, request: BatchDeleteChunksRequest
    ) -> None:
        """Delete 1..100 chunks of one document, all or nothing (NOT_FOUND if any is
        missing); a name repeated in the batch is deleted once."""
        parse_name(parent, "corpora", "documents")
        ids = [
            _chunk_id_under(item.name, parent, f"requests[{i}].name")
            for i, item in enumerate(_batch(request.requests, "batchDelete"))
        ]
        self._delete(who, parent, list(dict.fromkeys(ids)))

    def _delete(self, who: Principal, parent: str, ids: Sequence[str]) -> None:
        with self._db.write() as conn:
            corpus, found = self._current(conn, who, parent, ids)
            removed = [record.id for record in found.values()]
            rows.delete_chunks(conn, corpus.id, removed)
            self._db.after_commit(lambda: self._indexes.apply(corpus.id, removed=removed))
