"""Prometheus metrics of ``ragkit serve``, scraped at ``GET /metrics``.

Every app has its own :class:`ServerMetrics` (its own ``CollectorRegistry``, never the
process-global one), so several apps in one process never share or clash. What it shows:

* ``ragkit_requests_total{transport, method, code}`` and
  ``ragkit_request_duration_seconds{transport, method}`` (a histogram, seconds to the end
  of the response, streams included), ``ragkit_requests_in_flight{transport}``, and
  ``ragkit_connections_refused_total{reason}``: connections the HTTP server answered and
  closed itself (over ``--max-connections``, header or body timeout, unparsable request). Over
  HTTP ``method`` is the route template (``POST /v1beta/corpora/{corpus}:query``, never a
  raw path: the label set stays bounded) and ``code`` the HTTP status; a request no route
  handled (none matched, or its body was refused before routing) is
  ``method="unmatched"``. Over gRPC ``method`` is the gRPC method
  (``google.ai.generativelanguage.v1beta.RetrieverService/QueryCorpus``) and ``code`` its
  status name (``OK``, ``NOT_FOUND``). A gRPC call runs through the REST app in-process
  but is counted once, as ``transport="grpc"``.
* the embedding lanes (:mod:`ragkit.server.models.scheduler`):
  ``ragkit_embed_queue_limit``, ``ragkit_embed_bulk_jobs{state}``,
  ``ragkit_embed_bulk_texts_left``, ``ragkit_embed_query_requests{state}`` and counters
  of texts embedded, served from cache, refused (429) and dropped;
* the store and the loaded indexes: ``ragkit_corpora``, ``ragkit_chunks``,
  ``ragkit_index_corpora``, ``ragkit_index_vectors``, ``ragkit_index_largest_vectors``,
  ``ragkit_index_hnsw_corpora{state}``, ``ragkit_index_hnsw_vectors``;
* readiness and progress: ``ragkit_ready``, ``ragkit_warmup_{corpora,chunks}_{total,done}``,
  ``ragkit_reindex_running``, ``ragkit_reindex_chunks_{total,done}``;
* the process (CPU, memory, open files) and ``ragkit_info{version, embedder}``.

``/metrics`` needs no API key, like ``/healthz``, because it carries no tenant data: only
counts and sizes summed over every user and corpus, route templates and method names.
Keep it on a network your monitoring reaches and your users do not, if its aggregate
numbers (how many corpora and chunks the server holds) are themselves sensitive.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ragkit._version import __version__
from ragkit.server.models.scheduler import SchedulerLoad, SchedulerStats
from ragkit.server.service.vitals import ServiceVitals

__all__ = ["HTTP_VERBS", "LATENCY_BUCKETS", "UNMATCHED", "ServerMetrics", "Transport"]

Transport = Literal["http", "grpc"]

#: Seconds: from a cached lookup to a long streamed answer or a large batch.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
#: The ``method`` label of a request no route matched.
UNMATCHED = "unmatched"
#: HTTP methods labelled as themselves; any other verb a client invents is ``OTHER``.
HTTP_VERBS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _by_label(
    family: type[GaugeMetricFamily] | type[CounterMetricFamily],
    name: str,
    doc: str,
    label: str,
    values: dict[str, float],
) -> Metric:
    """One metric family with a sample per value of its single ``label``."""
    metric = family(name, doc, labels=[label])
    for value, sample in values.items():
        metric.add_metric([value], sample)
    return metric


class _StateCollector(Collector):
    """Reads the scheduler and the service at scrape time (nothing to keep in sync)."""

    def __init__(
        self,
        load: Callable[[], SchedulerLoad | None],
        stats: Callable[[], SchedulerStats | None],
        vitals: Callable[[], ServiceVitals | None],
    ) -> None:
        self._load = load
        self._stats = stats
        self._vitals = vitals

    def collect(self) -> Iterable[Metric]:
        yield from self._embedding()
        yield from self._service()

    def _embedding(self) -> Iterator[Metric]:
        load = self._load()
        if load is not None:
            yield _gauge(
                "ragkit_embed_queue_limit",
                "Chunk-write embedding jobs admitted at once (--embed-queue-depth).",
                load.queue_depth,
            )
            yield _by_label(
                GaugeMetricFamily,
                "ragkit_embed_bulk_jobs",
                "Chunk-write embedding jobs on the bulk lane, by state.",
                "state",
                {"queued": load.bulk_queued, "running": load.bulk_running},
            )
            yield _gauge(
                "ragkit_embed_bulk_texts_left",
                "Texts the admitted bulk jobs have left to embed.",
                load.bulk_texts_left,
            )
            yield _by_label(
                GaugeMetricFamily,
                "ragkit_embed_query_requests",
                "Embedding requests of queries and answers on the priority lane, by state.",
                "state",
                {"waiting": load.query_waiting, "running": load.query_running},
            )
        stats = self._stats()
        if stats is not None:
            yield _by_label(
                CounterMetricFamily,
                "ragkit_embed_texts",
                "Texts embedded by the model, by lane.",
                "lane",
                {"query": stats.query_texts, "bulk": stats.bulk_texts},
            )
            yield CounterMetricFamily(
                "ragkit_embed_query_calls",
                "Model calls of the priority lane (each embeds a micro-batch).",
                value=stats.query_calls,
            )
            yield CounterMetricFamily(
                "ragkit_embed_bulk_cached_texts",
                "Bulk texts whose embedding came from the cache (a retried batch).",
                value=stats.bulk_cached_texts,
            )
            yield CounterMetricFamily(
                "ragkit_embed_bulk_rejected",
                "Chunk writes refused with 429 because the bulk lane was full.",
                value=stats.bulk_rejected,
            )
            yield CounterMetricFamily(
                "ragkit_embed_bulk_dropped",
                "Bulk jobs dropped because their client went away.",
                value=stats.bulk_dropped,
            )

    def _service(self) -> Iterator[Metric]:
        vitals = self._vitals()
        yield _gauge(
            "ragkit_ready",
            "1 once the indexes are loaded after a start (GET /readyz answers 200).",
            1 if vitals is not None and vitals.ready else 0,
        )
        if vitals is None:
            return
        yield _gauge("ragkit_corpora", "Corpora in the store, of every user.", vitals.corpora)
        yield _gauge("ragkit_chunks", "Chunks in the store, of every corpus.", vitals.chunks)
        index = vitals.indexes
        yield _gauge("ragkit_index_corpora", "Vector indexes loaded in memory.", index.corpora)
        yield _gauge("ragkit_index_vectors", "Vectors in the loaded indexes.", index.vectors)
        yield _gauge(
            "ragkit_index_largest_vectors", "Vectors in the largest loaded index.", index.largest
        )
        yield _by_label(
            GaugeMetricFamily,
            "ragkit_index_hnsw_corpora",
            "Loaded indexes with an HNSW graph, by state (ready, building in the background).",
            "state",
            {"ready": index.hnsw_ready, "building": index.hnsw_building},
        )
        yield _gauge(
            "ragkit_index_hnsw_vectors",
            "Vectors in indexes searched through a ready HNSW graph.",
            index.hnsw_vectors,
        )
        warm = vitals.warm_up
        for what, total, done in (
            ("corpora", warm.corpora_total if warm else 0, warm.corpora_done if warm else 0),
            ("chunks", warm.chunks_total if warm else 0, warm.chunks_done if warm else 0),
        ):
            yield _gauge(
                f"ragkit_warmup_{what}_total", f"{what.capitalize()} the start-up loads.", total
            )
            yield _gauge(
                f"ragkit_warmup_{what}_done",
                f"{what.capitalize()} loaded so far by the start-up warm-up.",
                min(done, total),
            )
        reindex = vitals.reindex
        yield _gauge(
            "ragkit_reindex_running",
            "1 while chunks are re-embedded with another embedder (serve --reindex).",
            1 if reindex is not None else 0,
        )
        yield _gauge(
            "ragkit_reindex_chunks_total",
            "Chunks the running re-embedding covers.",
            reindex.total if reindex else 0,
        )
        yield _gauge(
            "ragkit_reindex_chunks_done",
            "Chunks the running re-embedding has embedded.",
            reindex.done if reindex else 0,
        )


class ServerMetrics:
    """The metrics of one app, in a registry of its own.

    Args:
        embedder: The embedder's name, for ``ragkit_info``.
        load: Returns the scheduler's :class:`SchedulerLoad` (``None``: no scheduler).
        stats: Returns the scheduler's counters.
        vitals: Returns the service's :class:`ServiceVitals` (``None`` while closed).

    Example::

        metrics = ServerMetrics("hash", scheduler.load, lambda: scheduler.stats, vitals)
        metrics.observe("http", "GET /v1beta/corpora", "200", 0.004)
        body, content_type = metrics.render(accept="text/plain")
    """

    def __init__(
        self,
        embedder: str,
        load: Callable[[], SchedulerLoad | None],
        stats: Callable[[], SchedulerStats | None],
        vitals: Callable[[], ServiceVitals | None],
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "ragkit_requests",
            "Requests answered, by transport, API method and status code.",
            ["transport", "method", "code"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "ragkit_request_duration_seconds",
            "Seconds from a request's arrival to the end of its response.",
            ["transport", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._in_flight = Gauge(
            "ragkit_requests_in_flight",
            "Requests being answered now, by transport.",
            ["transport"],
            registry=self.registry,
        )
        self._refused = Counter(
            "ragkit_connections_refused",
            "Connections answered and closed before reaching the app, by reason "
            "(connection_limit, headers_timeout, body_timeout, malformed).",
            ["reason"],
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
        info = Gauge(
            "ragkit_info",
            "The server's version and embedder (always 1).",
            ["version", "embedder"],
            registry=self.registry,
        )
        info.labels(__version__, embedder).set(1)
        ProcessCollector(registry=self.registry)
        self.registry.register(_StateCollector(load, stats, vitals))

    def observe(self, transport: Transport, method: str, code: str, seconds: float) -> None:
        """Count one finished request; ``method`` must come from a bounded set (a route
        template, a gRPC method name, :data:`UNMATCHED`)."""
        key = (transport, method, code)
        children = self._children.get(key)
        if children is None:  # labels() takes a lock and builds keys: once per label set
            children = (
                self._requests.labels(transport, method, code),
                self._latency.labels(transport, method),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def refused(self, reason: str) -> None:
        """Count a connection the server answered itself and closed (``reason`` is one of
        a fixed few, set by :mod:`ragkit.server.runner`)."""
        self._refused.labels(reason).inc()

    @contextlib.contextmanager
    def in_flight(self, transport: Transport) -> Iterator[None]:
        """Count a request as in flight while the block runs."""
        gauge = self._in_flight.labels(transport)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """The exposition (Prometheus text, or OpenMetrics when ``accept`` asks for it)
        and its content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type
