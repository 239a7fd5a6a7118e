"""Custom metadata as filterable rows, and metadata filters compiled to SQL.

Each metadata entry of a document or chunk becomes rows in ``document_metadata`` /
``chunk_metadata``: one row for a string or a number, and for a string list one marker
row (``str IS NULL``, so an empty list still exists) plus one row per value. A filter then
becomes ``IN (SELECT ...)`` sub-queries served by the ``(corpus_id, key, kind, str|num)``
indexes, so candidate selection stays in SQL however large the corpus.

Semantics (api.md §6): conditions inside a clause are ORed, clauses are ANDed; a condition
only matches metadata of its own type (a number never equals a string, a string list only
answers INCLUDES/EXCLUDES), and a missing key matches nothing, NOT_EQUAL and EXCLUDES
included.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ragkit.server.store.records import Metadata

__all__ = [
    "ConditionSpec",
    "FilterClause",
    "Level",
    "Op",
    "filter_sql",
    "metadata_rows",
    "replace_metadata",
]

Level = Literal["document", "chunk"]
Op = Literal["<", "<=", "=", ">=", ">", "!=", "includes", "excludes"]

_STRING, _LIST, _NUMBER = 1, 2, 3

_TABLES: dict[Level, tuple[str, str, str]] = {
    # level: (table, owner column, column of the outer ``chunks c`` row it matches)
    "document": ("document_metadata", "document_id", "c.document_id"),
    "chunk": ("chunk_metadata", "chunk_id", "c.id"),
}


@dataclass(frozen=True)
class ConditionSpec:
    """One validated condition: ``op`` applied to a number or a string."""

    op: Op
    value: str | float


@dataclass(frozen=True)
class FilterClause:
    """Conditions on one key at one level, ORed together."""

    level: Level
    key: str
    conditions: tuple[ConditionSpec, ...]


def metadata_rows(entries: Metadata) -> list[tuple[str, int, str | None, float | None]]:
    """``(key, kind, str, num)`` rows for wire-form metadata entries."""
    rows: list[tuple[str, int, str | None, float | None]] = []
    for entry in entries:
        key = entry["key"]
        if entry.get("stringValue") is not None:
            rows.append((key, _STRING, entry["stringValue"], None))
        elif entry.get("numericValue") is not None:
            rows.append((key, _NUMBER, None, float(entry["numericValue"])))
        elif entry.get("stringListValue") is not None:
            rows.append((key, _LIST, None, None))
            values = entry["stringListValue"].get("values") or []
            rows.extend((key, _LIST, value, None) for value in values)
    return rows


def replace_metadata(
    conn: sqlite3.Connection,
    level: Level,
    corpus_id: int,
    owners: Iterable[tuple[int, Metadata]],
    *,
    fresh: bool = False,
) -> None:
    """Make the rows of each ``(owner_id, entries)`` match ``entries``.

    ``fresh`` skips the delete for owners inserted in this same transaction.
    """
    table, owner_column, _ = _TABLES[level]
    owners = list(owners)
    if not fresh:
        conn.executemany(
            f"DELETE FROM {table} WHERE {owner_column} = ?", [(oid,) for oid, _ in owners]
        )
    conn.executemany(
        f"INSERT INTO {table} (corpus_id, {owner_column}, key, kind, str, num)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (corpus_id, owner_id, *row)
            for owner_id, entries in owners
            for row in metadata_rows(entries)
        ],
    )


def filter_sql(clauses: Sequence[FilterClause], corpus_id: int) -> tuple[str, list[Any]]:
    """A SQL boolean over a ``chunks c`` row, and its parameters (``"1"`` when empty)."""
    if not clauses:
        return "1", []
    parts: list[str] = []
    params: list[Any] = []
    for clause in clauses:
        alternatives = []
        for condition in clause.conditions:
            sql, args = _condition_sql(clause, condition, corpus_id)
            alternatives.append(sql)
            params.extend(args)
        parts.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(parts), params


def _condition_sql(
    clause: FilterClause, condition: ConditionSpec, corpus_id: int
) -> tuple[str, list[Any]]:
    table, owner, outer = _TABLES[clause.level]
    scope = f"SELECT {owner} FROM {table} WHERE corpus_id = ? AND key = ? AND kind = ?"
    base: list[Any] = [corpus_id, clause.key]
    op, value = condition.op, condition.value
    if op == "includes":
        return f"{outer} IN ({scope} AND str = ?)", [*base, _LIST, value]
    if op == "excludes":
        sql = f"({outer} IN ({scope} AND str IS NULL) AND {outer} NOT IN ({scope} AND str = ?))"
        return sql, [*base, _LIST, *base, _LIST, value]
    if isinstance(value, str):
        return f"{outer} IN ({scope} AND str {op} ?)", [*base, _STRING, value]
    return f"{outer} IN ({scope} AND num {op} ?)", [*base, _NUMBER, value]
