"""Custom metadata as filterable rows, and metadata filters compiled to SQL.

Each metadata entry of a document or chunk becomes rows in ``document_metadata`` /
``chunk_metadata``: one row for a string or a number, and for a string list one marker
row (``str IS NULL``, so an empty list still exists) plus one row per value. Each filter
condition is then one scan of a ``(corpus_id, key, kind, str|num)`` index, and the id sets
are combined with numpy (OR = union within a clause, AND = intersection across clauses), so
a filter costs in proportion to what it matches, not to the corpus size.

Semantics (api.md §6): conditions inside a clause are ORed, clauses are ANDed; a condition
only matches metadata of its own type (a number never equals a string, a string list only
answers INCLUDES/EXCLUDES), and a missing key matches nothing, NOT_EQUAL and EXCLUDES
included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ragkit.server.store.dialect import Connection, ids_text_sql
from ragkit.server.store.records import Metadata

__all__ = [
    "ConditionSpec",
    "FilterClause",
    "Level",
    "Op",
    "matching_owners",
    "metadata_rows",
    "replace_metadata",
]

#: Whose metadata a clause reads; ``"either"`` (a bare key such as ``author``) matches
#: a chunk when its own metadata or its document's matches.
Level = Literal["document", "chunk", "either"]
Op = Literal["<", "<=", "=", ">=", ">", "!=", "includes", "excludes"]

_STRING, _LIST, _NUMBER = 1, 2, 3

_TABLES: dict[Level, tuple[str, str]] = {
    "document": ("document_metadata", "document_id"),
    "chunk": ("chunk_metadata", "chunk_id"),
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
    conn: Connection,
    level: Level,
    corpus_id: int,
    owners: Iterable[tuple[int, Metadata]],
    *,
    fresh: bool = False,
) -> None:
    """Make the rows of each ``(owner_id, entries)`` match ``entries``.

    ``fresh`` skips the delete for owners inserted in this same transaction.
    """
    table, owner_column = _TABLES[level]
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


def matching_owners(
    conn: Connection, corpus_id: int, clause: FilterClause
) -> npt.NDArray[np.int64]:
    """Sorted unique ids of the documents or chunks (per ``clause.level``, which must not
    be ``"either"``) matching any condition of ``clause``.

    Each condition is one range or equality scan of a ``(corpus_id, key, kind, value)``
    index, so the cost follows the number of matches, not the size of the corpus.
    """
    found = [_condition_owners(conn, corpus_id, clause, c) for c in clause.conditions]
    return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


def _condition_owners(
    conn: Connection, corpus_id: int, clause: FilterClause, condition: ConditionSpec
) -> npt.NDArray[np.int64]:
    table, owner = _TABLES[clause.level]
    scope = f"SELECT {owner} FROM {table} WHERE corpus_id = ? AND key = ? AND kind = ?"
    op, value = condition.op, condition.value
    if op == "includes":
        return _ids(conn, f"{scope} AND str = ?", corpus_id, clause.key, _LIST, value)
    if op == "excludes":
        lists = _ids(conn, f"{scope} AND str IS NULL", corpus_id, clause.key, _LIST)
        holding = _ids(conn, f"{scope} AND str = ?", corpus_id, clause.key, _LIST, value)
        return np.setdiff1d(lists, holding)
    if isinstance(value, str):
        return _ids(conn, f"{scope} AND str {op} ?", corpus_id, clause.key, _STRING, value)
    return _ids(conn, f"{scope} AND num {op} ?", corpus_id, clause.key, _NUMBER, value)


def _ids(conn: Connection, sql: str, *params: Any) -> npt.NDArray[np.int64]:
    (text,) = conn.execute(ids_text_sql(conn, sql), params).fetchone()
    if not text:
        return np.empty(0, dtype=np.int64)
    return np.array(text.split(","), dtype=np.int64)
