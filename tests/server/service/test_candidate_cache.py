"""Filtered queries reuse candidate sets until a write commits, and never serve stale ones."""

from __future__ import annotations

import numpy as np

from ragkit.server.service import RetrieverService
from ragkit.server.service.filters import CandidateCache
from ragkit.types import Condition, Corpus, Document, MetadataFilter, QueryCorpusRequest

from .conftest import OWNER, batch, chunk, meta

TENANT_A = MetadataFilter(
    key="chunk.custom_metadata.tenant",
    conditions=[Condition(string_value="a", operation="EQUAL")],
)
GENRE = MetadataFilter(
    key="document.custom_metadata.genre",
    conditions=[Condition(string_value="drama", operation="EQUAL")],
)


def _names(service: RetrieverService, *filters: MetadataFilter) -> set[str]:
    response = service.query_corpus(
        OWNER, "corpora/c", QueryCorpusRequest(query="ocean", metadata_filters=list(filters))
    )
    return {hit.chunk.name or "" for hit in response.relevant_chunks or []}


def test_metadata_changes_reach_the_next_filtered_query(service: RetrieverService) -> None:
    service.create_corpus(OWNER, Corpus(name="c"))
    service.create_document(OWNER, "corpora/c", Document(name="d", custom_metadata=meta(genre="x")))
    service.batch_create_chunks(
        OWNER,
        "corpora/c/documents/d",
        batch(
            chunk("ocean one", name="one", tenant="a"), chunk("ocean two", name="two", tenant="b")
        ),
    )
    one, two = "corpora/c/documents/d/chunks/one", "corpora/c/documents/d/chunks/two"
    assert _names(service, TENANT_A) == {one}
    assert _names(service, TENANT_A) == {one}  # served from the cache
    service.update_chunk(OWNER, two, chunk("ocean two", tenant="a"), "customMetadata")
    assert _names(service, TENANT_A) == {one, two}
    assert _names(service, GENRE) == set()
    service.update_document(
        OWNER,
        "corpora/c/documents/d",
        Document(custom_metadata=meta(genre="drama")),
        "customMetadata",
    )
    assert _names(service, GENRE) == {one, two}
    service.delete_chunk(OWNER, one)
    assert _names(service, TENANT_A) == {two}


def test_cache_reuses_until_the_generation_moves_and_stays_bounded() -> None:
    cache = CandidateCache(max_entries=2, max_ids=5)
    calls: list[int] = []

    def compute(n: int) -> np.ndarray:
        calls.append(n)
        return np.arange(n, dtype=np.int64)

    assert cache.get((1, None, ()), 0, lambda: compute(3)).tolist() == [0, 1, 2]
    assert cache.get((1, None, ()), 0, lambda: compute(3)).size == 3
    assert calls == [3]
    cache.get((1, None, ()), 1, lambda: compute(3))  # a commit happened: recomputed
    assert calls == [3, 3]
    cache.get((2, None, ()), 1, lambda: compute(2))
    cache.get((3, None, ()), 1, lambda: compute(2))  # over 5 ids held: the oldest goes
    cache.get((1, None, ()), 1, lambda: compute(3))
    assert calls == [3, 3, 2, 2, 3]
    big = cache.get((4, None, ()), 1, lambda: compute(9))  # too big to keep, still answered
    assert big.size == 9 and not big.flags.writeable
