"""An ordered admission gate for the CPU-heavy part of read requests.

Python code runs one thread at a time (the GIL). When 16 read requests run their Python work
on 16 threads at once, they take turns in 5 ms slices in no particular order: every
request's latency stretches to that of the slowest, the event loop that accepts and answers
requests waits its turn like the rest, and the tail (p99) drifts far above the mean. A
:class:`ReadGate` admits a few requests at a time (about one per core) and queues the rest in
arrival order, so each request, once admitted, runs close to its own service time, and the
queue ahead of it drains first come, first served: the latency of a request is the work
queued ahead of it plus its own, not a lottery.

Two refinements:

* **Kinds.** A search query is short; an answer's stages (retrieval plus scoring sentences)
  are long. An answer queues as if it had arrived :data:`ANSWER_HANDICAP` requests later
  than it did, so a few queries go ahead of it, but no stream of queries can hold it back
  longer than that (it keeps its place once the queries that arrived after it are
  served). And answers hold at most all slots but one at once: with two or more slots, a
  query never waits for an answer's CPU work to end, only for the queries ahead of it.
* **Stepping out.** A request that waits for something else while admitted (its embedding
  on the model's priority lane, see :mod:`ragkit.server.models.scheduler`) hands its slot
  back for the wait (:func:`stepped_out`) and takes the next free slot before any request
  that arrived after it: the model lane batches the waiting queries into one call, and the
  slot serves another request meanwhile.

The gate is per process (the GIL and the cores are): :func:`read_gate` returns it;
:func:`configure_read_gate` sets its size (``ragkit serve --read-slots``).

Example::

    with read_gate().admitted("query"):
        hits = search(...)            # at most `slots` requests here at once, oldest first
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ANSWER_HANDICAP",
    "ReadGate",
    "ReadKind",
    "configure_read_gate",
    "default_read_slots",
    "read_gate",
    "stepped_out",
]

ReadKind = Literal["query", "answer"]

#: An answer queues as if it had arrived this many requests later than it did.
ANSWER_HANDICAP = 8


def default_read_slots() -> int:
    """One slot per usable CPU (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(order=True)
class _Ticket:
    place: int
    arrival: int
    kind: ReadKind = field(compare=False, default="query")
    wake: threading.Event = field(compare=False, default_factory=threading.Event)


class ReadGate:
    """At most ``slots`` holders at once; waiters admitted by place (arrival, plus the
    handicap of their kind), first come first served among equals.

    Args:
        slots: concurrent holders (>= 1).
        answer_handicap: arrivals an answer lets go ahead of it.
    """

    def __init__(self, slots: int, *, answer_handicap: int = ANSWER_HANDICAP) -> None:
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}.")
        self._lock = threading.Lock()
        self._slots = slots
        self._free = slots
        self._handicap = answer_handicap
        self._arrivals = itertools.count()
        self._waiting: list[_Ticket] = []
        self._answers = 0  # slots held by answers
        self._held = threading.local()

    @property
    def slots(self) -> int:
        return self._slots

    def resize(self, slots: int) -> None:
        """Change the number of slots; holders keep theirs, waiters get new ones at once."""
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}.")
        with self._lock:
            self._free += slots - self._slots
            self._slots = slots
            self._hand_over()

    def waiting(self) -> int:
        """Requests queued for a slot right now."""
        with self._lock:
            return len(self._waiting)

    @contextmanager
    def admitted(self, kind: ReadKind = "query") -> Iterator[None]:
        """Hold a slot for the block (re-entrant: an admitted thread passes straight in)."""
        if getattr(self._held, "ticket", None) is not None:
            yield
            return
        arrival = next(self._arrivals)
        # Queries take even places, answers odd ones: an answer queues right behind the
        # request that arrives ``handicap`` after it, and two places never tie.
        place = 2 * arrival + (2 * self._handicap + 1 if kind == "answer" else 0)
        ticket = _Ticket(place, arrival, kind)
        self._acquire(ticket)
        self._held.ticket = ticket
        try:
            yield
        finally:
            self._held.ticket = None
            self._release(ticket)

    @contextmanager
    def stepped_out(self) -> Iterator[None]:
        """Give this thread's slot back for the block (a wait on other work) and take one
        again after it, ahead of the requests that arrived later. No-op when not admitted."""
        ticket: _Ticket | None = getattr(self._held, "ticket", None)
        if ticket is None:
            yield
            return
        self._held.ticket = None
        self._release(ticket)
        try:
            yield
        finally:
            # Keeps its place (and goes before an equal place) when it comes back.
            again = _Ticket(ticket.place, -1, ticket.kind)
            self._acquire(again)
            self._held.ticket = again

    def _acquire(self, ticket: _Ticket) -> None:
        with self._lock:
            heapq.heappush(self._waiting, ticket)
            self._hand_over()
        ticket.wake.wait()

    def _release(self, ticket: _Ticket) -> None:
        with self._lock:
            self._free += 1
            if ticket.kind == "answer":
                self._answers -= 1
            self._hand_over()

    def _hand_over(self) -> None:
        # Caller holds self._lock: free slots go to the best-placed waiters that may take
        # one (an answer only while answers hold fewer than all slots but one).
        answer_slots = max(1, self._slots - 1)
        skipped: list[_Ticket] = []
        while self._free > 0 and self._waiting:
            ticket = heapq.heappop(self._waiting)
            if ticket.kind == "answer" and self._answers >= answer_slots:
                skipped.append(ticket)
                continue
            self._free -= 1
            self._answers += ticket.kind == "answer"
            ticket.wake.set()
        for ticket in skipped:
            heapq.heappush(self._waiting, ticket)


_gate = ReadGate(default_read_slots())


def read_gate() -> ReadGate:
    """The process's gate."""
    return _gate


def configure_read_gate(slots: int | None) -> None:
    """Size the process's gate (``None`` or 0: one slot per usable CPU)."""
    _gate.resize(slots or default_read_slots())


def stepped_out() -> AbstractContextManager[None]:
    """:meth:`ReadGate.stepped_out` of the process's gate."""
    return _gate.stepped_out()
