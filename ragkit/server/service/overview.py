"""A corpus at a glance: how many documents and chunks it holds, and the caller's role.

Google's ``Corpus`` carries no counts; the web app (and ``GET /ragkit/api/corpora/{c}/stats``)
needs them without paging through every document.
"""

from __future__ import annotations

from dataclasses import dataclass

from ragkit.server.principal import Principal
from ragkit.server.service.access import authorize
from ragkit.server.service.core import ServiceCore
from ragkit.server.service.validation import parse_name
from ragkit.server.store.corpora import chunk_count, count_documents
from ragkit.types import Role

__all__ = ["CorpusStats", "OverviewMixin"]


@dataclass(frozen=True)
class CorpusStats:
    """Counts for one corpus, and the caller's effective role on it."""

    name: str
    document_count: int
    chunk_count: int
    role: Role


class OverviewMixin(ServiceCore):
    def corpus_stats(self, who: Principal, name: str) -> CorpusStats:
        """Document and chunk counts of ``corpora/{c}`` (READER).

        Raises:
            ApiError: INVALID_ARGUMENT (bad name), PERMISSION_DENIED.
        """
        (corpus_id,) = parse_name(name, "corpora")
        with self._db.read() as conn:
            corpus, role = authorize(conn, who, corpus_id, Role.READER)
            documents = count_documents(conn, corpus.id)
            chunks = chunk_count(conn, corpus.id)
        return CorpusStats(f"corpora/{corpus_id}", documents, chunks, role)

    def require_role(self, who: Principal, name: str, needed: Role) -> Role:
        """The caller's role on ``corpora/{c}``, if it is at least ``needed``: for work that
        spans several calls (e.g. ingesting a file) and should be refused before it starts.

        Raises:
            ApiError: INVALID_ARGUMENT (bad name), PERMISSION_DENIED.
        """
        (corpus_id,) = parse_name(name, "corpora")
        with self._db.read() as conn:
            _, role = authorize(conn, who, corpus_id, needed)
        return role
