"""Capacity limits of a server: how many corpora, documents and chunks it accepts."""

from __future__ import annotations

from dataclasses import dataclass

from ragkit.limits import MAX_CHUNKS_PER_CORPUS, MAX_CORPORA_PER_PROJECT, MAX_DOCUMENTS_PER_CORPUS

__all__ = ["Quotas"]


@dataclass(frozen=True)
class Quotas:
    """Capacity quotas; ``None`` means unlimited. Defaults are Google's documented limits.

    Going over one raises ``RESOURCE_EXHAUSTED`` naming the limit; the server as a whole
    plays the role of Google's "project".
    """

    max_corpora: int | None = MAX_CORPORA_PER_PROJECT
    max_documents_per_corpus: int | None = MAX_DOCUMENTS_PER_CORPUS
    max_chunks_per_corpus: int | None = MAX_CHUNKS_PER_CORPUS
