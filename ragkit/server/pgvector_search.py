"""Vector search inside PostgreSQL with pgvector: exact below a threshold, HNSW above it.

The chunk's embedding is stored as little-endian ``float32`` bytes (``chunks.vector``,
the same bytes as in SQLite); :data:`EMBEDDING_SCHEMA` adds a generated column
``chunks.embedding vector`` decoded from them bit for bit by :sql:`ragkit_f4_vector`, so
every write path that stores the bytes keeps the searchable vector in step, and a
migrated SQLite store needs no re-embedding.

Scores are inner products (``-(embedding <#> query)``), as the in-memory
:class:`~ragkit.server.index.VectorIndex` ranks: for the normalised vectors the embedders
produce this is cosine similarity, and it matches the in-memory scores to ~1e-7 (both
sum ``float32`` products; only the summation order differs). Ties go to the smaller row
id, as in memory.

Which search a query gets (:meth:`PgVectorSearch.search`):

- a corpus holding fewer than ``threshold`` ACTIVE chunks (default
  :data:`~ragkit.server.tiered_index.DEFAULT_ANN_THRESHOLD`, the in-memory tier's), or a
  filter leaving fewer than ``threshold`` rows or under a quarter of the corpus: exact
  search, ``ORDER BY embedding <#> q`` over the rows that pass;
- otherwise, once the corpus's HNSW index exists: the index, with pgvector's iterative
  scan (``hnsw.iterative_scan = relaxed_order``) so a filtered query keeps walking the
  graph until ``k`` rows pass, re-sorted exactly by score. ``hnsw.ef_search`` is
  :data:`DEFAULT_EF_SEARCH` (recall@10 against exact: ``bench/bench_pg.py``).

The HNSW index is one partial expression index per corpus and dimension
(``chunks_hnsw_<corpus>_<dims>``, ``USING hnsw ((embedding::vector(dims)) vector_ip_ops)
WHERE corpus_id = <corpus> AND state = <ACTIVE>``), built with ``CREATE INDEX
CONCURRENTLY`` by :meth:`PgVectorSearch.build_index` under a session advisory lock, so of
any number of replicas exactly one builds it while the others (and writes) carry on;
until it is valid every query is exact.

Metadata filters (:class:`~ragkit.server.store.metadata.FilterClause`) become SQL
predicates (:func:`filter_sql`) with the semantics of
:func:`~ragkit.server.store.chunks.candidate_ids`: conditions ORed within a clause,
clauses ANDed, a condition only matching metadata of its own type.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ragkit.server.store.metadata import ConditionSpec, FilterClause
from ragkit.server.tiered_index import DEFAULT_ANN_THRESHOLD

__all__ = [
    "DEFAULT_EF_SEARCH",
    "EMBEDDING_SCHEMA",
    "PgVectorSearch",
    "filter_sql",
    "hnsw_index_name",
    "vector_literal",
]

#: ``hnsw.ef_search`` for every HNSW query: recall@10 >= 0.98 against exact search on
#: clustered 384-d vectors at 100,000 chunks (bench/RESULTS.md, "PostgreSQL").
DEFAULT_EF_SEARCH = 100
#: Graph parameters of the per-corpus HNSW indexes (pgvector's defaults).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
# Filters keeping less than this share of the corpus are searched exactly (as in memory:
# a selective filter scans few rows, and the graph walk would mostly skip).
_EXACT_FILTER_SHARE = 0.25
_STRING, _LIST, _NUMBER = 1, 2, 3

#: pgvector, the decoder from stored ``float32`` bytes and the generated column. The
#: decoder rebuilds each IEEE-754 single exactly in ``float8`` arithmetic (normal and
#: subnormal numbers; NaN and infinities are never stored: embeddings are checked finite).
EMBEDDING_SCHEMA = r"""
CREATE EXTENSION IF NOT EXISTS vector;
CREATE OR REPLACE FUNCTION ragkit_f4_vector(b bytea) RETURNS vector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_agg(
    CASE WHEN e = 0 THEN m * 2.0::float8 ^ (-149)
         ELSE (8388608 + m) * 2.0::float8 ^ (e - 150) END * (1 - 2 * s)
    ORDER BY i)::real[]::vector
  FROM (
    SELECT i, (bits >> 31) & 1 AS s, (bits >> 23) & 255 AS e, bits & 8388607 AS m
    FROM (
      SELECT i, get_byte(b, 4 * i) | (get_byte(b, 4 * i + 1) << 8)
             | (get_byte(b, 4 * i + 2) << 16) | (get_byte(b, 4 * i + 3)::bigint << 24) AS bits
      FROM generate_series(0, length(b) / 4 - 1) AS i
    ) AS words
  ) AS fields
$$;
ALTER TABLE chunks ADD COLUMN IF NOT EXISTS embedding vector
  GENERATED ALWAYS AS (ragkit_f4_vector(vector)) STORED;
"""


class Cursorish(Protocol):
    """What the search needs of a database connection (a ``psycopg.Connection``)."""

    def execute(self, query: Any, params: Any = ..., /) -> Any: ...


#: Opens a read transaction and yields its connection.
Connect = Callable[[], AbstractContextManager[Any]]


def vector_literal(vector: npt.NDArray[np.floating[Any]]) -> str:
    """pgvector's text form of a ``float32`` vector (shortest round-trip digits: exact)."""
    values = np.asarray(vector, dtype=np.float32).reshape(-1)
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def hnsw_index_name(corpus_id: int, dimensions: int) -> str:
    """The name of a corpus's HNSW index over ``dimensions``-long embeddings."""
    return f"chunks_hnsw_{int(corpus_id)}_{int(dimensions)}"


def _condition_sql(
    table: str, owner: str, key: str, condition: ConditionSpec
) -> tuple[str, list[Any]]:
    scope = f"SELECT {owner} FROM {table} WHERE corpus_id = %(corpus)s AND key = %s AND kind = %s"
    op, value = condition.op, condition.value
    if op == "includes":
        return f"{scope} AND str = %s", [key, _LIST, value]
    if op == "excludes":
        return (
            f"{scope} AND str IS NULL EXCEPT {scope} AND str = %s",
            [key, _LIST, key, _LIST, value],
        )
    if isinstance(value, str):
        return f"{scope} AND str {op} %s", [key, _STRING, value]
    return f"{scope} AND num {op} %s", [key, _NUMBER, float(value)]


def _owners_sql(level: str, clause: FilterClause) -> tuple[str, list[Any]]:
    table, owner = (
        ("chunk_metadata", "chunk_id") if level == "chunk" else ("document_metadata", "document_id")
    )
    parts = [_condition_sql(table, owner, clause.key, c) for c in clause.conditions]
    sql = " UNION ".join(f"({part})" for part, _ in parts)
    return sql, [p for _, params in parts for p in params]


def filter_sql(
    clauses: Sequence[FilterClause], *, document_id: int | None = None, alias: str = "c"
) -> tuple[str, list[Any]]:
    """SQL predicates (ANDed, each starting with `` AND ``) restricting chunks ``alias`` to
    those matching every clause (and in ``document_id``, if given), with their positional
    parameters. The text uses ``%(corpus)s`` for the corpus row id; callers pass it by
    name, so the same SQL serves every corpus.
    """
    sql: list[str] = []
    params: list[Any] = []
    if document_id is not None:
        sql.append(f" AND {alias}.document_id = %s")
        params.append(int(document_id))
    for clause in clauses:
        if clause.level == "chunk":
            owners, values = _owners_sql("chunk", clause)
            sql.append(f" AND {alias}.id IN ({owners})")
            params.extend(values)
        elif clause.level == "document":
            owners, values = _owners_sql("document", clause)
            sql.append(f" AND {alias}.document_id IN ({owners})")
            params.extend(values)
        else:
            own, own_values = _owners_sql("chunk", clause)
            docs, doc_values = _owners_sql("document", clause)
            sql.append(f" AND ({alias}.id IN ({own}) OR {alias}.document_id IN ({docs}))")
            params.extend([*own_values, *doc_values])
    return "".join(sql), params


def _named(sql: str, params: list[Any], corpus_id: int) -> tuple[str, dict[str, Any]]:
    """Turn positional ``%s`` into named ``%(pN)s`` so they mix with ``%(corpus)s``."""
    pieces = sql.split("%s")
    named = pieces[0] + "".join(f"%(p{i})s{rest}" for i, rest in enumerate(pieces[1:]))
    values: dict[str, Any] = {f"p{i}": value for i, value in enumerate(params)}
    values["corpus"] = int(corpus_id)
    return named, values


class PgVectorSearch:
    """Top-k inner-product search over a corpus's ACTIVE chunks in PostgreSQL.

    Args:
        connect: opens a read transaction (the backend's ``Database.read``) and yields a
            psycopg connection.
        admin: opens an autocommit connection for ``CREATE INDEX CONCURRENTLY`` (which
            cannot run inside a transaction).
        active_state: the ``chunks.state`` value of ACTIVE chunks.
        threshold: corpora with this many ACTIVE chunks or more are searched through an
            HNSW index (``0``: always exact).
        ef_search: ``hnsw.ef_search`` for HNSW queries.
    """

    def __init__(
        self,
        connect: Connect,
        admin: Connect,
        *,
        active_state: int,
        threshold: int = DEFAULT_ANN_THRESHOLD,
        ef_search: int = DEFAULT_EF_SEARCH,
    ) -> None:
        self._connect = connect
        self._admin = admin
        self._active = active_state
        self.threshold = threshold
        self.ef_search = ef_search
        self._building: set[str] = set()
        self._lock = threading.Lock()

    def search(
        self,
        corpus_id: int,
        query: npt.NDArray[np.floating[Any]],
        k: int,
        *,
        document_id: int | None = None,
        clauses: Sequence[FilterClause] = (),
        restrict: Sequence[int] | None = None,
    ) -> list[tuple[int, float]]:
        """The best ``k`` ``(chunk row id, inner product)`` pairs, best first, ties broken
        by the smaller id; only chunks passing ``clauses``, ``document_id`` and (when
        given) among the ``restrict`` ids are ranked."""
        if k <= 0:
            return []
        dims = int(np.asarray(query).size)
        where, positional = filter_sql(clauses, document_id=document_id)
        if restrict is not None:
            where += " AND c.id = ANY(%s)"
            positional.append([int(i) for i in restrict])
        where, params = _named(where, positional, corpus_id)
        params.update(q=vector_literal(query), k=int(k), state=self._active, dims=dims)
        with self._connect() as conn:
            use_index = self._use_index(conn, corpus_id, dims, where, params, restrict)
            expr = f"c.embedding::vector({dims})" if use_index else "c.embedding"
            scope = (
                f"c.corpus_id = {int(corpus_id)} AND c.state = {int(self._active)}"
                f" AND vector_dims(c.embedding) = {dims}{where}"
            )
            if use_index:
                conn.execute(f"SET LOCAL hnsw.ef_search = {int(self.ef_search)}")
                conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                # relaxed_order may hand rows back slightly out of order: re-sort exactly.
                sql = (
                    "WITH hits AS MATERIALIZED ("
                    f" SELECT c.id, {expr} <#> %(q)s::vector({dims}) AS distance FROM chunks c"
                    f" WHERE {scope} ORDER BY distance LIMIT %(k)s)"
                    " SELECT id, -distance FROM hits ORDER BY distance, id"
                )
            else:
                sql = (
                    f"SELECT c.id, -({expr} <#> %(q)s::vector) AS score FROM chunks c"
                    f" WHERE {scope} ORDER BY {expr} <#> %(q)s::vector, c.id LIMIT %(k)s"
                )
            rows = conn.execute(sql, params).fetchall()
        return [(int(chunk_id), float(score)) for chunk_id, score in rows]

    def _use_index(
        self,
        conn: Cursorish,
        corpus_id: int,
        dims: int,
        where: str,
        params: dict[str, Any],
        restrict: Sequence[int] | None,
    ) -> bool:
        """Whether this query goes through the corpus's HNSW index (see the module doc)."""
        if self.threshold <= 0 or (restrict is not None and len(restrict) < self.threshold):
            return False
        (total,) = conn.execute(
            "SELECT count(*) FROM chunks WHERE corpus_id = %s AND state = %s",
            (int(corpus_id), self._active),
        ).fetchone()
        if total < self.threshold:
            return False
        if not self.index_ready(conn, corpus_id, dims):
            self._build_in_background(corpus_id, dims)
            return False
        if not where:
            return True
        (passing,) = conn.execute(
            f"SELECT count(*) FROM chunks c WHERE c.corpus_id = %(corpus)s"
            f" AND c.state = %(state)s{where}",
            params,
        ).fetchone()
        return bool(passing >= self.threshold and passing >= _EXACT_FILTER_SHARE * total)

    def index_ready(self, conn: Cursorish, corpus_id: int, dims: int) -> bool:
        """Whether the corpus's HNSW index exists and is valid (a ``CONCURRENTLY`` build
        that failed leaves an invalid one behind, which the next build replaces)."""
        row = conn.execute(
            "SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid"
            " WHERE c.relname = %s",
            (hnsw_index_name(corpus_id, dims),),
        ).fetchone()
        return bool(row and row[0])

    def _build_in_background(self, corpus_id: int, dims: int) -> None:
        name = hnsw_index_name(corpus_id, dims)
        with self._lock:
            if name in self._building:
                return
            self._building.add(name)

        def build() -> None:
            try:
                self.build_index(corpus_id, dims)
            finally:
                with self._lock:
                    self._building.discard(name)

        threading.Thread(target=build, name=f"ragkit-{name}", daemon=True).start()

    def build_index(self, corpus_id: int, dims: int) -> bool:
        """Build the corpus's HNSW index unless it exists, holding a session advisory lock
        so that one replica builds it while the others skip; returns whether this call
        built it. Writes and queries go on meanwhile (``CONCURRENTLY``)."""
        name = hnsw_index_name(corpus_id, dims)
        with self._admin() as conn:
            (locked,) = conn.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s))", ("ragkit:" + name,)
            ).fetchone()
            if not locked:
                return False
            try:
                if self.index_ready(conn, corpus_id, dims):
                    return False
                conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
                conn.execute(
                    f"CREATE INDEX CONCURRENTLY {name} ON chunks USING hnsw"
                    f" ((embedding::vector({int(dims)})) vector_ip_ops)"
                    f" WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
                    f" WHERE corpus_id = {int(corpus_id)} AND state = {int(self._active)}"
                    f" AND vector_dims(embedding) = {int(dims)}"
                )
                return True
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", ("ragkit:" + name,))
