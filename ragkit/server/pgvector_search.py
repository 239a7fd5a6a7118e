"""Vector search inside PostgreSQL with pgvector: exact below a threshold, HNSW above it.

On PostgreSQL the chunk's embedding is a pgvector ``vector`` column (``chunks.vector``,
without a fixed dimension, so an embedder switch can change it). Scores are inner
products (``-(vector <#> query)``), as the in-memory
:class:`~ragkit.server.index.VectorIndex` ranks: for the normalised vectors the embedders
produce this is cosine similarity, and it matches the in-memory scores to ~1e-7 (both
sum ``float32`` products; only the summation order differs). Ties go to the smaller row
id, as in memory.

Which search a query gets (:meth:`PgVectorSearch.search`):

- a corpus holding fewer than ``threshold`` ACTIVE chunks (default
  :data:`~ragkit.server.tiered_index.DEFAULT_ANN_THRESHOLD`, the in-memory tier's), or
  whose HNSW index is not built yet: exact search, ``ORDER BY vector <#> q`` over the
  rows that pass;
- otherwise, without a filter: the HNSW index, ``hnsw.ef_search`` =
  :data:`DEFAULT_EF_SEARCH` (recall@10 against exact: ``bench/bench_pg.py``);
- with a filter estimated to keep at least 5% of the corpus (each clause's matching
  metadata rows counted up to what that needs, in the metadata indexes): the index, with
  pgvector's iterative scan (``hnsw.iterative_scan = relaxed_order``) checking each row
  it hands over against the filter (:func:`row_filter_sql`: one probe of the metadata
  owner index per row) and walking on until ``k`` rows pass, re-sorted exactly. If fewer
  than ``k`` pass within the walk's budget, the exact search answers instead, so a query
  returns ``resultsCount`` hits whenever that many rows pass;
- with a narrower filter: exact search driven by the metadata indexes.

The HNSW index is one partial expression index per corpus and dimension
(``chunks_hnsw_<corpus>_<dims>``, ``USING hnsw ((vector::vector(dims)) vector_ip_ops)
WHERE corpus_id = <corpus> AND state = <ACTIVE> AND vector_dims(vector) = <dims>``),
built with ``CREATE INDEX CONCURRENTLY`` by :meth:`PgVectorSearch.build_index` under a
session advisory lock, so of any number of replicas exactly one builds it while the
others (and writes) carry on; until it is valid every query is exact.

Metadata filters (:class:`~ragkit.server.store.metadata.FilterClause`) become SQL
predicates (:func:`filter_sql`) with the semantics of
:func:`~ragkit.server.store.chunks.candidate_ids`: conditions ORed within a clause,
clauses ANDed, a condition only matching metadata of its own type. The SQL uses ``?``
placeholders, as every store does (:mod:`ragkit.server.store.dialect`).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ragkit.server.store.metadata import ConditionSpec, FilterClause
from ragkit.server.tiered_index import DEFAULT_ANN_THRESHOLD

__all__ = [
    "DEFAULT_EF_SEARCH",
    "PgVectorSearch",
    "filter_sql",
    "hnsw_index_name",
    "row_filter_sql",
    "vector_literal",
]

logger = logging.getLogger("ragkit.server")

#: ``hnsw.ef_search`` for every HNSW query: recall@10 1.000 against exact search on
#: clustered 384-d vectors at 100,000 and at 1,000,000 chunks (100 queries; 0.988 at 100 at
#: 1M), 107x faster than exact at 1M (bench/RESULTS.md, "PostgreSQL at 1M"). The margin
#: is for larger corpora and harder sets, whose recall at a given ``ef_search`` is lower.
DEFAULT_EF_SEARCH = 400
#: Graph parameters of the per-corpus HNSW indexes. pgvector's defaults (16, 64) reached
#: only 0.92 recall@10 at ef_search 200 on a set of tightly packed clusters, and (32, 80)
#: 0.976-0.980 at 400 there: the graph, not the search, was the limit.
#: ``ef_construction = 160`` costs about 1.5x the build time of 80.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 160
# Filters keeping less than this share of the corpus are searched exactly: the walk
# would visit about k / share rows (and probe the metadata of each) before k pass, where
# the exact search reads only the passing rows through the metadata indexes.
_INDEX_FILTER_SHARE = 0.05
# An exact search with a wide filter checks each row against a hashed set of the passing
# ids; PostgreSQL hashes that set only if it fits in work_mem (times hash_mem_multiplier),
# and otherwise rescans the whole set for every row: at 1M chunks with a 50% filter one
# query ran for over 30 minutes on the default 4 MB. So the query's work_mem is raised to
# hold a set of every chunk in the corpus (about this many bytes per id), up to the cap.
_HASHED_ID_BYTES = 64
_MAX_FILTER_WORK_MEM = 256 << 20
# An HNSW build runs many times faster when the whole graph fits in
# maintenance_work_mem (pgvector otherwise falls back to inserting on disk): the build
# gets about this much per chunk beyond its vector, up to the cap. Operators' own higher
# settings are kept.
_GRAPH_BYTES_PER_ROW = HNSW_M * 2 * 8 + 128
_MAX_BUILD_MEMORY = 4 << 30
_STRING, _LIST, _NUMBER = 1, 2, 3


class Cursorish(Protocol):
    """What the search needs of a connection (:class:`~ragkit.server.store.dialect.Connection`)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


def _stored_counts(conn: Cursorish, corpus_id: int) -> tuple[int, int]:
    """The corpus's stored chunk and document counts (every state; none for a deleted
    corpus): cheap, for choices that need no exact figure."""
    row = conn.execute(
        "SELECT chunk_count, document_count FROM corpora WHERE id = ?", (int(corpus_id),)
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _raise_setting(
    conn: Cursorish, setting: str, rows: int, bytes_per_row: int, cap: int, *, local: bool
) -> None:
    """Raise ``setting`` (a memory size) to ``bytes_per_row`` for each of ``rows`` (the
    corpus's chunk count), at most ``cap``, for the current transaction (``local``) or
    the session (an autocommit connection, where ``SET LOCAL`` would do nothing); never
    lowers it."""
    (current,) = conn.execute(f"SELECT pg_size_bytes(current_setting('{setting}'))").fetchone()
    wanted = min(rows * bytes_per_row, cap)
    if wanted > int(current):
        scope = "LOCAL " if local else ""
        conn.execute(f"SET {scope}{setting} = '{wanted >> 10}kB'")


#: Opens a transaction and yields its connection (``?`` placeholders).
Connect = Callable[[], AbstractContextManager[Any]]


def vector_literal(vector: npt.NDArray[np.floating[Any]]) -> str:
    """pgvector's text form of a ``float32`` vector (shortest round-trip digits: exact)."""
    values = np.asarray(vector, dtype=np.float32).reshape(-1)
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def hnsw_index_name(corpus_id: int, dimensions: int) -> str:
    """The name of a corpus's HNSW index over ``dimensions``-long embeddings."""
    return f"chunks_hnsw_{int(corpus_id)}_{int(dimensions)}"


def _condition_sql(
    table: str,
    owner: str,
    corpus_id: int,
    key: str,
    condition: ConditionSpec,
    *,
    estimate: bool = False,
) -> tuple[str, list[Any]]:
    scope = (
        f"SELECT {owner} FROM {table} WHERE corpus_id = {int(corpus_id)} AND key = ? AND kind = ?"
    )
    op, value = condition.op, condition.value
    if op == "includes":
        return f"{scope} AND str = ?", [key, _LIST, value]
    if op == "excludes" and estimate:  # the owners of the list: an upper bound
        return f"{scope} AND str IS NULL", [key, _LIST]
    if op == "excludes":
        return (
            f"{scope} AND str IS NULL EXCEPT {scope} AND str = ?",
            [key, _LIST, key, _LIST, value],
        )
    if isinstance(value, str):
        return f"{scope} AND str {op} ?", [key, _STRING, value]
    return f"{scope} AND num {op} ?", [key, _NUMBER, float(value)]


def _owners_sql(
    level: str, corpus_id: int, clause: FilterClause, *, estimate: bool = False
) -> tuple[str, list[Any]]:
    """The ids of the chunks or documents (per ``level``) matching ``clause``; with
    ``estimate``, a superset that streams (``UNION ALL``, lists' owners for ``excludes``),
    to be counted up to a cap."""
    table, owner = (
        ("chunk_metadata", "chunk_id") if level == "chunk" else ("document_metadata", "document_id")
    )
    parts = [
        _condition_sql(table, owner, corpus_id, clause.key, c, estimate=estimate)
        for c in clause.conditions
    ]
    sql = (" UNION ALL " if estimate else " UNION ").join(f"({part})" for part, _ in parts)
    return sql, [p for _, params in parts for p in params]


def filter_sql(
    corpus_id: int,
    clauses: Sequence[FilterClause],
    *,
    document_id: int | None = None,
    alias: str = "c",
    join: bool = False,
) -> tuple[str, list[Any]]:
    """SQL predicates (ANDed, each starting with `` AND ``) restricting the chunks
    ``alias`` of corpus ``corpus_id`` to those matching every clause (and in
    ``document_id``, if given), with their ``?`` parameters in order: the forms for an
    exact search over the passing rows (:func:`row_filter_sql` is the HNSW walk's).

    By default each predicate is wrapped in ``coalesce(..., false)`` so the planner keeps
    it as a per-row check against a hashed set of the passing ids: right for a wide
    filter, whose rows are best read through the corpus index. With ``join``, a plain
    ``IN``, which the planner may drive from the metadata indexes: right for a narrow
    filter (a 2% filter at 100,000 chunks: 44 ms, against 1.3 s for a 50% one)."""
    sql: list[str] = []
    params: list[Any] = []
    if document_id is not None:
        sql.append(f" AND {alias}.document_id = {int(document_id)}")
    for clause in clauses:
        if clause.level == "chunk":
            owners, values = _owners_sql("chunk", corpus_id, clause)
            test = f"{alias}.id IN ({owners})"
        elif clause.level == "document":
            owners, values = _owners_sql("document", corpus_id, clause)
            test = f"{alias}.document_id IN ({owners})"
        else:
            own, own_values = _owners_sql("chunk", corpus_id, clause)
            docs, doc_values = _owners_sql("document", corpus_id, clause)
            test = f"{alias}.id IN ({own}) OR {alias}.document_id IN ({docs})"
            values = [*own_values, *doc_values]
        sql.append(f" AND ({test})" if join else f" AND coalesce({test}, false)")
        params.extend(values)
    return "".join(sql), params


def _row_condition_sql(
    table: str, owner_column: str, owner: str, key: str, condition: ConditionSpec
) -> tuple[str, list[Any]]:
    def found(test: str) -> str:
        # A scalar subquery with LIMIT 1: never hashed nor turned into a join, so it is
        # one probe of the owner index per row the HNSW walk hands over.
        return (
            f"(SELECT true FROM {table} m WHERE m.{owner_column} = {owner}"
            f" AND m.key = ? AND m.kind = ? AND {test} LIMIT 1)"
        )

    op, value = condition.op, condition.value
    if op == "includes":
        return f"{found('m.str = ?')} IS NOT NULL", [key, _LIST, value]
    if op == "excludes":
        return (
            f"({found('m.str IS NULL')} IS NOT NULL AND {found('m.str = ?')} IS NULL)",
            [key, _LIST, key, _LIST, value],
        )
    if isinstance(value, str):
        return f"{found(f'm.str {op} ?')} IS NOT NULL", [key, _STRING, value]
    return f"{found(f'm.num {op} ?')} IS NOT NULL", [key, _NUMBER, float(value)]


def _row_clause_sql(level: str, alias: str, clause: FilterClause) -> tuple[str, list[Any]]:
    table, owner_column, owner = (
        ("chunk_metadata", "chunk_id", f"{alias}.id")
        if level == "chunk"
        else ("document_metadata", "document_id", f"{alias}.document_id")
    )
    parts = [
        _row_condition_sql(table, owner_column, owner, clause.key, c) for c in clause.conditions
    ]
    return " OR ".join(part for part, _ in parts), [p for _, params in parts for p in params]


def row_filter_sql(
    clauses: Sequence[FilterClause], *, document_id: int | None = None, alias: str = "c"
) -> tuple[str, list[Any]]:
    """The predicates of :func:`filter_sql` evaluated row by row: each condition is a
    probe of the metadata table's owner index for the row at hand.

    This is the form for an HNSW index scan: pgvector's iterative scan checks each row it
    hands over and stops once ``k`` pass, so a wide filter costs a few probes per hit
    instead of materialising every passing id first (a hashed set of 50,000 ids took
    ~110 ms at 100,000 chunks, where the unfiltered walk takes ~15 ms)."""
    sql: list[str] = []
    params: list[Any] = []
    if document_id is not None:
        sql.append(f" AND {alias}.document_id = {int(document_id)}")
    for clause in clauses:
        levels = ("chunk", "document") if clause.level == "either" else (clause.level,)
        parts = [_row_clause_sql(level, alias, clause) for level in levels]
        sql.append(" AND (" + " OR ".join(part for part, _ in parts) + ")")
        params.extend(p for _, values in parts for p in values)
    return "".join(sql), params


class PgVectorSearch:
    """Top-k inner-product search over a corpus's ACTIVE chunks in PostgreSQL.

    Args:
        connect: opens a read transaction (the backend's ``Database.read``) and yields its
            connection.
        admin: opens an autocommit connection on the same schema, for ``CREATE INDEX
            CONCURRENTLY`` (which cannot run inside a transaction).
        active_state: the ``chunks.state`` value of ACTIVE chunks.
        threshold: corpora with this many chunks or more are searched through an HNSW
            index (``0``: always exact).
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
        self._builders: list[threading.Thread] = []

    def search(
        self,
        corpus_id: int,
        query: npt.NDArray[np.floating[Any]],
        k: int,
        *,
        document_id: int | None = None,
        clauses: Sequence[FilterClause] = (),
        restrict: Sequence[int] | None = None,
        check: Callable[[Any], None] | None = None,
    ) -> list[tuple[int, float]]:
        """The best ``k`` ``(chunk row id, inner product)`` pairs, best first, ties broken
        by the smaller id; only chunks passing ``clauses``, ``document_id`` and (when
        given) among the ``restrict`` ids are ranked. ``check`` runs first, on the
        search's connection, in its snapshot (it may raise to refuse the search)."""
        if k <= 0:
            return []
        dims = int(np.asarray(query).size)
        listed: list[Any] = []
        ids = ""
        if restrict is not None:
            ids = (
                " AND c.id IN"
                " (SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb) AS value)"
            )
            listed = [json.dumps([int(i) for i in restrict])]
        literal = vector_literal(query)
        with self._connect() as conn:
            if check is not None:
                check(conn)
            route, total = self._route(conn, corpus_id, dims, clauses, document_id, restrict)
            if route == "index":
                where, params = row_filter_sql(clauses, document_id=document_id)
                rows = self._walk(conn, corpus_id, dims, literal, k, where + ids, params + listed)
                if len(rows) == k:
                    return rows
                # Fewer than k rows passed within the walk's budget (hnsw.max_scan_tuples):
                # fewer pass than the estimate said. The exact search settles it.
            where, params = filter_sql(
                corpus_id, clauses, document_id=document_id, join=route == "narrow"
            )
            return self._exact(
                conn, corpus_id, dims, literal, k, where + ids, params + listed, total
            )

    def _scope(self, corpus_id: int, dims: int) -> str:
        return (
            f"c.corpus_id = {int(corpus_id)} AND c.state = {int(self._active)}"
            f" AND vector_dims(c.vector) = {dims}"
        )

    def _walk(
        self,
        conn: Cursorish,
        corpus_id: int,
        dims: int,
        literal: str,
        k: int,
        where: str,
        params: list[Any],
    ) -> list[tuple[int, float]]:
        """The HNSW index scan, filtered row by row (iterative: it walks on until ``k``
        rows pass), re-sorted exactly."""
        conn.execute(f"SET LOCAL hnsw.ef_search = {int(self.ef_search)}")
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        # relaxed_order may hand rows back slightly out of order: re-sort exactly.
        sql = (
            "WITH hits AS MATERIALIZED (SELECT c.id,"
            f" c.vector::vector({dims}) <#> ?::vector({dims}) AS distance"
            f" FROM chunks c WHERE {self._scope(corpus_id, dims)}{where}"
            f" ORDER BY distance LIMIT {int(k)})"
            " SELECT id, -distance FROM hits ORDER BY distance, id"
        )
        rows = conn.execute(sql, [literal, *params]).fetchall()
        return [(int(chunk_id), float(score)) for chunk_id, score in rows]

    def _exact(
        self,
        conn: Cursorish,
        corpus_id: int,
        dims: int,
        literal: str,
        k: int,
        where: str,
        params: list[Any],
        total: int | None,
    ) -> list[tuple[int, float]]:
        """The exact search; ``total`` is the corpus's stored chunk count when the route
        has read it already."""
        if params:
            if total is None:
                total, _ = _stored_counts(conn, corpus_id)
            _raise_setting(
                conn, "work_mem", total, _HASHED_ID_BYTES, _MAX_FILTER_WORK_MEM, local=True
            )
        sql = (
            "SELECT c.id, -(c.vector <#> ?::vector) AS score FROM chunks c"
            f" WHERE {self._scope(corpus_id, dims)}{where}"
            f" ORDER BY c.vector <#> ?::vector, c.id LIMIT {int(k)}"
        )
        rows = conn.execute(sql, [literal, *params, literal]).fetchall()
        return [(int(chunk_id), float(score)) for chunk_id, score in rows]

    def _route(
        self,
        conn: Cursorish,
        corpus_id: int,
        dims: int,
        clauses: Sequence[FilterClause],
        document_id: int | None,
        restrict: Sequence[int] | None,
    ) -> tuple[str, int | None]:
        """``"index"`` (the HNSW walk), ``"exact"``, or ``"narrow"`` (exact, driven by a
        filter estimated to keep few rows), see the module doc; with the corpus's stored
        chunk count where the choice read it."""
        if self.threshold <= 0 or (restrict is not None and len(restrict) < self.threshold):
            return "exact", None
        total, documents = _stored_counts(conn, corpus_id)
        if total < self.threshold:
            return "exact", total
        if not self.index_ready(conn, corpus_id, dims):
            self._build_in_background(corpus_id, dims)
            return "exact", total
        if not clauses and document_id is None:
            return "index", total
        wide = self._filter_is_wide(conn, corpus_id, total, documents, clauses, document_id)
        return ("index" if wide else "narrow"), total

    @staticmethod
    def _filter_is_wide(
        conn: Cursorish,
        corpus_id: int,
        total: int,
        documents: int,
        clauses: Sequence[FilterClause],
        document_id: int | None,
    ) -> bool:
        """Whether the filter likely keeps :data:`_INDEX_FILTER_SHARE` of the corpus or
        more: each clause's owners counted in the metadata indexes, up to the share it
        needs (a few milliseconds, where counting every passing chunk cost as much as the
        search), the clauses taken as independent. A wrong guess costs time, never hits:
        a walk finding fewer than k rows falls back to the exact search."""
        # Independent factors: their product reaches the share only if each reaches this.
        needed = _INDEX_FILTER_SHARE ** (1 / (len(clauses) + (document_id is not None)))

        def reaches(owners: str, params: list[Any], out_of: int) -> float:
            cap = max(1, math.ceil(needed * out_of))
            (found,) = conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM ({owners}) AS o LIMIT {cap}) AS o", params
            ).fetchone()
            return float(found) / max(out_of, 1)

        if document_id is not None:
            owned = f"SELECT id FROM chunks WHERE document_id = {int(document_id)}"
            if reaches(owned, [], total) < needed:
                return False
        for clause in clauses:
            share = 0.0
            for level, out_of in (("chunk", total), ("document", documents)):
                if clause.level in (level, "either"):
                    owners, params = _owners_sql(level, corpus_id, clause, estimate=True)
                    share += reaches(owners, params, out_of)
            if share < needed:
                return False
        return True

    def index_ready(self, conn: Cursorish, corpus_id: int, dims: int) -> bool:
        """Whether the corpus's HNSW index exists (in the connection's schema) and is valid
        (a ``CONCURRENTLY`` build that failed leaves an invalid one behind, which the next
        build replaces)."""
        row = conn.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(?)",
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
            except Exception:  # the next query over the threshold tries again
                logger.exception("building the HNSW index %s failed", name)
            finally:
                with self._lock:
                    self._building.discard(name)

        worker = threading.Thread(target=build, name=f"ragkit-{name}", daemon=True)
        self._builders.append(worker)
        worker.start()

    def build_index(self, corpus_id: int, dims: int) -> bool:
        """Build the corpus's HNSW index unless it exists, holding a session advisory lock
        so that one replica builds it while the others skip; returns whether this call
        built it. Writes and queries go on meanwhile (``CONCURRENTLY``)."""
        name = hnsw_index_name(corpus_id, dims)
        with self._admin() as conn:
            (schema,) = conn.execute("SELECT current_schema()").fetchone()
            key = f"ragkit:{schema}:{name}"
            (locked,) = conn.execute("SELECT pg_try_advisory_lock(hashtext(?))", (key,)).fetchone()
            if not locked:
                return False
            try:
                if self.index_ready(conn, corpus_id, dims):
                    return False
                per_row = int(dims) * 4 + _GRAPH_BYTES_PER_ROW
                rows, _ = _stored_counts(conn, corpus_id)
                _raise_setting(
                    conn, "maintenance_work_mem", rows, per_row, _MAX_BUILD_MEMORY, local=False
                )
                started = time.perf_counter()
                conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
                conn.execute(
                    f"CREATE INDEX CONCURRENTLY {name} ON chunks USING hnsw"
                    f" ((vector::vector({int(dims)})) vector_ip_ops)"
                    f" WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
                    f" WHERE corpus_id = {int(corpus_id)} AND state = {int(self._active)}"
                    f" AND vector_dims(vector) = {int(dims)}"
                )
                logger.info(
                    "built the HNSW index %s in %.1f s", name, time.perf_counter() - started
                )
                return True
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(?))", (key,))

    def drop_indexes(self, corpus_id: int) -> None:
        """Drop a deleted corpus's HNSW indexes, in the background (``CONCURRENTLY``, so
        nothing waits for it); any replica may do it, twice is harmless."""

        def drop() -> None:
            try:
                with self._admin() as conn:
                    rows = conn.execute(
                        "SELECT indexname FROM pg_indexes"
                        " WHERE schemaname = current_schema() AND indexname LIKE ?",
                        # Underscores escaped: corpus 1's pattern must not match corpus 12.
                        (f"chunks\\_hnsw\\_{int(corpus_id)}\\_%",),
                    ).fetchall()
                    for (name,) in rows:
                        conn.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
            except Exception:  # an index left behind is empty and harmless
                logger.exception("dropping the HNSW indexes of corpus %s failed", corpus_id)

        worker = threading.Thread(target=drop, name="ragkit-drop-hnsw", daemon=True)
        self._builders.append(worker)
        worker.start()

    def wait_for_builds(self) -> None:
        """Wait for the background index builds started so far (for tests and shutdown)."""
        for worker in list(self._builders):
            worker.join()
