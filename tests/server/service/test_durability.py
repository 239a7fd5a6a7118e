"""Restarts, concurrent writers, and switching embedders."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ragkit.server.models.embedding import load_embedder
from ragkit.server.service import RetrieverService
from ragkit.server.service.reindex import EmbedderMismatchError
from ragkit.types import Corpus, Document, QueryCorpusRequest

from .conftest import OWNER, batch, chunk

DOC = "corpora/c/documents/d"


def _top(service: RetrieverService, query: str) -> str:
    response = service.query_corpus(
        OWNER, "corpora/c", QueryCorpusRequest(query=query, results_count=1)
    )
    hit = (response.relevant_chunks or [])[0]
    return (hit.chunk.data.string_value or "") if hit.chunk and hit.chunk.data else ""


def test_everything_survives_a_restart(open_service: Callable[..., RetrieverService]) -> None:
    service = open_service()
    service.create_corpus(OWNER, Corpus(name="c", display_name="C"))
    service.create_document(OWNER, "corpora/c", Document(name="d"))
    service.batch_create_chunks(
        OWNER, DOC, batch(chunk("alpha beta", x=1), chunk("gamma delta", x=2))
    )
    assert _top(service, "gamma") == "gamma delta"  # loads the index
    before = service.list_chunks(OWNER, DOC, page_size=None, page_token=None)
    service.close()
    again = open_service()
    assert again.get_corpus(OWNER, "corpora/c").display_name == "C"
    assert again.list_chunks(OWNER, DOC, page_size=None, page_token=None) == before
    assert _top(again, "alpha") == "alpha beta"
    assert (
        len(
            again.list_permissions(OWNER, "corpora/c", page_size=None, page_token=None).permissions
            or []
        )
        == 1
    )


def test_concurrent_writers_lose_nothing(service: RetrieverService) -> None:
    service.create_corpus(OWNER, Corpus(name="c"))
    service.create_document(OWNER, "corpora/c", Document(name="d"))
    _top_ready = service.query_corpus(OWNER, "corpora/c", QueryCorpusRequest(query="x"))
    assert not _top_ready.relevant_chunks
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(5):
                service.create_chunk(OWNER, DOC, chunk(f"worker{worker} item{i}"))
                service.batch_create_chunks(
                    OWNER, DOC, batch(*[chunk(f"w{worker} b{i} n{j}") for j in range(4)])
                )
                service.query_corpus(
                    OWNER, "corpora/c", QueryCorpusRequest(query=f"worker{worker}")
                )
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    names: list[str] = []
    token = None
    while True:
        page = service.list_chunks(OWNER, DOC, page_size=100, page_token=token)
        names += [c.name or "" for c in page.chunks or []]
        token = page.next_page_token
        if not token:
            break
    assert len(names) == len(set(names)) == 8 * 5 * 5
    # The index kept up with every commit: a query can reach every chunk.
    hits = service.query_corpus(
        OWNER, "corpora/c", QueryCorpusRequest(query="worker7 item4", results_count=1)
    )
    assert (hits.relevant_chunks or [])[0].chunk.data.string_value == "worker7 item4"  # type: ignore[union-attr]


def test_changing_the_embedder_is_refused_and_loses_nothing(tmp_path: Path) -> None:
    first = RetrieverService.open(tmp_path, embedder=load_embedder("hash:64"))
    first.create_corpus(OWNER, Corpus(name="c"))
    first.create_document(OWNER, "corpora/c", Document(name="d"))
    first.batch_create_chunks(OWNER, DOC, batch(chunk("red apples"), chunk("blue sky")))
    first.close()
    with pytest.raises(EmbedderMismatchError) as refused:
        RetrieverService.open(tmp_path, embedder=load_embedder("hash:32"))
    assert "hash (64 dimensions)" in str(refused.value)
    assert "hash (32 dimensions)" in str(refused.value)
    assert "ragkit reindex" in str(refused.value)
    again = RetrieverService.open(tmp_path, embedder=load_embedder("hash:64"))
    try:
        assert _top(again, "blue sky") == "blue sky"
    finally:
        again.close()
