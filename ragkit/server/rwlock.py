"""A readers-writer lock for the in-memory vector indexes.

Searches read an index concurrently; writes that move or overwrite rows need it alone.
:class:`ReadWriteLock` admits any number of readers or one writer, and a writer that is
waiting holds new readers back, so a steady stream of queries cannot starve a write::

    lock = ReadWriteLock()
    with lock.reading(lambda: self._count) as count:   # the snapshot is taken under the lock
        ...
    with lock.writing():
        ...
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["ReadWriteLock"]

T = TypeVar("T")


class ReadWriteLock:
    """Many readers or one writer (writers wait for each other and for the readers)."""

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self, snapshot: Callable[[], T]) -> Iterator[T]:
        """Read alongside other readers; yields ``snapshot()``, taken while no writer runs."""
        with self._state:
            while self._writing:
                self._state.wait()
            self._readers += 1
            taken = snapshot()
        try:
            yield taken
        finally:
            with self._state:
                self._readers -= 1
                self._state.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the lock alone: new readers wait, running readers are waited for."""
        with self._state:
            while self._writing:
                self._state.wait()
            self._writing = True
            while self._readers:
                self._state.wait()
        try:
            yield
        finally:
            with self._state:
                self._writing = False
                self._state.notify_all()

    @contextmanager
    def publishing(self) -> Iterator[None]:
        """Change what :meth:`reading` snapshots without excluding running readers (e.g.
        make appended rows visible): no snapshot is taken halfway through the change."""
        with self._state:
            yield
