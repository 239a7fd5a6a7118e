"""pgvector search ranks exactly as the in-memory index over SQLite: same ids, same order,
scores within 1e-5, with and without metadata filters, exact and through HNSW."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from pgvector.psycopg import register_vector

from ragkit.server.index import VectorIndex
from ragkit.server.pgvector_search import PgVectorSearch, hnsw_index_name
from ragkit.server.store import Database
from ragkit.server.store.chunks import candidate_ids, vector_blob
from ragkit.server.store.metadata import ConditionSpec, FilterClause, metadata_rows

ACTIVE, PENDING = 2, 1
DIMS = 32
STAMP = "2026-01-01T00:00:00Z"

# The columns the search reads, as the SQLite store lays them out.
PG_SCHEMA = """
CREATE TABLE corpora (id bigint PRIMARY KEY, chunk_count bigint NOT NULL,
    document_count bigint NOT NULL);
INSERT INTO corpora VALUES (1, 600, 6), (2, 100, 6);
CREATE TABLE chunks (
    id bigint PRIMARY KEY, corpus_id bigint NOT NULL, document_id bigint NOT NULL,
    state integer NOT NULL, vector vector);
CREATE TABLE document_metadata (corpus_id bigint, document_id bigint, key text, kind integer,
    str text, num double precision);
CREATE TABLE chunk_metadata (corpus_id bigint, chunk_id bigint, key text, kind integer,
    str text, num double precision);
"""

GENRES = ("poetry", "prose", "drama")
TAGS = ("red", "green", "blue")


def _rows(rng: np.random.Generator) -> list[dict[str, Any]]:
    rows = []
    for chunk_id in range(1, 701):
        corpus = 1 if chunk_id <= 600 else 2
        document = (chunk_id % 6) + (1 if corpus == 1 else 7)
        vector = rng.standard_normal(DIMS).astype(np.float32)
        vector /= np.linalg.norm(vector)
        meta: list[dict[str, Any]] = [{"key": "n", "numericValue": float(chunk_id % 10)}]
        if chunk_id % 4:
            tags = [TAGS[chunk_id % 3], TAGS[(chunk_id // 3) % 3]]
            meta.append({"key": "tags", "stringListValue": {"values": tags}})
        rows.append(
            {
                "id": chunk_id,
                "corpus": corpus,
                "document": document,
                "state": PENDING if chunk_id % 50 == 0 else ACTIVE,
                "vector": vector,
                "meta": meta,
            }
        )
    # Two exact duplicates: a tie must go to the smaller id on both backends.
    rows[11]["vector"] = rows[10]["vector"]
    return rows


def _document_meta(document: int) -> list[dict[str, Any]]:
    return [{"key": "genre", "stringValue": GENRES[document % 3]}]


@pytest.fixture
def stores(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Database, str, list[Any]]]:
    rows = _rows(np.random.default_rng(7))
    db = Database.open(tmp_path)
    with db.write() as conn:
        for corpus in (1, 2):
            conn.execute(
                "INSERT INTO corpora (id, name, create_time, update_time) VALUES (?, ?, ?, ?)",
                (corpus, f"c{corpus}", STAMP, STAMP),
            )
        for document in range(1, 13):
            conn.execute(
                "INSERT INTO documents (id, corpus_id, name, create_time, update_time)"
                " VALUES (?, ?, ?, ?, ?)",
                (document, 1 if document <= 6 else 2, f"d{document}", STAMP, STAMP),
            )
        for row in rows:
            conn.execute(
                "INSERT INTO chunks (id, corpus_id, document_id, name, text, state,"
                " create_time, update_time, vector) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?)",
                (
                    row["id"],
                    row["corpus"],
                    row["document"],
                    f"k{row['id']}",
                    row["state"],
                    STAMP,
                    STAMP,
                    vector_blob(row["vector"]),
                ),
            )
    with psycopg.connect(postgres_url, autocommit=True) as pg:
        pg.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(pg)
        pg.execute(PG_SCHEMA)
        with pg.cursor() as cur:
            cur.executemany(
                "INSERT INTO chunks (id, corpus_id, document_id, state, vector)"
                " VALUES (%s, %s, %s, %s, %s)",
                [(r["id"], r["corpus"], r["document"], r["state"], r["vector"]) for r in rows],
            )
    metadata = []
    for row in rows:
        for entry in metadata_rows(row["meta"]):
            metadata.append(("chunk", row["corpus"], row["id"], *entry))
    for document in range(1, 13):
        for entry in metadata_rows(_document_meta(document)):
            metadata.append(("document", 1 if document <= 6 else 2, document, *entry))
    with db.write() as conn:
        for level, corpus, owner, key, kind, text, num in metadata:
            conn.execute(
                f"INSERT INTO {level}_metadata (corpus_id, {level}_id, key, kind, str, num)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (corpus, owner, key, kind, text, num),
            )
    with psycopg.connect(postgres_url, autocommit=True) as pg, pg.cursor() as cur:
        for level in ("chunk", "document"):
            cur.executemany(
                f"INSERT INTO {level}_metadata (corpus_id, {level}_id, key, kind, str, num)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [m[1:] for m in metadata if m[0] == level],
            )
    try:
        yield db, postgres_url, rows
    finally:
        db.close()


class Qmark:
    """A psycopg connection taking the stores' ``?`` placeholders (and keeping what ran)."""

    def __init__(self, conn: psycopg.Connection[Any], log: list[Any] | None = None) -> None:
        self.raw = conn
        self.log = log

    def execute(self, sql: str, params: Any = None) -> Any:
        if self.log is not None:
            self.log.append((sql, params))
        return self.raw.execute(sql.replace("?", "%s"), params)


def _searcher(uri: str, threshold: int, log: list[Any] | None = None) -> PgVectorSearch:
    @contextmanager
    def read() -> Iterator[Qmark]:
        with psycopg.connect(uri) as conn, conn.transaction():
            yield Qmark(conn, log)

    @contextmanager
    def admin() -> Iterator[Qmark]:
        with psycopg.connect(uri, autocommit=True) as conn:
            yield Qmark(conn)

    return PgVectorSearch(read, admin, active_state=ACTIVE, threshold=threshold)


def _memory(
    db: Database, rows: list[Any], corpus: int, document: int | None, clauses: list[FilterClause]
) -> tuple[VectorIndex, Any]:
    index = VectorIndex(DIMS)
    live = [r for r in rows if r["corpus"] == corpus and r["state"] == ACTIVE]
    index.add([r["id"] for r in live], np.stack([r["vector"] for r in live]))
    allowed = None
    if clauses or document is not None:
        with db.read() as conn:
            allowed = candidate_ids(
                conn, corpus, state=ACTIVE, document_id=document, clauses=clauses
            )
    return index, allowed


FILTERS: list[tuple[int | None, list[FilterClause]]] = [
    (None, []),
    (3, []),
    (None, [FilterClause("chunk", "n", (ConditionSpec(">=", 3.0), ConditionSpec("=", 0.0)))]),
    (None, [FilterClause("chunk", "n", (ConditionSpec("<", 7.0),)),
            FilterClause("chunk", "n", (ConditionSpec(">", 2.0),))]),
    (None, [FilterClause("document", "genre", (ConditionSpec("=", "prose"),))]),
    (None, [FilterClause("document", "genre", (ConditionSpec("!=", "prose"),))]),
    (None, [FilterClause("chunk", "tags", (ConditionSpec("includes", "red"),))]),
    (None, [FilterClause("chunk", "tags", (ConditionSpec("excludes", "red"),))]),
    (None, [FilterClause("either", "genre", (ConditionSpec("=", "drama"),)),
            FilterClause("either", "n", (ConditionSpec("!=", 4.0),))]),
    (2, [FilterClause("chunk", "n", (ConditionSpec("=", "4"),))]),  # wrong type: nothing
]  # fmt: skip


def test_exact_search_matches_memory_with_every_filter(stores: Any) -> None:
    db, uri, rows = stores
    search = _searcher(uri, threshold=0)
    rng = np.random.default_rng(3)
    queries = [rows[10]["vector"], *rng.standard_normal((4, DIMS)).astype(np.float32)]
    for document, clauses in FILTERS:
        index, allowed = _memory(db, rows, 1, document, clauses)
        for query in queries:
            expected = index.search(query, 25, allowed=allowed)
            got = search.search(1, query, 25, document_id=document, clauses=clauses)
            assert [i for i, _ in got] == [i for i, _ in expected], (document, clauses)
            assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)
    # The tie (rows 11 and 12 share a vector) goes to the smaller id on both sides.
    top = search.search(1, rows[10]["vector"], 2)
    assert [i for i, _ in top] == [11, 12]


def test_hnsw_index_serves_large_corpora_and_filters_still_fill_results(stores: Any) -> None:
    db, uri, rows = stores
    search = _searcher(uri, threshold=100)
    assert search.build_index(1, DIMS) is True
    assert search.build_index(1, DIMS) is False  # already there: built exactly once
    with psycopg.connect(uri) as conn:
        assert search.index_ready(Qmark(conn), 1, DIMS)
        plan = conn.execute(
            "EXPLAIN SELECT id FROM chunks c WHERE c.corpus_id = 1 AND c.state = 2"
            f" AND vector_dims(c.vector) = {DIMS}"
            f" ORDER BY c.vector::vector({DIMS}) <#> %s::vector({DIMS}) LIMIT 5",
            ("[" + ",".join(["0.1"] * DIMS) + "]",),
        ).fetchall()
    assert hnsw_index_name(1, DIMS) in " ".join(line for (line,) in plan)
    index, _ = _memory(db, rows, 1, None, [])
    rng = np.random.default_rng(5)
    recall = []
    for query in rng.standard_normal((20, DIMS)).astype(np.float32):
        expected = [i for i, _ in index.search(query, 10)]
        got = search.search(1, query, 10)
        assert len(got) == 10
        recall.append(len(set(expected) & {i for i, _ in got}) / 10)
    assert np.mean(recall) >= 0.95
    # A filter passing about 60% of the corpus goes through the graph with an iterative
    # scan and still returns the full count, every hit passing.
    wide = [FilterClause("chunk", "n", (ConditionSpec(">=", 4.0),))]
    passing = {r["id"] for r in rows if r["id"] % 10 >= 4}
    hits = search.search(1, rng.standard_normal(DIMS).astype(np.float32), 50, clauses=wide)
    assert len(hits) == 50 and {i for i, _ in hits} <= passing


def test_filter_values_are_parameters_not_sql(stores: Any) -> None:
    _, uri, rows = stores
    search = _searcher(uri, threshold=0)
    key = "genre'; DROP TABLE chunks; --"
    hostile = [FilterClause("document", key, (ConditionSpec("=", "x'"),))]
    assert search.search(1, rows[0]["vector"], 5, clauses=hostile) == []
    assert len(search.search(1, rows[0]["vector"], 5)) == 5


def test_filtered_hnsw_checks_rows_during_the_walk_and_still_fills_results(stores: Any) -> None:
    db, uri, rows = stores
    log: list[Any] = []
    search = _searcher(uri, threshold=100, log=log)
    search.build_index(1, DIMS)
    rng = np.random.default_rng(11)
    for document, clauses in FILTERS:
        _, allowed = _memory(db, rows, 1, document, clauses)
        passing = len(allowed) if allowed is not None else 588
        for query in rng.standard_normal((2, DIMS)).astype(np.float32):
            hits = search.search(1, query, 25, document_id=document, clauses=clauses)
            # As many hits as pass, up to k, each one passing (wide filters walk the
            # graph, narrow ones go exact; either way the count is met).
            assert len(hits) == min(25, passing), (document, clauses)
            if allowed is not None:
                assert {i for i, _ in hits} <= set(allowed.tolist())
    # k beyond what passes: the walk runs out, the exact search returns every passing row.
    wide = [FilterClause("chunk", "n", (ConditionSpec(">=", 4.0),))]
    _, allowed = _memory(db, rows, 1, None, wide)
    hits = search.search(1, rows[0]["vector"], 500, clauses=wide)
    assert sorted(i for i, _ in hits) == sorted(allowed.tolist())
    # A wide filter (60%) walks the index checking each row's metadata as it goes; no
    # set of the passing ids is built (a hashed subplan) and no passing row is counted.
    log.clear()
    search.search(1, rows[0]["vector"], 10, clauses=wide)
    walks = [(sql, params) for sql, params in log if "WITH hits" in sql]
    assert len(walks) == 1
    assert not any("count(*) FROM (SELECT 1 FROM chunks c" in sql for sql, _ in log)
    sql, params = walks[0]
    with psycopg.connect(uri) as conn, conn.transaction():
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        plan = " ".join(
            line for (line,) in conn.execute("EXPLAIN " + sql.replace("?", "%s"), params)
        )
    assert hnsw_index_name(1, DIMS) in plan
    assert "hashed SubPlan" not in plan and "Join" not in plan
    # A narrow filter (a tenth of one document of six: 20 rows) is searched exactly.
    log.clear()
    narrow = [FilterClause("chunk", "n", (ConditionSpec("=", 2.0),))]
    assert len(search.search(1, rows[0]["vector"], 10, document_id=3, clauses=narrow)) == 10
    assert not any("WITH hits" in sql for sql, _ in log)


def test_an_exact_search_with_a_wide_filter_hashes_the_passing_ids(stores: Any) -> None:
    """PostgreSQL hashes a filter's passing ids only if the set fits in work_mem; past
    that it rescans the set for every row (a 50% filter at 1M chunks ran for half an
    hour). The exact search sizes work_mem to the corpus so the set is always hashed."""
    _, uri, _ = stores
    rows = 20_000
    with psycopg.connect(uri, autocommit=True) as pg:
        pg.execute("INSERT INTO corpora VALUES (3, %s, 1)", (rows,))
        pg.execute(
            "INSERT INTO chunks (id, corpus_id, document_id, state, vector)"
            " SELECT 10000 + g, 3, 99, %s, ('[' || array_to_string(array_fill(g %% 7, ARRAY[%s]),"
            " ',') || ']')::vector FROM generate_series(1, %s) AS g",
            (ACTIVE, DIMS, rows),
        )
        pg.execute(
            "INSERT INTO chunk_metadata (corpus_id, chunk_id, key, kind, num)"
            " SELECT 3, 10000 + g, 'half', 3, g %% 2 FROM generate_series(1, %s) AS g",
            (rows,),
        )
        pg.execute("ANALYZE chunks; ANALYZE chunk_metadata")
    log: list[Any] = []

    # The server's work_mem at its minimum: 20,000 chunks are then as far past it as
    # 1M chunks are past the default 4 MB.
    @contextmanager
    def read() -> Iterator[Qmark]:
        with psycopg.connect(uri) as conn, conn.transaction():
            conn.execute("SET LOCAL work_mem = '64kB'")
            yield Qmark(conn, log)

    search = PgVectorSearch(read, read, active_state=ACTIVE, threshold=0)
    half = [FilterClause("chunk", "half", (ConditionSpec("=", 1.0),))]
    query = np.ones(DIMS, dtype=np.float32)
    assert len(search.search(3, query, 10, clauses=half)) == 10
    (exact_sql, params) = next((sql, p) for sql, p in log if "ORDER BY c.vector" in sql)
    raised = [sql for sql, _ in log if sql.startswith("SET LOCAL work_mem")]
    assert raised, "the search did not size work_mem for the filter"

    def plan(*settings: str) -> str:
        with psycopg.connect(uri) as conn, conn.transaction():
            for setting in settings:
                conn.execute(setting)
            return " ".join(
                line for (line,) in conn.execute("EXPLAIN " + exact_sql.replace("?", "%s"), params)
            )

    # The smallest work_mem cannot hold 10,000 ids: the plan rescans them per row...
    assert "hashed SubPlan" not in plan("SET LOCAL work_mem = '64kB'")
    # ...and with the search's own setting the set is hashed, whatever the server's is.
    assert "hashed SubPlan" in plan("SET LOCAL work_mem = '64kB'", raised[0])
