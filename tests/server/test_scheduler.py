"""The embedding scheduler: micro-batched priority lane, bounded and cancellable bulk lane."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pytest

from ragkit.server.cancellation import Cancellation, cancellation_scope, current_cancellation
from ragkit.server.errors import ApiError
from ragkit.server.models.embedding import HashEmbedder
from ragkit.server.models.scheduler import (
    BULK_SLICE,
    MAX_PASSED_OVER,
    PRIORITY_SLICE,
    EmbeddingScheduler,
    _Request,
)
from ragkit.server.service.indexes import BulkEmbedder
from ragkit.types.status import Code


class GatedEmbedder(HashEmbedder):
    """The real hash embedder, but each call waits for ``gate`` and records its size, so a
    test decides exactly when model calls finish."""

    def __init__(self) -> None:
        super().__init__(dimensions=16)
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Semaphore(0)
        self.calls: list[int] = []

    def embed(
        self, texts: Sequence[str], *, kind: Literal["query", "document"] = "document"
    ) -> npt.NDArray[np.float32]:
        self.calls.append(len(texts))
        self.entered.release()
        assert self.gate.wait(10)
        return super().embed(texts, kind=kind)


@pytest.fixture
def lanes() -> Iterator[tuple[EmbeddingScheduler, GatedEmbedder, GatedEmbedder]]:
    query, bulk = GatedEmbedder(), GatedEmbedder()
    scheduler = EmbeddingScheduler(query, bulk, queue_depth=2)
    scheduler.start()
    query.calls.clear()
    bulk.calls.clear()
    for gated in (query, bulk):
        while gated.entered.acquire(blocking=False):
            pass
    yield scheduler, query, bulk
    query.gate.set()
    bulk.gate.set()
    scheduler.close()


def in_thread(target: object, *args: object) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(target(*args))  # type: ignore[operator]
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def texts(n: int, tag: str = "t") -> list[str]:
    return [f"{tag} text number {i}" for i in range(n)]


def test_vectors_match_the_embedder() -> None:
    scheduler = EmbeddingScheduler(HashEmbedder(), HashEmbedder())
    try:
        reference = HashEmbedder().embed(["red apples", "green pears"])
        assert np.array_equal(scheduler.embed(["red apples", "green pears"]), reference)
        assert np.array_equal(scheduler.embed_bulk(["red apples", "green pears"]), reference)
        assert (scheduler.name, scheduler.dimensions) == ("hash", 384)
        # Chunk writes find the bulk lane through this protocol.
        assert isinstance(scheduler, BulkEmbedder)
    finally:
        scheduler.close()


def test_concurrent_queries_share_one_model_call(lanes) -> None:  # type: ignore[no-untyped-def]
    scheduler, query, _ = lanes
    query.gate.clear()
    first, _ = in_thread(lambda: scheduler.embed(["first"], kind="query"))
    assert query.entered.acquire(timeout=5)  # the first call is running...
    waiting = [
        in_thread(lambda i=i: scheduler.embed([f"query {i}"], kind="query")) for i in range(10)
    ]
    deadline = threading.Event()
    while len(scheduler._queries) < 10 and not deadline.wait(0.01):
        pass
    query.gate.set()  # ...and the ten that came meanwhile go in one call
    for thread, _ in [(first, None), *waiting]:
        thread.join(5)
    assert query.calls == [1, 10]
    assert all(out[0].shape == (1, 16) for _, out in waiting)  # type: ignore[union-attr]


def test_search_queries_go_before_answer_sentences(lanes) -> None:  # type: ignore[no-untyped-def]
    scheduler, query, _ = lanes
    query.gate.clear()
    first, _ = in_thread(lambda: scheduler.embed(["first"], kind="query"))
    assert query.entered.acquire(timeout=5)
    sentences, _ = in_thread(lambda: scheduler.embed(texts(16, "sentence"), kind="document"))
    while len(scheduler._queries) < 2:  # two slices
        threading.Event().wait(0.01)
    search, _ = in_thread(lambda: scheduler.embed(["late query"], kind="query"))
    while len(scheduler._queries) < 3:
        threading.Event().wait(0.01)
    query.gate.set()
    for thread in (first, sentences, search):
        thread.join(5)
    # The later query did not wait for the 16 sentences.
    assert query.calls == [1, 1, PRIORITY_SLICE, PRIORITY_SLICE]


def test_a_query_waits_for_one_slice_of_an_answers_sentences(lanes) -> None:  # type: ignore[no-untyped-def]
    scheduler, query, _ = lanes
    query.gate.clear()
    many = texts(3 * PRIORITY_SLICE, "sentence")
    sentences, out = in_thread(lambda: scheduler.embed(many, kind="document"))
    assert query.entered.acquire(timeout=5)  # the first slice is running...
    search, _ = in_thread(lambda: scheduler.embed(["late query"], kind="query"))
    while len(scheduler._queries) < 3:  # ...two slices and the query wait
        threading.Event().wait(0.01)
    query.gate.set()
    for thread in (sentences, search):
        thread.join(5)
    assert query.calls == [PRIORITY_SLICE, 1, PRIORITY_SLICE, PRIORITY_SLICE]
    # The slices come back whole and in order.
    assert np.array_equal(out[0], HashEmbedder(dimensions=16).embed(many, kind="document"))


def test_queries_do_not_wait_for_bulk_work(lanes) -> None:  # type: ignore[no-untyped-def]
    scheduler, _, bulk = lanes
    bulk.gate.clear()
    writer, _ = in_thread(scheduler.embed_bulk, texts(5))
    assert bulk.entered.acquire(timeout=5)  # the bulk lane is stuck in a model call
    assert scheduler.embed(["still served"], kind="query").shape == (1, 16)
    bulk.gate.set()
    writer.join(5)


def test_a_full_bulk_lane_answers_429_with_retry_after(lanes) -> None:  # type: ignore[no-untyped-def]
    scheduler, _, bulk = lanes
    bulk.gate.clear()
    running, _ = in_thread(scheduler.embed_bulk, texts(3, "a"))
    assert bulk.entered.acquire(timeout=5)
    queued, queued_out = in_thread(scheduler.embed_bulk, texts(3, "b"))
    while scheduler._admitted < 2:
        threading.Event().wait(0.01)
    with pytest.raises(ApiError) as early:
        scheduler.refuse_if_full()
    assert early.value.code is Code.RESOURCE_EXHAUSTED
    with pytest.raises(ApiError) as caught, cancellation_scope(Cancellation()):  # a client's
        scheduler.embed_bulk(texts(3, "c"))
    error = caught.value
    assert error.code is Code.RESOURCE_EXHAUSTED and error.http_status == 429
    assert error.retry_after is not None and 1 <= error.retry_after <= 30
    assert "--embed-queue-depth 2" in error.message
    assert error.details == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{error.retry_after}s"}
    ]
    bulk.gate.set()
    running.join(5)
    queued.join(5)
    assert queued_out[0].shape == (3, 16)  # type: ignore[union-attr]
    assert scheduler.embed_bulk(texts(3, "c")).shape == (3, 16)  # room again
    scheduler.refuse_if_full()  # room again: no error
    assert scheduler.stats.bulk_rejected == 2


def test_queued_work_of_a_gone_client_is_dropped_before_it_starts(lanes) -> None:  # type: ignore[no-untyped-def]
    scheduler, _, bulk = lanes
    bulk.gate.clear()
    running, _ = in_thread(scheduler.embed_bulk, texts(3, "a"))
    assert bulk.entered.acquire(timeout=5)
    token = Cancellation()

    def queued_request() -> object:
        with cancellation_scope(token):
            return scheduler.embed_bulk(texts(3, "gone"))

    queued, outcome = in_thread(queued_request)
    while scheduler._admitted < 2:
        threading.Event().wait(0.01)
    token.cancel("the client disconnected")
    queued.join(5)
    assert isinstance(outcome[0], ApiError) and outcome[0].code is Code.CANCELLED
    assert scheduler._admitted == 1  # its slot is free before the running job ends
    bulk.gate.set()
    running.join(5)
    assert bulk.calls == [3]  # the dropped job never reached the model
    assert scheduler.stats.bulk_dropped == 1


def test_running_work_of_a_gone_client_stops_between_slices(lanes) -> None:  # type: ignore[no-untyped-def]
    scheduler, _, bulk = lanes
    bulk.gate.clear()
    token = Cancellation()

    def request() -> object:
        with cancellation_scope(token):
            return scheduler.embed_bulk(texts(3 * BULK_SLICE, "long"))

    thread, outcome = in_thread(request)
    assert bulk.entered.acquire(timeout=5)  # first slice running
    token.cancel("the client disconnected")
    bulk.gate.set()
    thread.join(5)
    assert isinstance(outcome[0], ApiError) and outcome[0].code is Code.CANCELLED
    assert bulk.calls == [BULK_SLICE]
    # A retry reuses the slice already embedded: only the rest reaches the model.
    assert scheduler.embed_bulk(texts(3 * BULK_SLICE, "long")).shape == (3 * BULK_SLICE, 16)
    assert bulk.calls == [BULK_SLICE, BULK_SLICE, BULK_SLICE]
    assert scheduler.stats.bulk_cached_texts >= BULK_SLICE


def test_repeated_texts_are_embedded_once(lanes) -> None:  # type: ignore[no-untyped-def]
    scheduler, _, bulk = lanes
    vectors = scheduler.embed_bulk(["same", "same", "other"])
    assert bulk.calls == [2] and np.array_equal(vectors[0], vectors[1])
    scheduler.embed_bulk(["same", "other"])
    assert bulk.calls == [2]


def test_cancellation_scope_travels_and_resets() -> None:
    token = Cancellation()
    assert current_cancellation() is None
    with cancellation_scope(token):
        assert current_cancellation() is token
    assert current_cancellation() is None
    token.cancel("first")
    token.cancel("second")
    assert token.cancelled and token.reason == "first"


def test_closing_fails_waiting_work_with_unavailable() -> None:
    bulk = GatedEmbedder()
    scheduler = EmbeddingScheduler(HashEmbedder(dimensions=16), bulk, queue_depth=4)
    scheduler.start()
    bulk.gate.clear()
    running, _ = in_thread(scheduler.embed_bulk, texts(2, "a"))
    assert bulk.entered.acquire(timeout=5)
    queued, outcome = in_thread(scheduler.embed_bulk, texts(2, "b"))
    while scheduler._admitted < 2:
        threading.Event().wait(0.01)
    closer, _ = in_thread(scheduler.close)
    queued.join(5)
    assert isinstance(outcome[0], ApiError) and outcome[0].code is Code.UNAVAILABLE
    bulk.gate.set()
    closer.join(5)
    running.join(5)
    with pytest.raises(ApiError):
        scheduler.embed(["after close"])


def test_background_work_waits_for_room_instead_of_429(lanes) -> None:  # type: ignore[no-untyped-def]
    scheduler, _, bulk = lanes
    bulk.gate.clear()
    token = Cancellation()

    def client_request(tag: str) -> object:
        with cancellation_scope(token):
            return scheduler.embed_bulk(texts(2, tag))

    running, _ = in_thread(client_request, "a")
    assert bulk.entered.acquire(timeout=5)
    queued, _ = in_thread(client_request, "b")
    while scheduler._admitted < 2:
        threading.Event().wait(0.01)
    background, outcome = in_thread(scheduler.embed_bulk, texts(2, "reindex"))  # no token
    threading.Event().wait(0.2)
    assert not outcome  # waiting, not refused
    bulk.gate.set()
    for thread in (running, queued, background):
        thread.join(5)
    assert outcome[0].shape == (2, 16)  # type: ignore[union-attr]


def test_load_shows_what_each_lane_holds(
    lanes: tuple[EmbeddingScheduler, GatedEmbedder, GatedEmbedder],
) -> None:
    scheduler, query, bulk = lanes
    idle = scheduler.load()
    assert (idle.queue_depth, idle.bulk_queued, idle.bulk_running) == (2, 0, 0)
    assert (idle.query_waiting, idle.query_running, idle.bulk_texts_left) == (0, 0, 0)
    query.gate.clear()
    bulk.gate.clear()
    first, _ = in_thread(scheduler.embed_bulk, ["a", "b", "c"])
    assert bulk.entered.acquire(timeout=5)  # running: three texts left
    second, _ = in_thread(scheduler.embed_bulk, ["d"])
    asker, _ = in_thread(scheduler.embed, ["q"])
    assert query.entered.acquire(timeout=5)
    waiter, _ = in_thread(scheduler.embed, ["r"])
    for _ in range(200):
        load = scheduler.load()
        if load.bulk_queued == 1 and load.query_waiting == 1:
            break
        threading.Event().wait(0.01)
    assert (load.bulk_running, load.bulk_queued, load.bulk_texts_left) == (1, 1, 4)
    assert (load.query_running, load.query_waiting) == (1, 1)
    query.gate.set()
    bulk.gate.set()
    for thread in (first, second, asker, waiter):
        thread.join(10)
    done = scheduler.load()
    assert (done.bulk_running, done.bulk_queued, done.bulk_texts_left) == (0, 0, 0)
    assert (done.query_running, done.query_waiting) == (0, 0)


def test_a_repeated_search_query_is_not_embedded_again(lanes) -> None:  # type: ignore[no-untyped-def]
    scheduler, query, _ = lanes
    first = scheduler.embed(["how do I vacuum?"], kind="query")
    again = scheduler.embed(["how do I vacuum?"], kind="query")
    scheduler.embed(["how do I vacuum?"], kind="document")  # other kinds are not remembered
    assert np.array_equal(first, again)
    assert query.calls == [1, 1]
    assert scheduler.stats.query_cached_texts == 1


def test_a_stream_of_queries_does_not_starve_answer_sentences() -> None:
    scheduler = EmbeddingScheduler(HashEmbedder())  # not started: the lane's choice alone
    sentences = _Request(texts(16, "sentence"), "document")
    scheduler._queries.append(sentences)
    taken = []
    for n in range(MAX_PASSED_OVER + 2):
        scheduler._queries.append(_Request([f"query {n}"], "query"))  # one per model call
        with scheduler._lock:
            taken.append([len(r.texts) for r in scheduler._take_queries()])
    # Queries go first, but the sentences after being passed over MAX_PASSED_OVER times.
    assert taken == [[1]] * MAX_PASSED_OVER + [[16], [1, 1]]
    assert sentences not in scheduler._queries
