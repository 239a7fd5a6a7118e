"""Metadata filters of a query, checked and turned into store clauses.

Keys name a level: ``document.custom_metadata.<key>`` or ``chunk.custom_metadata.<key>``
(``documents:query`` and a document-scoped ``semanticRetriever`` accept chunk keys only).
A bare key (``author``, as LlamaIndex's Google integration sends it) matches a chunk
whose own metadata or whose document's metadata satisfies the filter.
Operators (api.md §6): LESS, LESS_EQUAL, GREATER_EQUAL, GREATER need ``numeric_value``;
EQUAL and NOT_EQUAL take either value; INCLUDES and EXCLUDES need ``string_value`` and
match string-list metadata. Conditions in one filter are ORed, filters are ANDed; a key may
appear in several filters only when all their conditions are numeric (to express ranges).
A condition whose value type differs from the stored metadata's simply matches nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from ragkit.limits import MAX_METADATA_KEY_LENGTH, MAX_METADATA_VALUE_LENGTH
from ragkit.server.errors import invalid_argument
from ragkit.server.service.validation import check_length
from ragkit.server.store.metadata import ConditionSpec, FilterClause, Level, Op
from ragkit.types import Condition, MetadataFilter, Operator

__all__ = ["CandidateCache", "parse_filters"]

_PREFIXES: dict[str, Level] = {
    "document.custom_metadata.": "document",
    "chunk.custom_metadata.": "chunk",
}
_PREFIX_STARTS = ("document.", "chunk.", "custom_metadata.")
_MAX_FILTER_KEY_LENGTH = max(map(len, _PREFIXES)) + MAX_METADATA_KEY_LENGTH
_NUMERIC_ONLY: dict[Operator, Op] = {
    Operator.LESS: "<",
    Operator.LESS_EQUAL: "<=",
    Operator.GREATER_EQUAL: ">=",
    Operator.GREATER: ">",
}
_EITHER: dict[Operator, Op] = {Operator.EQUAL: "=", Operator.NOT_EQUAL: "!="}
_LIST_ONLY: dict[Operator, Op] = {Operator.INCLUDES: "includes", Operator.EXCLUDES: "excludes"}


def parse_filters(
    filters: Sequence[MetadataFilter] | None, *, document_keys: bool
) -> list[FilterClause]:
    """Validate ``filters``; ``document_keys=False`` rejects ``document.`` keys.

    Raises:
        ApiError: INVALID_ARGUMENT for a bad key, operator or value, or a non-numeric key
            repeated across filters.
    """
    clauses = [_clause(f, document_keys=document_keys) for f in filters or []]
    by_key: defaultdict[tuple[Level, str], list[FilterClause]] = defaultdict(list)
    for clause in clauses:
        by_key[clause.level, clause.key].append(clause)
    for group in by_key.values():
        numeric = all(
            isinstance(c.value, float) and c.op not in ("includes", "excludes")
            for clause in group
            for c in clause.conditions
        )
        if len(group) > 1 and not numeric:
            raise invalid_argument(
                f"Metadata filter key {_wire_key(group[0])!r} appears in more than one filter; "
                "only numeric conditions may be combined (ANDed) across filters on one key. "
                "Put string conditions for a key in one filter (they are ORed)."
            )
    return clauses


def _wire_key(clause: FilterClause) -> str:
    if clause.level == "either":
        return clause.key
    return f"{clause.level}.custom_metadata.{clause.key}"


def _clause(metadata_filter: MetadataFilter, *, document_keys: bool) -> FilterClause:
    key = metadata_filter.key or ""
    # Checked first: the messages below quote the key.
    check_length(key, _MAX_FILTER_KEY_LENGTH, "A metadata filter key")
    prefix = next((p for p in _PREFIXES if key.startswith(p) and len(key) > len(p)), None)
    # A key that starts like a prefix but is not one is a typo, not a bare key.
    if prefix is None and (not key or key.startswith(_PREFIX_STARTS)):
        raise invalid_argument(
            f"Invalid metadata filter key {key!r}: give a metadata key ('author'), or "
            "'document.custom_metadata.' or 'chunk.custom_metadata.' followed by the key."
        )
    level: Level = "either" if prefix is None else _PREFIXES[prefix]
    prefix = prefix or ""
    if level == "document" and not document_keys:
        raise invalid_argument(
            f"Invalid metadata filter key {key!r}: only chunk-level keys "
            "('chunk.custom_metadata.<key>') can filter a document query."
        )
    if not metadata_filter.conditions:
        raise invalid_argument(f"Metadata filter {key!r} needs at least one condition.")
    conditions = tuple(_condition(key, c) for c in metadata_filter.conditions)
    return FilterClause(level=level, key=key[len(prefix) :], conditions=conditions)


def _condition(key: str, condition: Condition) -> ConditionSpec:
    operation = condition.operation or Operator.OPERATOR_UNSPECIFIED
    value: str | float
    if condition.string_value is not None and condition.numeric_value is None:
        value = check_length(
            condition.string_value,
            MAX_METADATA_VALUE_LENGTH,
            f"The string_value of a condition on {key!r}",
        )
    elif condition.numeric_value is not None and condition.string_value is None:
        value = float(condition.numeric_value)
    else:
        raise invalid_argument(
            f"A condition on {key!r} must set exactly one of string_value or numeric_value."
        )
    if operation in _NUMERIC_ONLY:
        if not isinstance(value, float):
            raise invalid_argument(f"Operator {operation.name} on {key!r} needs a numeric_value.")
        return ConditionSpec(_NUMERIC_ONLY[operation], value)
    if operation in _EITHER:
        return ConditionSpec(_EITHER[operation], value)
    if operation in _LIST_ONLY:
        if not isinstance(value, str):
            raise invalid_argument(f"Operator {operation.name} on {key!r} needs a string_value.")
        return ConditionSpec(_LIST_ONLY[operation], value)
    raise invalid_argument(f"A condition on {key!r} needs an operation, got {operation.name}.")


#: ``(corpus row id, document row id or None, filter clauses)``: what a candidate set depends on.
CandidateKey = tuple[int, int | None, tuple[FilterClause, ...]]


class CandidateCache:
    """Recently computed candidate id sets of filtered queries, valid until the next commit.

    A repeated filter (a tenant, a product, a year) is then one dictionary lookup instead
    of index scans in SQLite and an array built from their rows. Every entry is tagged
    with :attr:`~ragkit.server.store.Database.commits` read *before* its snapshot was
    taken, and only served while no write has committed since, so a cached set is never
    older than what a fresh read would see. Bounded by entries and by ids held.

    Example::

        ids = cache.get(key, db.commits, lambda: candidate_ids(conn, ...))
    """

    def __init__(self, *, max_entries: int = 256, max_ids: int = 4_000_000) -> None:
        self._entries: OrderedDict[CandidateKey, tuple[int, npt.NDArray[np.int64]]] = OrderedDict()
        self._held = 0
        self._max_entries = max_entries
        self._max_ids = max_ids
        self._lock = threading.Lock()

    def get(
        self,
        key: CandidateKey,
        generation: int,
        compute: Callable[[], npt.NDArray[np.int64]],
    ) -> npt.NDArray[np.int64]:
        """The cached ids for ``key`` at ``generation``, else ``compute()`` (then cached)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == generation:
                self._entries.move_to_end(key)
                return entry[1]
        ids = compute()
        ids.setflags(write=False)  # shared between requests
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._held -= old[1].size
            if ids.size <= self._max_ids:
                self._entries[key] = (generation, ids)
                self._held += ids.size
            while self._entries and (
                len(self._entries) > self._max_entries or self._held > self._max_ids
            ):
                _, (_, evicted) = self._entries.popitem(last=False)
                self._held -= evicted.size
        return ids
