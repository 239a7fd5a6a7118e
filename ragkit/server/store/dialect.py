"""The one SQL the stores speak to SQLite and PostgreSQL alike, and where the two differ.

Every store function takes a :class:`Connection`: a ``sqlite3.Connection``, or on
PostgreSQL the adapter of :mod:`ragkit.server.store.postgres`, which takes the same ``?``
placeholders and returns rows addressable by position. So a rule is written once; only
the few statements whose SQL truly differs ask :func:`is_postgres` and say why:

- id lists passed as one JSON parameter (``json_each`` / ``jsonb_array_elements_text``),
- ids aggregated into one string (``group_concat`` / ``string_agg``),
- embeddings (a little-endian ``float32`` BLOB / a pgvector ``vector``),
- upserts of a ``SELECT`` (``INSERT OR REPLACE`` / ``ON CONFLICT``),
- NULL-safe equality (``IS`` / ``IS NOT DISTINCT FROM``) and "no limit" (``-1`` / ``NULL``).

The DDL differs more (types, collations, identities): each backend has its own migration
series (:mod:`~ragkit.server.store.migrations`, :mod:`~ragkit.server.store.pg_migrations`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import numpy as np

__all__ = [
    "Connection",
    "Cursor",
    "id_list_sql",
    "ids_text_sql",
    "is_postgres",
    "stored_vector",
    "vector_bytes_sql",
    "vector_param",
]


class Cursor(Protocol):
    """What the stores use of a cursor: ``sqlite3.Cursor`` has it, so does the adapter."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the stores use of a connection (``sqlite3.Connection`` or the PG adapter)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor: ...


def is_postgres(conn: Connection) -> bool:
    """Whether ``conn`` talks to PostgreSQL (anything but a ``sqlite3.Connection``)."""
    return not isinstance(conn, sqlite3.Connection)


def id_list_sql(conn: Connection) -> str:
    """A subquery of the integers in one JSON array parameter (``json.dumps(ids)``): one
    parameter however many ids, where ``IN (?, ?, ...)`` would hit SQLite's limit."""
    if is_postgres(conn):
        return "SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb) AS value"
    return "SELECT value FROM json_each(?)"


def ids_text_sql(conn: Connection, sql: str) -> str:
    """``sql`` (selecting one integer column) wrapped to return its values as one
    comma-separated string: one string parsed by numpy costs ~2.5x less than a Python
    tuple per row at 100,000 ids."""
    if is_postgres(conn):
        return f"WITH q(x) AS ({sql}) SELECT string_agg(x::text, ',') FROM q"
    return f"WITH q(x) AS ({sql}) SELECT group_concat(x) FROM q"


def vector_param(conn: Connection, blob: bytes) -> Any:
    """The parameter storing embedding ``blob`` (little-endian ``float32`` bytes): the
    bytes themselves on SQLite, a ``float32`` array (sent as a pgvector ``vector``) on
    PostgreSQL."""
    if is_postgres(conn):
        return np.frombuffer(blob, dtype="<f4").astype(np.float32)
    return blob


def stored_vector(conn: Connection, value: Any) -> bytes:
    """An embedding column's value as little-endian ``float32`` bytes (see
    :func:`vector_param`)."""
    if is_postgres(conn):  # pgvector's Vector
        return np.ascontiguousarray(value.to_numpy(), dtype="<f4").tobytes()
    return bytes(value)


def vector_bytes_sql(conn: Connection, column: str) -> str:
    """SQL for the size in bytes of the embedding in ``column`` (4 per dimension)."""
    if is_postgres(conn):
        return f"(vector_dims({column}) * 4)"
    return f"length({column})"
