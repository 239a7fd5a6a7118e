"""One home for the server's model calls: a priority lane for reads, a bounded bulk lane.

:class:`EmbeddingScheduler` wraps the embedder and is what the server hands to everything
that embeds. It runs every model call on one of two threads, each with its own copy of the
model:

* the **priority lane** (:meth:`EmbeddingScheduler.embed`) serves queries, answers and
  ``embedContent``. Requests that arrive while a call is running are *micro-batched*: the next
  model call embeds all of them at once, so 16 concurrent queries cost one call, not 16.
  Search queries go before other work of the lane (an answer's sentences), which runs in
  slices of :data:`PRIORITY_SLICE` texts, so a query arriving meanwhile waits for at most
  one slice, not a whole answer's sentences. Nothing on this lane ever waits behind
  ingestion. A caller admitted by :mod:`ragkit.server.read_gate` hands its slot back while
  it waits for the lane.
* the **bulk lane** (:meth:`EmbeddingScheduler.embed_bulk`) serves chunk writes and index
  repair. At most ``queue_depth`` jobs are admitted (running or waiting, FIFO); one more is
  refused at once with 429 RESOURCE_EXHAUSTED and a ``Retry-After`` estimated from the
  measured speed, instead of piling up work (and memory) the clients will have given up on.
  A job runs in slices (the embedder's ``batch_size``, at most :data:`BULK_SLICE`); if its
  client disconnects (see :mod:`ragkit.server.cancellation`) the job is dropped, before it
  starts or between slices.

The lanes do not lower each other's CPU priority (``nice``): on a machine shared with other
work that would starve ingestion. Instead the bulk lane's model uses one CPU thread fewer
than the machine has (:func:`bulk_threads`), so bulk work always leaves a core to reads.

Every slice the bulk lane computes is remembered by content hash in a bounded cache, so a
client that retries a batch after a timeout (the first attempt dropped half-way) does not pay
twice for the slices already embedded. The priority lane likewise remembers the last
:data:`QUERY_CACHE_SIZE` search queries: ``generateAnswer`` embeds its question for the
retrieval and again to score sentences, and the second one is then free.

Example::

    scheduler = EmbeddingScheduler(load_embedder("minilm"), load_embedder("minilm"))
    scheduler.start()
    query_vector = scheduler.embed(["how do I reset it?"], kind="query")[0]
    chunk_vectors = scheduler.embed_bulk(texts)       # ApiError 429 when the lane is full
    scheduler.close()
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from ragkit.server.cancellation import Cancellation, current_cancellation
from ragkit.server.errors import ApiError
from ragkit.server.models.embedding import Embedder, EmbedKind
from ragkit.server.read_gate import stepped_out
from ragkit.types.status import Code

__all__ = [
    "BULK_SLICE",
    "DEFAULT_QUEUE_DEPTH",
    "MAX_PASSED_OVER",
    "PRIORITY_SLICE",
    "QUERY_CACHE_SIZE",
    "EmbeddingScheduler",
    "SchedulerLoad",
    "SchedulerStats",
    "bulk_threads",
]

logger = logging.getLogger("ragkit.server")

#: Bulk embedding jobs (one per chunk write request) admitted at once, running or waiting.
DEFAULT_QUEUE_DEPTH = 8
#: Most texts one priority-lane model call embeds; later arrivals wait for the next call.
MAX_QUERY_BATCH = 64
#: Most texts of other priority work (an answer's sentences, ``embedContent``) per model
#: call: a search query that arrives meanwhile waits for at most one such slice.
PRIORITY_SLICE = 8
#: Model calls for search queries that other priority work (an answer's sentences) may wait
#: through before it goes first.
MAX_PASSED_OVER = 2
#: Most texts per bulk-lane model call: a dropped job stops within one such slice.
BULK_SLICE = 32
#: Embeddings of bulk texts remembered by content hash (384 floats each: 12 MB).
DEFAULT_CACHE_SIZE = 8192
#: Search-query embeddings remembered by the priority lane (384 floats each: 1.5 MB).
QUERY_CACHE_SIZE = 1024
# How often a waiting request thread looks whether its client is gone.
_POLL_SECONDS = 0.1
# Retry-After bounds, in seconds.
_MIN_RETRY_AFTER = 1
_MAX_RETRY_AFTER = 30
# Until measured, assume this many seconds per bulk text (MiniLM on a busy core).
_INITIAL_SECONDS_PER_TEXT = 0.02

Vectors = npt.NDArray[np.float32]


def bulk_threads() -> int:
    """CPU threads for the bulk lane's model calls: all usable CPUs but one (at least 1), so
    reads keep a core while ingestion runs."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, available - 1)


@dataclass
class SchedulerStats:
    """Counters, for logs, benchmarks and tests (read them, don't write them)."""

    query_calls: int = 0
    query_texts: int = 0
    query_cached_texts: int = 0
    bulk_jobs: int = 0
    bulk_texts: int = 0
    bulk_cached_texts: int = 0
    bulk_rejected: int = 0
    bulk_dropped: int = 0
    max_bulk_admitted: int = 0


@dataclass(frozen=True)
class SchedulerLoad:
    """What the lanes hold right now (:meth:`EmbeddingScheduler.load`), for ``/metrics``:
    embedding requests waiting and running on the priority lane, bulk jobs queued and
    running (at most ``queue_depth`` together) and the texts they have left to embed."""

    queue_depth: int
    query_waiting: int
    query_running: int
    bulk_queued: int
    bulk_running: int
    bulk_texts_left: int


@dataclass(eq=False)
class _Request:
    texts: list[str]
    kind: EmbedKind
    done: threading.Event = field(default_factory=threading.Event)
    result: Vectors | None = None
    error: BaseException | None = None


@dataclass(eq=False)
class _Job(_Request):
    cancel: Cancellation | None = None
    state: Literal["queued", "running", "finished"] = "queued"


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass")).digest()


def _cancelled_error(cancel: Cancellation) -> ApiError:
    return ApiError(Code.CANCELLED, f"The request was dropped: {cancel.reason}.")


class EmbeddingScheduler:
    """The embedder as the server uses it: two lanes, bounded, cancellable.

    Args:
        query_embedder: runs the priority lane.
        bulk_embedder: runs the bulk lane (give a second instance of the same embedder so the
            two lanes never share a model session); defaults to ``query_embedder``.
        queue_depth: bulk jobs admitted at once, running or waiting (>= 1).
        cache_size: bulk embeddings remembered by content hash (0 turns the cache off).

    It satisfies :class:`~ragkit.server.models.embedding.Embedder` (``embed`` is the priority
    lane), so it can stand in wherever an embedder is expected. Threads start on
    :meth:`start` (or on first use) and stop on :meth:`close`.
    """

    def __init__(
        self,
        query_embedder: Embedder,
        bulk_embedder: Embedder | None = None,
        *,
        queue_depth: int = DEFAULT_QUEUE_DEPTH,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        if queue_depth < 1:
            raise ValueError(f"queue_depth must be >= 1, got {queue_depth}.")
        bulk = bulk_embedder or query_embedder
        if (bulk.name, bulk.dimensions) != (query_embedder.name, query_embedder.dimensions):
            raise ValueError("both lanes must run the same embedder.")
        self.name = query_embedder.name
        self.dimensions = query_embedder.dimensions
        self.batch_size = query_embedder.batch_size
        self.queue_depth = queue_depth
        self.stats = SchedulerStats()
        self._query_embedder = query_embedder
        self._bulk_embedder = bulk
        self._cache_size = cache_size
        self._lock = threading.Condition()
        self._queries: deque[_Request] = deque()
        self._passed_over = 0  # query calls made while other priority work waited
        self._jobs: deque[_Job] = deque()
        self._admitted = 0
        self._queries_running = 0
        self._remaining_texts = 0
        self._seconds_per_text = _INITIAL_SECONDS_PER_TEXT
        self._cache: OrderedDict[tuple[str, bytes], Vectors] = OrderedDict()
        self._query_cache: OrderedDict[bytes, Vectors] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closed = False

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start both lanes and load their models; raises what loading a model raises
        (e.g. :class:`~ragkit.server.models.embedding.EmbedderUnavailableError`)."""
        with self._lock:
            if self._threads or self._closed:
                return
            lanes: list[tuple[str, Callable[[], None]]] = [
                ("ragkit-embed-query", self._run_queries),
                ("ragkit-embed-bulk", self._run_bulk),
            ]
            self._threads = [
                threading.Thread(target=target, name=name, daemon=True) for name, target in lanes
            ]
            for thread in self._threads:
                thread.start()
        # Load the priority lane's model now, so a broken install fails at startup. The
        # bulk lane loads its copy on its first job: one-shot commands never pay for it.
        self.embed(["ragkit"], kind="query")

    def close(self) -> None:
        """Stop both lanes; queued work fails with 503 UNAVAILABLE."""
        with self._lock:
            self._closed = True
            pending: list[_Request] = [*self._queries, *self._jobs]
            self._queries.clear()
            self._jobs.clear()
            self._lock.notify_all()
            threads, self._threads = self._threads, []
        for request in pending:
            request.error = ApiError(Code.UNAVAILABLE, "The server is shutting down.")
            request.done.set()
        for thread in threads:
            thread.join(timeout=30)

    def load(self) -> SchedulerLoad:
        """A consistent snapshot of both lanes' queues."""
        with self._lock:
            # A job leaves ``_jobs`` when it starts; it stays admitted until it finishes.
            return SchedulerLoad(
                queue_depth=self.queue_depth,
                query_waiting=len(self._queries),
                query_running=self._queries_running,
                bulk_queued=len(self._jobs),
                bulk_running=self._admitted - len(self._jobs),
                bulk_texts_left=self._remaining_texts,
            )

    # --- priority lane --------------------------------------------------------------------

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vectors:
        """Embed ``texts`` on the priority lane (micro-batched with concurrent callers)."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings, not a single string.")
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        keys = [_digest(text) for text in texts] if kind == "query" else []
        if keys:
            with self._cache_lock:
                found = [self._query_cache.get(key) for key in keys]
                if all(vector is not None for vector in found):
                    for key in keys:
                        self._query_cache.move_to_end(key)
                    self.stats.query_cached_texts += len(keys)
                    return np.stack(found)  # type: ignore[arg-type]
        self._ensure_started()
        # Search queries are one short text each; other work goes in slices (see
        # _take_queries), so that a query never waits for a whole answer's sentences.
        step = len(texts) if kind == "query" else PRIORITY_SLICE
        requests = [_Request(list(texts[i : i + step]), kind) for i in range(0, len(texts), step)]
        with self._lock:
            self._check_open()
            self._queries.extend(requests)
            self._lock.notify_all()
        with stepped_out():  # the read slot serves another request during the model calls
            for request in requests:
                request.done.wait()
        parts = [self._outcome(request) for request in requests]
        vectors = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if keys:
            with self._cache_lock:
                for key, vector in zip(keys, vectors, strict=True):
                    self._query_cache[key] = vector.copy()
                    self._query_cache.move_to_end(key)
                while len(self._query_cache) > QUERY_CACHE_SIZE:
                    self._query_cache.popitem(last=False)
        return vectors

    def _run_queries(self) -> None:
        while True:
            with self._lock:
                while not self._queries and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                taken = self._take_queries()
                self._queries_running = len(taken)
            try:
                self._embed_group(taken, taken[0].kind)
            finally:
                with self._lock:
                    self._queries_running = 0

    def _take_queries(self) -> list[_Request]:
        """The next micro-batch, oldest first: every waiting search query (one short text
        each) before any other priority work, such as an answer's sentences, so that a query
        waits for at most one model call; but other work passed over
        :data:`MAX_PASSED_OVER` times goes next, so a steady stream of queries cannot starve
        answers (seen: 10 s answers at 16 concurrent clients). Caller holds ``self._lock``."""
        queries = any(r.kind == "query" for r in self._queries)
        others = any(r.kind != "query" for r in self._queries)
        kind: EmbedKind = "query" if queries else "document"
        if queries and others and self._passed_over >= MAX_PASSED_OVER:
            kind = "document"
        self._passed_over = self._passed_over + 1 if kind == "query" and others else 0
        limit = MAX_QUERY_BATCH if kind == "query" else PRIORITY_SLICE
        taken: list[_Request] = []
        kept: deque[_Request] = deque()
        size = 0
        for request in self._queries:
            fits = not taken or size + len(request.texts) <= limit
            if request.kind == kind and fits:
                taken.append(request)
                size += len(request.texts)
            else:
                kept.append(request)
        self._queries = kept
        return taken

    def _embed_group(self, group: list[_Request], kind: EmbedKind) -> None:
        texts = [text for request in group for text in request.texts]
        try:
            vectors = self._query_embedder.embed(texts, kind=kind)
        except BaseException as exc:  # handed to every waiting caller, who re-raises it
            for request in group:
                request.error = exc
                request.done.set()
            return
        self.stats.query_calls += 1
        self.stats.query_texts += len(texts)
        start = 0
        for request in group:
            request.result = vectors[start : start + len(request.texts)]
            start += len(request.texts)
            request.done.set()

    # --- bulk lane ------------------------------------------------------------------------

    def embed_bulk(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vectors:
        """Embed ``texts`` on the bulk lane; texts embedded recently come from the cache.

        Work without a client (no cancellation token in the context, e.g. re-embedding in the
        background) waits for room instead of being refused.

        Raises:
            ApiError: RESOURCE_EXHAUSTED (with ``retry_after``) when ``queue_depth`` jobs are
                already admitted; CANCELLED when the current request's client disconnected
                (see :mod:`ragkit.server.cancellation`); UNAVAILABLE when shutting down.
        """
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            cached = self._cached(kind, text)
            if cached is None:
                missing.setdefault(text, []).append(i)
            else:
                out[i] = cached
        self.stats.bulk_cached_texts += len(texts) - sum(len(v) for v in missing.values())
        if missing:
            self._ensure_started()
            fresh = list(missing)
            vectors = self._submit_job(fresh, kind, current_cancellation())
            for text, row in zip(fresh, vectors, strict=True):
                out[missing[text]] = row
        return out

    def refuse_if_full(self) -> None:
        """Raise the 429 :meth:`embed_bulk` would, without queueing anything: a write checks
        this first, so a busy server refuses it before spending time on its chunks.

        Raises:
            ApiError: RESOURCE_EXHAUSTED when ``queue_depth`` jobs are admitted.
        """
        with self._lock:
            if self._admitted >= self.queue_depth:
                self.stats.bulk_rejected += 1
                raise self._overloaded()

    def _submit_job(
        self, texts: list[str], kind: EmbedKind, cancel: Cancellation | None
    ) -> Vectors:
        job = _Job(texts, kind, cancel=cancel)
        with self._lock:
            self._check_open()
            if cancel is not None and cancel.cancelled:
                self.stats.bulk_dropped += 1
                raise _cancelled_error(cancel)
            # A client's request is refused when the lane is full; background work (index
            # repair, re-embedding: no client, no cancellation token) waits for room instead.
            while cancel is None and self._admitted >= self.queue_depth and not self._closed:
                self._lock.wait()
            self._check_open()
            if self._admitted >= self.queue_depth:
                self.stats.bulk_rejected += 1
                raise self._overloaded()
            self._admitted += 1
            self._remaining_texts += len(texts)
            self.stats.bulk_jobs += 1
            self.stats.max_bulk_admitted = max(self.stats.max_bulk_admitted, self._admitted)
            self._jobs.append(job)
            self._lock.notify_all()
            logger.debug(
                "queued an embedding job of %d texts (%d of %d admitted)",
                len(texts),
                self._admitted,
                self.queue_depth,
            )
        while not job.done.wait(_POLL_SECONDS if cancel is not None else None):
            if cancel is not None and cancel.cancelled:
                self._withdraw(job, cancel)
        return self._outcome(job)

    def _withdraw(self, job: _Job, cancel: Cancellation) -> None:
        """Free a queued job's slot at once; a running one stops after its slice."""
        with self._lock:
            if job.state != "queued" or job not in self._jobs:
                return
            self._jobs.remove(job)
            self._release(job, len(job.texts))
            self.stats.bulk_dropped += 1
        logger.info("dropped a queued embedding job of %d texts: %s", len(job.texts), cancel.reason)
        job.error = _cancelled_error(cancel)
        job.done.set()

    def _release(self, job: _Job, unfinished: int) -> None:
        # Caller holds self._lock.
        job.state = "finished"
        self._admitted -= 1
        self._remaining_texts -= unfinished
        self._lock.notify_all()  # background work may be waiting for room

    def _overloaded(self) -> ApiError:
        # Time for the admitted work to drain by half: retrying clients spread out instead of
        # all coming back the moment one slot frees.
        wait = self._remaining_texts * self._seconds_per_text / 2
        retry_after = min(max(math.ceil(wait), _MIN_RETRY_AFTER), _MAX_RETRY_AFTER)
        return ApiError(
            Code.RESOURCE_EXHAUSTED,
            f"The server is busy embedding: {self._admitted} write requests are queued, "
            f"the most it accepts (--embed-queue-depth {self.queue_depth}). Retry after "
            f"{retry_after} s.",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{retry_after}s",
                }
            ],
            retry_after=retry_after,
        )

    def _run_bulk(self) -> None:
        while True:
            with self._lock:
                while not self._jobs and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                job = self._jobs.popleft()
                job.state = "running"
            self._run_job(job)

    def _run_job(self, job: _Job) -> None:
        embedder = self._bulk_embedder
        step = max(1, min(embedder.batch_size, BULK_SLICE))
        vectors = np.empty((len(job.texts), self.dimensions), dtype=np.float32)
        done = 0
        try:
            while done < len(job.texts):
                if job.cancel is not None and job.cancel.cancelled:
                    self.stats.bulk_dropped += 1
                    logger.info(
                        "dropped an embedding job after %d of %d texts: %s",
                        done,
                        len(job.texts),
                        job.cancel.reason,
                    )
                    job.error = _cancelled_error(job.cancel)
                    break
                part = job.texts[done : done + step]
                started = time.perf_counter()
                vectors[done : done + len(part)] = embedder.embed(part, kind=job.kind)
                self._measured(time.perf_counter() - started, len(part))
                for text, row in zip(part, vectors[done : done + len(part)], strict=True):
                    self._remember(job.kind, text, row)
                done += len(part)
                self.stats.bulk_texts += len(part)
                with self._lock:
                    self._remaining_texts -= len(part)
            else:
                job.result = vectors
        except BaseException as exc:  # handed to the waiting caller, who re-raises it
            job.error = exc
        finally:
            with self._lock:
                self._release(job, len(job.texts) - done)
            job.done.set()

    def _measured(self, seconds: float, texts: int) -> None:
        self._seconds_per_text = 0.8 * self._seconds_per_text + 0.2 * (seconds / max(texts, 1))

    # --- shared ---------------------------------------------------------------------------

    def _ensure_started(self) -> None:
        if not self._threads and not self._closed:
            self.start()

    def _check_open(self) -> None:
        # Caller holds self._lock.
        if self._closed:
            raise ApiError(Code.UNAVAILABLE, "The server is shutting down.")

    def _outcome(self, request: _Request) -> Vectors:
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _cached(self, kind: EmbedKind, text: str) -> Vectors | None:
        if not self._cache_size:
            return None
        key = (kind, _digest(text))
        with self._cache_lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
            return found

    def _remember(self, kind: EmbedKind, text: str, vector: Vectors) -> None:
        if not self._cache_size:
            return
        key = (kind, _digest(text))
        with self._cache_lock:
            self._cache[key] = vector.copy()
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def __repr__(self) -> str:
        return f"EmbeddingScheduler({self._query_embedder!r}, queue_depth={self.queue_depth})"
