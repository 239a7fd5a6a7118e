"""The read gate: at most ``slots`` holders, admitted in arrival order, answers behind
queries by a bounded handicap, and a slot handed back while its holder waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from ragkit.server.read_gate import ReadGate, ReadKind


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


class Holder:
    """A thread that holds a slot of ``gate`` until ``release`` is set."""

    def __init__(self, gate: ReadGate, kind: ReadKind = "query") -> None:
        self.inside = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(gate, kind))
        self.thread.start()

    def _run(self, gate: ReadGate, kind: ReadKind) -> None:
        with gate.admitted(kind):
            self.inside.set()
            assert self.release.wait(5)


def queue_in_order(gate: ReadGate, kinds: list[ReadKind], admitted: list[int]) -> list[Holder]:
    """Start one waiter per kind, each only once the previous one is queued."""
    waiters = []
    for n, kind in enumerate(kinds):  # each notes its admission, then lets the next in
        queued = gate.waiting()
        holder = Holder(gate, kind)
        waiters.append(holder)
        wait_until(lambda q=queued: gate.waiting() == q + 1)

        def note(h: Holder = holder, i: int = n) -> None:
            h.inside.wait(5)
            admitted.append(i)
            h.release.set()

        threading.Thread(target=note).start()
    return waiters


def test_waiters_are_admitted_in_arrival_order() -> None:
    gate = ReadGate(1)
    first = Holder(gate)
    assert first.inside.wait(5)
    admitted: list[int] = []
    waiters = queue_in_order(gate, ["query"] * 6, admitted)
    first.release.set()
    for waiter in waiters:
        waiter.thread.join(5)
    assert admitted == [0, 1, 2, 3, 4, 5]


def test_an_answer_lets_exactly_its_handicap_of_later_queries_go_first() -> None:
    gate = ReadGate(1, answer_handicap=2)
    first = Holder(gate)
    assert first.inside.wait(5)
    admitted: list[int] = []
    waiters = queue_in_order(gate, ["answer", "query", "query", "query", "query"], admitted)
    first.release.set()
    for waiter in waiters:
        waiter.thread.join(5)
    # Two queries that came after the answer go ahead of it; the third does not.
    assert admitted == [1, 2, 0, 3, 4]


def test_no_more_than_slots_hold_at_once() -> None:
    gate = ReadGate(2)
    inside, most = 0, 0
    lock = threading.Lock()
    both = threading.Event()

    def work() -> None:
        nonlocal inside, most
        with gate.admitted():
            with lock:
                inside += 1
                most = max(most, inside)
                if inside == 2:
                    both.set()
            assert both.wait(5)  # two get in together (then each slot serves the rest)
            time.sleep(0.01)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert most == 2
    assert gate.waiting() == 0


def test_a_holder_waiting_elsewhere_lends_its_slot_and_returns_before_later_arrivals() -> None:
    gate = ReadGate(1)
    order: list[str] = []
    lent, back = threading.Event(), threading.Event()

    def patient() -> None:
        with gate.admitted():
            with gate.stepped_out():  # e.g. waiting for the model lane
                lent.set()
                assert back.wait(5)
            order.append("patient again")

    first = threading.Thread(target=patient)
    first.start()
    assert lent.wait(5)
    second = Holder(gate)  # gets the lent slot at once
    assert second.inside.wait(5)
    back.set()  # the patient one now queues for a slot, ahead of anyone later
    wait_until(lambda: gate.waiting() == 1)
    third = Holder(gate)
    wait_until(lambda: gate.waiting() == 2)
    second.release.set()
    first.join(5)
    assert order == ["patient again"]
    assert third.inside.wait(5)
    third.release.set()
    third.thread.join(5)


def test_admission_is_reentrant_and_stepping_out_unadmitted_is_a_no_op() -> None:
    gate = ReadGate(1)
    with gate.stepped_out():
        pass
    with gate.admitted("answer"), gate.admitted("query"):  # the inner one passes straight in
        assert gate.waiting() == 0
    with gate.admitted():  # and the slot is free again
        pass


def test_resizing_admits_waiters_at_once() -> None:
    gate = ReadGate(1)
    first = Holder(gate)
    assert first.inside.wait(5)
    second = Holder(gate)
    wait_until(lambda: gate.waiting() == 1)
    gate.resize(2)
    assert second.inside.wait(5)
    for holder in (first, second):
        holder.release.set()
        holder.thread.join(5)
    with pytest.raises(ValueError):
        ReadGate(0)


def test_answers_leave_one_slot_to_queries() -> None:
    gate = ReadGate(2, answer_handicap=0)
    first = Holder(gate, "answer")
    assert first.inside.wait(5)
    second = Holder(gate, "answer")  # a slot is free, but not for a second answer
    wait_until(lambda: gate.waiting() == 1)
    query = Holder(gate, "query")  # arrived later, admitted at once
    assert query.inside.wait(5)
    assert not second.inside.is_set()
    first.release.set()  # the answers' slot is free again
    assert second.inside.wait(5)
    for holder in (first, second, query):
        holder.release.set()
        holder.thread.join(5)
    assert gate.waiting() == 0
