"""The same content and queries give the same hits (names, order, scores to 1e-5) on the
SQLite service (in-memory indexes) and the PostgreSQL service (pgvector in SQL), exact and
through the HNSW index; rankings PostgreSQL cannot serve the same way are refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from ragkit.server.models.embedding import load_embedder
from ragkit.server.service import RetrieverService
from ragkit.server.service.search import PgSearch
from ragkit.types import (
    Code,
    Condition,
    Corpus,
    Document,
    MetadataFilter,
    QueryCorpusRequest,
    QueryDocumentRequest,
)
from tests.server.service.conftest import OWNER, batch, chunk, meta, raises

C = "corpora/c"
WORDS = [
    "ocean",
    "tide",
    "wave",
    "storm",
    "harbor",
    "ship",
    "sail",
    "anchor",
    "reef",
    "coral",
    "island",
    "beach",
    "sand",
    "shell",
    "river",
    "delta",
    "lake",
    "glacier",
    "mountain",
    "valley",
    "forest",
    "meadow",
    "desert",
    "canyon",
]

Opener = Callable[..., RetrieverService]


@pytest.fixture
def open_both(tmp_path: Path, postgres_url: str) -> Iterator[Opener]:
    opened: list[RetrieverService] = []

    def factory(backend: str, **options: object) -> RetrieverService:
        (tmp_path / backend).mkdir(exist_ok=True)
        service = RetrieverService.open(
            tmp_path / backend,
            embedder=load_embedder("hash:64"),
            database_url=postgres_url if backend == "postgres" else None,
            **options,  # type: ignore[arg-type]
        )
        opened.append(service)
        return service

    yield factory
    for service in opened:
        service.close()


def fill(service: RetrieverService, chunks_per_document: int = 40) -> None:
    """Four documents of generated chunks with chunk and document metadata."""
    rng = np.random.default_rng(11)
    service.create_corpus(OWNER, Corpus(name="c"))
    for d, genre in enumerate(("drama", "comedy", "poetry", "drama")):
        name = f"d{d}"
        service.create_document(
            OWNER, C, Document(name=name, custom_metadata=meta(year=2000 + d, genre=genre))
        )
        chunks = []
        for i in range(chunks_per_document):
            text = " ".join(rng.choice(WORDS, size=8))
            chunks.append(chunk(text, name=f"k{d}x{i}", n=i % 7, l=[WORDS[i % 5]]))
        for start in range(0, len(chunks), 100):
            service.batch_create_chunks(
                OWNER, f"{C}/documents/{name}", batch(*chunks[start : start + 100])
            )


def cond(op: str, value: str | float) -> Condition:
    if isinstance(value, str):
        return Condition(string_value=value, operation=op)
    return Condition(numeric_value=value, operation=op)


FILTERS: list[list[MetadataFilter]] = [
    [],
    [MetadataFilter(key="chunk.custom_metadata.n", conditions=[cond("GREATER_EQUAL", 4)])],
    [
        MetadataFilter(key="chunk.custom_metadata.n", conditions=[cond("LESS", 5)]),
        MetadataFilter(key="chunk.custom_metadata.n", conditions=[cond("GREATER", 1)]),
    ],
    [MetadataFilter(key="document.custom_metadata.genre", conditions=[cond("EQUAL", "drama")])],
    [MetadataFilter(key="document.custom_metadata.genre", conditions=[cond("NOT_EQUAL", "drama")])],
    [MetadataFilter(key="chunk.custom_metadata.l", conditions=[cond("INCLUDES", "ocean")])],
    [MetadataFilter(key="chunk.custom_metadata.l", conditions=[cond("EXCLUDES", "tide")])],
    [
        MetadataFilter(key="genre", conditions=[cond("EQUAL", "poetry"), cond("EQUAL", "comedy")]),
        MetadataFilter(key="n", conditions=[cond("NOT_EQUAL", 3)]),
    ],
    [MetadataFilter(key="chunk.custom_metadata.n", conditions=[cond("EQUAL", "3")])],
]
QUERIES = ("ocean storm", "coral reef island", "mountain glacier valley", "harbor")


def hits(service: RetrieverService, query: str, filters: list[MetadataFilter], *, doc: str = ""):  # type: ignore[no-untyped-def]
    if doc:
        found = service.query_document(
            OWNER,
            f"{C}/documents/{doc}",
            QueryDocumentRequest(query=query, results_count=20, metadata_filters=filters),
        ).relevant_chunks
    else:
        found = service.query_corpus(
            OWNER, C, QueryCorpusRequest(query=query, results_count=20, metadata_filters=filters)
        ).relevant_chunks
    return [(h.chunk.name, h.chunk_relevance_score) for h in found or []]


def same(left: list[tuple[str, float]], right: list[tuple[str, float]]) -> None:
    assert [name for name, _ in left] == [name for name, _ in right]
    assert np.allclose([s for _, s in left], [s for _, s in right], atol=1e-5)


def test_queries_rank_the_same_on_sqlite_and_postgres(open_both: Opener) -> None:
    sqlite, postgres = open_both("sqlite"), open_both("postgres")
    assert isinstance(postgres._search, PgSearch)
    for service in (sqlite, postgres):
        fill(service)
    for query in QUERIES:
        for filters in FILTERS:
            expected = hits(sqlite, query, filters)
            same(hits(postgres, query, filters), expected)
        document_filter = [
            MetadataFilter(key="chunk.custom_metadata.n", conditions=[cond("LESS_EQUAL", 2)])
        ]
        same(
            hits(postgres, query, document_filter, doc="d1"),
            hits(sqlite, query, document_filter, doc="d1"),
        )


def test_hnsw_index_is_built_once_and_serves_the_same_hits(open_both: Opener) -> None:
    sqlite, postgres = (
        open_both("sqlite", ann_threshold=0),
        open_both("postgres", ann_threshold=100),
    )
    for service in (sqlite, postgres):
        fill(service)
    search = postgres._search
    assert isinstance(search, PgSearch)
    hits(postgres, "ocean", [])  # over the threshold: starts the background build
    search.vectors.wait_for_builds()
    with postgres._db.read() as conn:
        assert search.vectors.index_ready(conn, 1, 64)
    agree = []
    for query in QUERIES:
        expected = hits(sqlite, query, [])
        got = hits(postgres, query, [])
        assert len(got) == 20
        agree.append(len({n for n, _ in got[:10]} & {n for n, _ in expected[:10]}) / 10)
        wide = FILTERS[6]  # EXCLUDES 'tide': four fifths of the corpus, through the graph
        got = hits(postgres, query, wide)
        assert len(got) == 20
    assert np.mean(agree) >= 0.9
    # Deleting the corpus drops its index.
    postgres.delete_corpus(OWNER, C, force=True)
    search.vectors.wait_for_builds()
    with postgres._db.read() as conn:
        assert not search.vectors.index_ready(conn, 1, 64)


def test_bm25_and_hybrid_are_refused_on_postgres_not_ranked_otherwise(open_both: Opener) -> None:
    for ranking in ("bm25", "hybrid"):
        service = open_both("postgres", ranking=ranking)
        if ranking == "bm25":
            fill(service, chunks_per_document=2)
        raises(Code.FAILED_PRECONDITION, lambda s=service: hits(s, "ocean", []), "--ranking dense")


def test_serve_refuses_keyword_rankings_on_postgres_at_startup(tmp_path: Path) -> None:
    from ragkit.server.config import ServerConfig

    for ranking in ("bm25", "hybrid"):
        with pytest.raises(ValueError, match="--ranking dense"):
            ServerConfig(data_dir=tmp_path, database_url="postgresql://x@db/r", ranking=ranking)
    ServerConfig(data_dir=tmp_path, database_url="postgresql://x@db/r", ranking="dense")
