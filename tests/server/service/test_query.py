"""corpora:query and documents:query: filters (every operator, OR/AND, levels), counts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ragkit.server.service import RetrieverService
from ragkit.server.store.corpora import find_corpus
from ragkit.types import (
    Code,
    Condition,
    Corpus,
    Document,
    MetadataFilter,
    QueryCorpusRequest,
    QueryDocumentRequest,
)

from .conftest import OWNER, batch, chunk, meta, raises

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

C = "corpora/c"


@pytest.fixture
def svc(service: RetrieverService) -> RetrieverService:
    service.create_corpus(OWNER, Corpus(name="c"))
    docs = {
        "a": meta(year=2020, genre="drama", tags=["x", "y"]),
        "b": meta(year=2010, genre="comedy", tags=["y"]),
        "c": [],
    }
    for name, metadata in docs.items():
        service.create_document(OWNER, C, Document(name=name, custom_metadata=metadata))
    service.batch_create_chunks(
        OWNER,
        "corpora/c/documents/a",
        batch(
            chunk("ocean waves one", name="a1", n=1, s="red", l=["p", "q"]),
            chunk("ocean waves two", name="a2", n=5, s="blue", l=[]),
        ),
    )
    service.create_chunk(
        OWNER, "corpora/c/documents/b", chunk("ocean tide", name="b1", n=3, s="red", l=["q"])
    )
    service.batch_create_chunks(
        OWNER,
        "corpora/c/documents/c",
        batch(chunk("ocean floor", name="c1", s="5"), chunk("ocean deep", name="c2")),
    )
    return service


def cond(op: str, value: str | float) -> Condition:
    if isinstance(value, str):
        return Condition(string_value=value, operation=op)
    return Condition(numeric_value=value, operation=op)


def f(key: str, *conditions: Condition) -> MetadataFilter:
    return MetadataFilter(key=key, conditions=list(conditions))


def found(svc: RetrieverService, *filters: MetadataFilter, query: str = "ocean") -> set[str]:
    response = svc.query_corpus(
        OWNER, C, QueryCorpusRequest(query=query, metadata_filters=list(filters), results_count=100)
    )
    return {
        (h.chunk.name or "").rsplit("/", 1)[1] for h in response.relevant_chunks or [] if h.chunk
    }


N, S, L = "chunk.custom_metadata.n", "chunk.custom_metadata.s", "chunk.custom_metadata.l"


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("LESS", 3, {"a1"}),
        ("LESS_EQUAL", 3, {"a1", "b1"}),
        ("EQUAL", 5, {"a2"}),
        ("GREATER_EQUAL", 3, {"a2", "b1"}),
        ("GREATER", 3, {"a2"}),
        ("NOT_EQUAL", 5, {"a1", "b1"}),
    ],
)
def test_numeric_operators(
    svc: RetrieverService, op: str, value: float, expected: set[str]
) -> None:
    assert found(svc, f(N, cond(op, float(value)))) == expected


def test_string_and_list_operators(svc: RetrieverService) -> None:
    assert found(svc, f(S, cond("EQUAL", "red"))) == {"a1", "b1"}
    assert found(svc, f(S, cond("NOT_EQUAL", "red"))) == {"a2", "c1"}
    assert found(svc, f(L, cond("INCLUDES", "q"))) == {"a1", "b1"}
    assert found(svc, f(L, cond("EXCLUDES", "p"))) == {"a2", "b1"}  # the empty list counts


def test_type_mismatch_matches_nothing(svc: RetrieverService) -> None:
    assert found(svc, f(S, cond("EQUAL", 5.0))) == set()  # "5" is a string
    assert found(svc, f(S, cond("INCLUDES", "red"))) == set()  # not a list
    assert found(svc, f(L, cond("EQUAL", "q"))) == set()  # a list only answers INCLUDES/EXCLUDES
    assert found(svc, f(N, cond("EQUAL", "1"))) == set()
    assert found(svc, f("chunk.custom_metadata.absent", cond("NOT_EQUAL", "x"))) == set()


def test_or_within_and_across_filters(svc: RetrieverService) -> None:
    assert found(svc, f(N, cond("EQUAL", 1.0), cond("EQUAL", 5.0))) == {"a1", "a2"}
    assert found(svc, f(S, cond("EQUAL", "red")), f(N, cond("GREATER", 2.0))) == {"b1"}
    assert found(svc, f(N, cond("GREATER_EQUAL", 2.0)), f(N, cond("LESS_EQUAL", 4.0))) == {"b1"}


def test_document_level_keys(svc: RetrieverService) -> None:
    year, genre, tags = (f"document.custom_metadata.{k}" for k in ("year", "genre", "tags"))
    assert found(svc, f(year, cond("GREATER_EQUAL", 2015.0))) == {"a1", "a2"}
    assert found(svc, f(genre, cond("EQUAL", "comedy"))) == {"b1"}
    assert found(svc, f(tags, cond("INCLUDES", "x"))) == {"a1", "a2"}
    assert found(svc, f(year, cond("GREATER", 2000.0)), f(S, cond("EQUAL", "red"))) == {"a1", "b1"}


def test_document_query_takes_chunk_keys_only(svc: RetrieverService) -> None:
    doc = "corpora/c/documents/a"
    response = svc.query_document(
        OWNER,
        doc,
        QueryDocumentRequest(query="ocean", metadata_filters=[f(S, cond("EQUAL", "red"))]),
    )
    assert [(h.chunk.name if h.chunk else "") for h in response.relevant_chunks or []] == [
        f"{doc}/chunks/a1"
    ]
    assert all(h.document and h.document.name == doc for h in response.relevant_chunks or [])
    everything = svc.query_document(OWNER, doc, QueryDocumentRequest(query="ocean"))
    assert len(everything.relevant_chunks or []) == 2
    bad = QueryDocumentRequest(
        query="x", metadata_filters=[f("document.custom_metadata.year", cond("EQUAL", 1.0))]
    )
    raises(Code.INVALID_ARGUMENT, lambda: svc.query_document(OWNER, doc, bad), "chunk")


@pytest.mark.parametrize(
    "bad",
    [
        [f("custom_metadata.n", cond("EQUAL", 1.0))],
        [f("chunk.custom_metadata.", cond("EQUAL", 1.0))],
        [f("chunk.n", cond("EQUAL", 1.0))],
        [f(N)],
        [f(N, cond("LESS", "red"))],
        [f(L, cond("INCLUDES", 1.0))],
        [f(N, Condition(numeric_value=1.0, operation="OPERATOR_UNSPECIFIED"))],
        [f(N, Condition(numeric_value=1.0))],
        [f(N, Condition(operation="EQUAL"))],
        [f(S, cond("EQUAL", "red")), f(S, cond("EQUAL", "blue"))],
        [f(N, cond("EQUAL", 1.0)), f(N, cond("EQUAL", "x"))],
    ],
)
def test_invalid_filters(svc: RetrieverService, bad: list[MetadataFilter]) -> None:
    raises(Code.INVALID_ARGUMENT, lambda: found(svc, *bad))


def test_results_count_and_ranking(svc: RetrieverService) -> None:
    def query(count: int | None, text: str = "ocean waves two") -> list[float]:
        response = svc.query_corpus(OWNER, C, QueryCorpusRequest(query=text, results_count=count))
        return [h.chunk_relevance_score or 0.0 for h in response.relevant_chunks or []]

    scores = query(None)
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)
    assert len(query(0)) == 5 and len(query(2)) == 2 and len(query(100)) == 5
    for bad in (101, -1):
        raises(Code.INVALID_ARGUMENT, lambda bad=bad: query(bad), "results_count")
    top = svc.query_corpus(OWNER, C, QueryCorpusRequest(query="ocean waves two", results_count=1))
    hit = (top.relevant_chunks or [])[0]
    assert hit.chunk is not None and hit.chunk.name == "corpora/c/documents/a/chunks/a2"
    assert hit.document is not None and hit.document.custom_metadata == meta(
        year=2020, genre="drama", tags=["x", "y"]
    )
    raises(Code.INVALID_ARGUMENT, lambda: query(None, text=""), "query")
    raises(Code.INVALID_ARGUMENT, lambda: svc.query_corpus(OWNER, C, QueryCorpusRequest()))


def test_a_chunk_titled_with_the_query_subject_is_lifted(
    service: RetrieverService, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.create_corpus(OWNER, Corpus(name="t"))
    service.create_document(OWNER, "corpora/t", Document(name="d"))
    service.batch_create_chunks(
        OWNER,
        "corpora/t/documents/d",
        batch(
            chunk("Maintenance\n\nRun vacuum often: vacuum keeps vacuum statistics.", name="m"),
            chunk("Glossary > Vacuum\n\nReclaims storage held by dead row versions.", name="g"),
        ),
    )

    def ranked() -> list[str]:
        request = QueryCorpusRequest(query="What does vacuum mean?", results_count=2)
        hits = service.query_corpus(OWNER, "corpora/t", request).relevant_chunks or []
        return [(h.chunk.name if h.chunk else "").rsplit("/", 1)[-1] for h in hits]

    assert ranked() == ["g", "m"]
    monkeypatch.setattr("ragkit.server.title_boost.TITLE_WEIGHT", 0.0)
    assert ranked() == ["m", "g"]  # the similarity alone prefers the body that repeats the word


def test_warming_loads_every_corpus_index_before_any_query(
    open_service: Callable[..., RetrieverService], tmp_path: Path
) -> None:
    first = open_service(data_dir=tmp_path / "data")
    for corpus in ("a", "b"):
        first.create_corpus(OWNER, Corpus(name=corpus))
        first.create_document(OWNER, f"corpora/{corpus}", Document(name="d"))
        first.batch_create_chunks(
            OWNER, f"corpora/{corpus}/documents/d", batch(chunk("x", name="c"), chunk("y"))
        )
    first.create_corpus(OWNER, Corpus(name="empty"))
    first.close()
    restarted = open_service(data_dir=tmp_path / "data")
    with restarted._db.read() as conn:
        found = {name: find_corpus(conn, name) for name in ("a", "b", "empty")}
    rows = {name: record.id for name, record in found.items() if record is not None}
    assert len(rows) == 3
    assert not any(restarted._indexes.loaded(row) for row in rows.values())
    assert restarted._indexes.warm(threading.Event()) == (2, 4)  # empty corpora are skipped
    assert restarted._indexes.loaded(rows["a"]) and restarted._indexes.loaded(rows["b"])
    assert not restarted._lexical.loaded(rows["a"])  # dense ranking: no keyword index
    restarted._indexes.warm(threading.Event(), keywords=True)  # bm25 / hybrid
    assert restarted._lexical.loaded(rows["a"]) and restarted._lexical.loaded(rows["b"])
    stopped = threading.Event()
    stopped.set()
    assert open_service(data_dir=tmp_path / "other")._indexes.warm(stopped) == (0, 0)
    restarted.start_warming()  # in the background; close() waits for it
    restarted.close()


def test_bare_keys_match_chunk_or_document_metadata(svc: RetrieverService) -> None:
    # Chunk keys: n, s, l; document keys: year, genre, tags.
    assert found(svc, f("s", cond("EQUAL", "red"))) == {"a1", "b1"}
    assert found(svc, f("genre", cond("EQUAL", "drama"))) == {"a1", "a2"}
    assert found(svc, f("year", cond("LESS", 2015.0)), f("n", cond("GREATER", 2.0))) == {"b1"}
    assert found(svc, f("nobody", cond("EQUAL", "x"))) == set()
    # A key named both ways matches either level.
    both = f("s", cond("EQUAL", "red")), f("genre", cond("EQUAL", "comedy"))
    assert found(svc, *both) == {"b1"}
