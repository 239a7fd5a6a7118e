"""Capacity quotas, charged to the principal who uses them (Google's are per project).

A principal (an identity of the auth file, or the single local user) has its own corpora,
files and upload sessions; one user's usage never locks another out. Documents and chunks
are counted per corpus (Google's limits), and each corpus is charged to the principal who
created it, so a principal holds at most ``max_corpora x max_documents_per_corpus``
documents and ``max_corpora x max_chunks_per_corpus`` chunks. Going over any quota answers
429 RESOURCE_EXHAUSTED naming the quota and the current usage; every check runs in the
same transaction as the write it guards, so concurrent requests cannot overshoot.
"""

from __future__ import annotations

from dataclasses import dataclass

from ragkit.limits import (
    MAX_CHUNKS_PER_CORPUS,
    MAX_CORPORA_PER_PROJECT,
    MAX_DOCUMENTS_PER_CORPUS,
    MAX_FILE_SEARCH_STORES_PER_PROJECT,
    MAX_FILE_STORAGE_BYTES,
    MAX_OPEN_UPLOAD_SESSIONS,
)

__all__ = ["Quotas"]


@dataclass(frozen=True)
class Quotas:
    """Capacity quotas; ``None`` means unlimited. Defaults are Google's documented limits.

    Attributes:
        max_corpora: Corpora each principal may have created (Google: 5 per project).
        max_documents_per_corpus: Documents in one corpus (Google: 10,000).
        max_chunks_per_corpus: Chunks in one corpus (Google: 1,000,000).
        max_file_bytes_per_user: Bytes of unexpired files each principal may store, counting
            the declared (else received) size of its open upload sessions (Google: 20 GB
            per project).
        max_upload_sessions_per_user: Unfinished resumable upload sessions each principal
            may hold open (ragkit's choice: 100).
        max_file_search_stores: File Search stores each principal may have created
            (Google: 10 per project). A store's documents and chunks count against the
            per-corpus quotas above, as a store is a corpus underneath.
    """

    max_corpora: int | None = MAX_CORPORA_PER_PROJECT
    max_documents_per_corpus: int | None = MAX_DOCUMENTS_PER_CORPUS
    max_chunks_per_corpus: int | None = MAX_CHUNKS_PER_CORPUS
    max_file_bytes_per_user: int | None = MAX_FILE_STORAGE_BYTES
    max_upload_sessions_per_user: int | None = MAX_OPEN_UPLOAD_SESSIONS
    max_file_search_stores: int | None = MAX_FILE_SEARCH_STORES_PER_PROJECT
