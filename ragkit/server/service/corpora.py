"""Corpus methods: create, get, list, update, delete."""

from __future__ import annotations

from ragkit.limits import MAX_CORPORA_PAGE_SIZE
from ragkit.names import generate_id
from ragkit.server.errors import already_exists, failed_precondition, resource_exhausted
from ragkit.server.principal import Principal
from ragkit.server.service.access import authorize
from ragkit.server.service.core import ServiceCore
from ragkit.server.service.paging import cursor, keyset, resolve_page_size
from ragkit.server.service.validation import check_display_name, child_id, parse_mask, parse_name
from ragkit.server.service.wire import corpus_out
from ragkit.server.store import corpora as rows
from ragkit.server.store.permissions import USER, insert_permission
from ragkit.types import Corpus, ListCorporaResponse, Role

__all__ = ["CorporaMixin"]

_CORPUS_MASK = {"display_name": "displayName"}


class CorporaMixin(ServiceCore):
    def create_corpus(self, who: Principal, corpus: Corpus) -> Corpus:
        """Create a corpus owned by ``who`` (an OWNER permission is recorded for them).

        Raises:
            ApiError: INVALID_ARGUMENT (bad name or display name), ALREADY_EXISTS,
                RESOURCE_EXHAUSTED (corpus quota).
        """
        display_name = check_display_name(corpus.display_name)
        requested = child_id(corpus.name, "", "corpora", "corpus")
        with self._db.write() as conn:
            limit = self._quotas.max_corpora
            if limit is not None:
                used = rows.count_created_corpora(conn, who.email)
                if used >= limit:
                    raise resource_exhausted(
                        f"Quota exceeded for corpora per user (max_corpora): {who.email} "
                        f"has created {used} of {limit} corpora; delete one first."
                    )
            corpus_id = requested or generate_id(display_name)
            while rows.find_corpus(conn, corpus_id) is not None:
                if requested:
                    raise already_exists(f"Corpus corpora/{corpus_id} already exists.")
                corpus_id = generate_id(display_name)
            record = rows.insert_corpus(conn, corpus_id, display_name, self._now(), who.email)
            insert_permission(conn, record.id, generate_id(), USER, who.email, Role.OWNER.value)
        return corpus_out(record)

    def get_corpus(self, who: Principal, name: str) -> Corpus:
        """Get ``corpora/{c}`` (READER)."""
        (corpus_id,) = parse_name(name, "corpora")
        with self._db.read() as conn:
            record, _ = authorize(conn, who, corpus_id, Role.READER)
        return corpus_out(record)

    def list_corpora(
        self, who: Principal, *, page_size: int | None, page_token: str | None
    ) -> ListCorporaResponse:
        """Corpora ``who`` can read, oldest first (page size default 10, max 20)."""
        size = resolve_page_size(page_size, MAX_CORPORA_PAGE_SIZE)
        scope = ("corpora", who.email, size)
        after = cursor(self._pages.read(page_token, *scope))
        with self._db.read() as conn:
            found = rows.list_corpora(conn, who, after=after, limit=size + 1)
        page, token = self._pages.page(found, size, lambda r: keyset(r.create_time, r.id), *scope)
        return ListCorporaResponse(corpora=[corpus_out(r) for r in page], next_page_token=token)

    def update_corpus(
        self, who: Principal, name: str, corpus: Corpus, update_mask: str | None
    ) -> Corpus:
        """Change the display name (OWNER); the mask may only name ``displayName``."""
        (corpus_id,) = parse_name(name, "corpora")
        parse_mask(update_mask, _CORPUS_MASK, "corpus")
        display_name = check_display_name(corpus.display_name)
        with self._db.write() as conn:
            record, _ = authorize(conn, who, corpus_id, Role.OWNER)
            record = rows.update_corpus(conn, record.id, display_name, self._now())
        return corpus_out(record)

    def delete_corpus(self, who: Principal, name: str, *, force: bool) -> None:
        """Delete a corpus (OWNER); one with documents needs ``force`` (else
        FAILED_PRECONDITION), which also deletes its documents, chunks and permissions."""
        (corpus_id,) = parse_name(name, "corpora")
        with self._db.write() as conn:
            record, _ = authorize(conn, who, corpus_id, Role.OWNER)
            if not force and rows.count_documents(conn, record.id):
                raise failed_precondition(
                    f"Corpus {name} contains documents; delete them first or set force=true."
                )
            rows.delete_corpus(conn, record.id)
            self._db.after_commit(lambda: self._indexes.drop(record.id))
            self._db.after_commit(lambda: self._search.forget(record.id))
