"""Objects built lazily, once, per corpus: the vector and keyword indexes.

:class:`CorpusCache` builds a corpus's object the first time it is asked for, under that
corpus's lock, so two first queries build it once and a query never waits for another
corpus. Changes to a loaded object go through :meth:`CorpusCache.update`, under the same
lock: whichever comes first, a build or a committed change, the object ends up with the
change.

Example::

    cache = CorpusCache(lambda corpus_id: load_index(corpus_id))
    index = cache.get(7)                        # built now
    cache.update(7, lambda index: index.remove([3]))   # no-op if 7 was never built
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["CorpusCache"]

T = TypeVar("T")


class CorpusCache(Generic[T]):
    """``build(corpus_id)`` results, kept per corpus row id."""

    def __init__(self, build: Callable[[int], T]) -> None:
        self._build = build
        self._items: dict[int, T] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, corpus_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(corpus_id, threading.Lock())

    def get(self, corpus_id: int) -> T:
        """The corpus's object, built on first use."""
        item = self._items.get(corpus_id)
        if item is not None:
            return item
        with self._lock(corpus_id):
            item = self._items.get(corpus_id)
            if item is None:
                item = self._build(corpus_id)
                self._items[corpus_id] = item
            return item

    def loaded(self, corpus_id: int) -> bool:
        """Whether the corpus's object has been built."""
        return corpus_id in self._items

    def items(self) -> list[T]:
        """The objects built so far (a snapshot)."""
        return list(self._items.values())

    def update(self, corpus_id: int, change: Callable[[T], None]) -> None:
        """Apply ``change`` to the corpus's object if it is built (under its lock)."""
        with self._lock(corpus_id):
            item = self._items.get(corpus_id)
            if item is not None:
                change(item)

    def drop(self, corpus_id: int) -> None:
        """Forget a deleted corpus's object."""
        with self._lock(corpus_id):
            self._items.pop(corpus_id, None)
        with self._guard:
            self._locks.pop(corpus_id, None)
