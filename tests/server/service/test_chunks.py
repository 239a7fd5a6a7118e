"""Chunks: validation, atomic batches, quotas, updates that re-embed, deletes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ragkit.server.service import Quotas, RetrieverService
from ragkit.tokenizers import count_tokens
from ragkit.types import (
    BatchDeleteChunksRequest,
    BatchUpdateChunksRequest,
    Chunk,
    ChunkData,
    ChunkState,
    Code,
    Corpus,
    DeleteChunkRequest,
    Document,
    QueryCorpusRequest,
    UpdateChunkRequest,
)

from .conftest import OWNER, batch, chunk, meta, raises

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

DOC = "corpora/c/documents/d"


@pytest.fixture
def svc(open_service: Callable[..., RetrieverService]) -> RetrieverService:
    return _setup(open_service())


def _setup(service: RetrieverService) -> RetrieverService:
    service.create_corpus(OWNER, Corpus(name="c"))
    service.create_document(OWNER, "corpora/c", Document(name="d"))
    return service


def _names(service: RetrieverService) -> list[str]:
    listed = service.list_chunks(OWNER, DOC, page_size=100, page_token=None)
    return [c.name or "" for c in listed.chunks or []]


def test_create_is_active_and_named(svc: RetrieverService) -> None:
    created = svc.create_chunk(OWNER, DOC, chunk("The cat sat on the mat.", year=2020))
    assert created.state is ChunkState.STATE_ACTIVE
    assert created.name is not None and created.name.startswith(DOC + "/chunks/")
    assert len(created.name.rsplit("/", 1)[1]) == 12
    assert created.create_time == created.update_time
    assert svc.get_chunk(OWNER, created.name) == created
    named = svc.create_chunk(OWNER, DOC, chunk("x", name=f"{DOC}/chunks/mine"))
    assert named.name == f"{DOC}/chunks/mine"
    raises(Code.ALREADY_EXISTS, lambda: svc.create_chunk(OWNER, DOC, chunk("y", name="mine")))
    raises(Code.NOT_FOUND, lambda: svc.get_chunk(OWNER, f"{DOC}/chunks/none"))
    raises(Code.NOT_FOUND, lambda: svc.create_chunk(OWNER, "corpora/c/documents/zz", chunk("x")))


def test_chunk_text_rules(svc: RetrieverService) -> None:
    raises(Code.INVALID_ARGUMENT, lambda: svc.create_chunk(OWNER, DOC, Chunk()), "string_value")
    empty = Chunk(data=ChunkData(string_value=""))
    raises(Code.INVALID_ARGUMENT, lambda: svc.create_chunk(OWNER, DOC, empty))
    longest = "hello" + " hello" * 2042
    assert count_tokens(longest) == 2043
    svc.create_chunk(OWNER, DOC, chunk(longest))
    raises(
        Code.INVALID_ARGUMENT,
        lambda: svc.create_chunk(OWNER, DOC, chunk(longest + " hello")),
        "2043",
    )
    too_many = chunk("x", **{f"k{i}": i for i in range(21)})
    raises(Code.INVALID_ARGUMENT, lambda: svc.create_chunk(OWNER, DOC, too_many))


def test_batch_size_and_parent_rules(svc: RetrieverService) -> None:
    raises(Code.INVALID_ARGUMENT, lambda: svc.batch_create_chunks(OWNER, DOC, batch()), "1 to 100")
    many = batch(*[chunk(f"text {i}") for i in range(101)])
    raises(Code.INVALID_ARGUMENT, lambda: svc.batch_create_chunks(OWNER, DOC, many), "1 to 100")
    wrong = batch(chunk("a"), parent="corpora/c/documents/other")
    raises(
        Code.INVALID_ARGUMENT, lambda: svc.batch_create_chunks(OWNER, DOC, wrong), "does not match"
    )
    same = batch(chunk("a", name="k"), chunk("b", name="k"))
    raises(
        Code.INVALID_ARGUMENT, lambda: svc.batch_create_chunks(OWNER, DOC, same), "more than once"
    )
    ok = svc.batch_create_chunks(
        OWNER, DOC, batch(*[chunk(f"t{i}") for i in range(100)], parent=DOC)
    )
    assert len(ok.chunks or []) == 100
    assert [c.name for c in ok.chunks or []] == _names(svc)


@pytest.mark.postgres_only
def test_a_batch_costs_a_few_statements_not_several_per_chunk(
    svc: RetrieverService, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL each statement is a round trip: 100 chunks with metadata and names
    to draw are written by multi-row statements (over 200 round trips before)."""
    assert backend == "postgres"
    from ragkit.server.store.postgres import PgConnection

    ran: list[str] = []
    for method in ("execute", "executemany"):
        original = getattr(PgConnection, method)

        def counted(self: Any, sql: str, *args: Any, _original: Any = original) -> Any:
            ran.append(sql)
            return _original(self, sql, *args)

        monkeypatch.setattr(PgConnection, method, counted)
    chunks = [chunk(f"t{i}", year=i) for i in range(99)] + [chunk("named", name="mine")]
    created = svc.batch_create_chunks(OWNER, DOC, batch(*chunks)).chunks or []
    assert len(ran) <= 30, ran
    assert [c.data.string_value for c in created if c.data] == [f"t{i}" for i in range(99)] + [
        "named"
    ]
    assert len({c.name for c in created}) == 100 and created[-1].name == f"{DOC}/chunks/mine"
    stored = svc.get_chunk(OWNER, created[42].name or "")
    assert stored == created[42] and stored.custom_metadata == meta(year=42)


def test_a_failing_batch_changes_nothing(svc: RetrieverService) -> None:
    svc.create_chunk(OWNER, DOC, chunk("existing", name="taken"))
    bad_text = batch(chunk("fine"), chunk("fine too"), Chunk(data=ChunkData(string_value="")))
    raises(Code.INVALID_ARGUMENT, lambda: svc.batch_create_chunks(OWNER, DOC, bad_text))
    clash = batch(chunk("fine", name="new"), chunk("dup", name="taken"))
    raises(Code.ALREADY_EXISTS, lambda: svc.batch_create_chunks(OWNER, DOC, clash))
    assert _names(svc) == [f"{DOC}/chunks/taken"]
    hits = svc.query_corpus(OWNER, "corpora/c", QueryCorpusRequest(query="fine", results_count=10))
    assert [h.chunk.name for h in hits.relevant_chunks or [] if h.chunk] == [f"{DOC}/chunks/taken"]


def test_chunk_quota_counts_the_whole_batch(open_service: Callable[..., RetrieverService]) -> None:
    svc = _setup(open_service(Quotas(max_chunks_per_corpus=3)))
    svc.batch_create_chunks(OWNER, DOC, batch(chunk("a"), chunk("b")))
    over = batch(chunk("c"), chunk("d"))
    raises(
        Code.RESOURCE_EXHAUSTED,
        lambda: svc.batch_create_chunks(OWNER, DOC, over),
        "max_chunks_per_corpus",
    )
    assert len(_names(svc)) == 2
    svc.create_chunk(OWNER, DOC, chunk("c"))
    svc.delete_chunk(OWNER, _names(svc)[0])
    svc.create_chunk(OWNER, DOC, chunk("d"))  # deletes free quota again
    svc.delete_document(OWNER, DOC, force=True)
    svc.create_document(OWNER, "corpora/c", Document(name="d"))
    svc.batch_create_chunks(OWNER, DOC, batch(chunk("a"), chunk("b"), chunk("c")))


def test_update_chunk_masks_and_reembedding(svc: RetrieverService) -> None:
    created = svc.create_chunk(OWNER, DOC, chunk("apples and pears", year=1))
    name = created.name or ""
    meta_only = svc.update_chunk(OWNER, name, chunk("ignored", year=2), "customMetadata")
    assert meta_only.data == created.data and meta_only.custom_metadata == meta(year=2)
    assert meta_only.update_time is not None and created.update_time is not None
    assert meta_only.update_time > created.update_time
    data = svc.update_chunk(OWNER, name, chunk("bananas only"), "data")
    assert data.data == ChunkData(string_value="bananas only")
    assert data.custom_metadata == meta(year=2)
    hits = svc.query_corpus(OWNER, "corpora/c", QueryCorpusRequest(query="bananas"))
    top = (hits.relevant_chunks or [])[0]
    assert top.chunk is not None and top.chunk.data == data.data
    assert top.chunk_relevance_score is not None and top.chunk_relevance_score > 0.5
    # google-generativeai's Chunk.update sends the data path as data.string_value.
    for path in ("data.string_value", "data.stringValue"):
        spelled = svc.update_chunk(OWNER, name, chunk(f"via {path}", year=9), path)
        assert spelled.data == ChunkData(string_value=f"via {path}")
        assert spelled.custom_metadata == meta(year=2)
    for bad in (None, "", "name", "state", "data.other"):
        raises(
            Code.INVALID_ARGUMENT, lambda bad=bad: svc.update_chunk(OWNER, name, chunk("x"), bad)
        )
    raises(Code.INVALID_ARGUMENT, lambda: svc.update_chunk(OWNER, name, Chunk(), "data"))
    raises(Code.NOT_FOUND, lambda: svc.update_chunk(OWNER, f"{DOC}/chunks/zz", chunk("x"), "data"))


def test_batch_update_is_all_or_nothing(svc: RetrieverService) -> None:
    a, b = svc.batch_create_chunks(OWNER, DOC, batch(chunk("one"), chunk("two"))).chunks or []

    def request(*items: tuple[str | None, str, str | None]) -> BatchUpdateChunksRequest:
        return BatchUpdateChunksRequest(
            requests=[
                UpdateChunkRequest(chunk=chunk(text, name=name), update_mask=mask)
                for name, text, mask in items
            ]
        )

    missing = request((a.name, "uno", "data"), (f"{DOC}/chunks/zz", "x", "data"))
    raises(Code.NOT_FOUND, lambda: svc.batch_update_chunks(OWNER, DOC, missing))
    bad_mask = request((a.name, "uno", "data"), (b.name, "dos", "name"))
    raises(Code.INVALID_ARGUMENT, lambda: svc.batch_update_chunks(OWNER, DOC, bad_mask))
    elsewhere = request((a.name, "uno", "data"), ("corpora/c/documents/e/chunks/x", "x", "data"))
    raises(
        Code.INVALID_ARGUMENT,
        lambda: svc.batch_update_chunks(OWNER, DOC, elsewhere),
        "not a chunk of",
    )
    no_name = request((None, "uno", "data"))
    raises(Code.INVALID_ARGUMENT, lambda: svc.batch_update_chunks(OWNER, DOC, no_name))
    twice = request((a.name, "uno", "data"), (a.name, "dos", "data"))
    raises(Code.INVALID_ARGUMENT, lambda: svc.batch_update_chunks(OWNER, DOC, twice))
    raises(
        Code.INVALID_ARGUMENT,
        lambda: svc.batch_update_chunks(OWNER, DOC, BatchUpdateChunksRequest(requests=[])),
    )
    assert svc.get_chunk(OWNER, a.name or "").data == ChunkData(string_value="one")
    done = svc.batch_update_chunks(
        OWNER, DOC, request((a.name, "uno", "data"), (b.name, "dos", "data"))
    )
    assert [c.data.string_value for c in done.chunks or [] if c.data] == ["uno", "dos"]


def test_deletes(svc: RetrieverService) -> None:
    made = svc.batch_create_chunks(OWNER, DOC, batch(*[chunk(f"word{i}") for i in range(4)]))
    names = [c.name or "" for c in made.chunks or []]
    svc.delete_chunk(OWNER, names[0])
    raises(Code.NOT_FOUND, lambda: svc.delete_chunk(OWNER, names[0]))

    def request(*items: str) -> BatchDeleteChunksRequest:
        return BatchDeleteChunksRequest(requests=[DeleteChunkRequest(name=n) for n in items])

    raises(Code.NOT_FOUND, lambda: svc.batch_delete_chunks(OWNER, DOC, request(names[1], names[0])))
    raises(Code.INVALID_ARGUMENT, lambda: svc.batch_delete_chunks(OWNER, DOC, request()))
    other = "corpora/c/documents/other/chunks/x"
    raises(
        Code.INVALID_ARGUMENT, lambda: svc.batch_delete_chunks(OWNER, DOC, request(names[1], other))
    )
    assert _names(svc) == names[1:]
    svc.batch_delete_chunks(OWNER, DOC, request(names[1], names[2], names[2]))
    assert _names(svc) == names[3:]
    hits = svc.query_corpus(OWNER, "corpora/c", QueryCorpusRequest(query="word1 word2"))
    assert [h.chunk.name for h in hits.relevant_chunks or [] if h.chunk] == names[3:]


def test_list_chunks_pages(svc: RetrieverService) -> None:
    for _ in range(2):
        svc.batch_create_chunks(OWNER, DOC, batch(*[chunk(f"t{i}") for i in range(70)]))
    first = svc.list_chunks(OWNER, DOC, page_size=500, page_token=None)
    assert len(first.chunks or []) == 100
    second = svc.list_chunks(OWNER, DOC, page_size=500, page_token=first.next_page_token)
    assert len(second.chunks or []) == 40 and second.next_page_token is None


def test_a_text_the_corpus_already_holds_is_not_embedded_again(
    svc: RetrieverService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ragkit.server.service import chunks as chunk_service

    embedded: list[str] = []
    real = chunk_service.embed_texts

    def counting(embedder: Any, texts: Any, **kwargs: Any) -> Any:
        embedded.extend(texts)
        return real(embedder, texts, **kwargs)

    monkeypatch.setattr(chunk_service, "embed_texts", counting)
    first = svc.batch_create_chunks(OWNER, DOC, batch(chunk("Moved text."), chunk("Other.")))
    svc.create_document(OWNER, "corpora/c", Document(name="moved"))
    moved = svc.batch_create_chunks(
        OWNER,
        "corpora/c/documents/moved",
        batch(chunk("Moved text."), chunk("New text."), parent="corpora/c/documents/moved"),
    )
    assert embedded == ["Moved text.", "Other.", "New text."]
    # The reused vector is the one the text was embedded to: the chunk ranks the same.
    hits = svc.query_corpus(
        OWNER, "corpora/c", QueryCorpusRequest(query="Moved text.", results_count=2)
    )
    top = {h.chunk.name for h in hits.relevant_chunks or [] if h.chunk}
    assert top == {first.chunks[0].name, moved.chunks[0].name}
    scores = {round(h.chunk_relevance_score or 0, 6) for h in hits.relevant_chunks or []}
    assert len(scores) == 1
