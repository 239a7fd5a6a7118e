"""The FastAPI application behind ``ragkit serve``.

:func:`create_app` builds the app from a :class:`~ragkit.server.config.ServerConfig`; its
lifespan creates the data directory, warms the embedder and opens the retriever service,
and closes the service on shutdown. The same app runs under uvicorn or in-process::

    app = create_app(ServerConfig(data_dir=Path("data"), embedder="hash"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ragkit") as http:
            await http.post("/v1beta/corpora", json={"displayName": "Docs"})

Invalid configuration (an unknown embedder, a broken auth file) fails in
:func:`create_app`, before anything listens.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from ragkit._version import __version__
from ragkit.server.api_version import ApiVersionMiddleware
from ragkit.server.auth import Authenticator
from ragkit.server.batches import BatchService
from ragkit.server.batches.generation import GenerationBatchModels, StoredContent
from ragkit.server.caching import CacheService
from ragkit.server.catalog import build_catalog
from ragkit.server.config import ServerConfig
from ragkit.server.errors import ApiError
from ragkit.server.generation import GenerationService
from ragkit.server.http.access import AccessMiddleware, RequestObserver
from ragkit.server.http.body_limit import BodyLimitMiddleware
from ragkit.server.http.deps import ServerState
from ragkit.server.http.disconnect import DisconnectMiddleware
from ragkit.server.http.errors import install_error_handlers
from ragkit.server.http.head import HeadAsGetMiddleware
from ragkit.server.http.partial import PartialResponseMiddleware
from ragkit.server.media import FileService
from ragkit.server.metrics import ServerMetrics
from ragkit.server.models.embedding import Embedder, load_embedder
from ragkit.server.models.reranker import check_reranker, load_reranker
from ragkit.server.models.scheduler import EmbeddingScheduler, bulk_threads
from ragkit.server.read_gate import configure_read_gate
from ragkit.server.routes import api_router
from ragkit.server.routes.models import GENERATION_STATE
from ragkit.server.service import RetrieverService
from ragkit.server.service.file_search_ops import FileSearchOperations
from ragkit.server.service.file_search_tool import FileSearchRetriever
from ragkit.server.service.reindex import check_embedder
from ragkit.server.service.vitals import ServiceVitals
from ragkit.server.tls import operator_certificate
from ragkit.server.web import web_router

__all__ = ["ServiceFactory", "close_content", "create_app", "open_content", "open_service"]

logger = logging.getLogger("ragkit.server")

#: Opens the service for a config and embedder; tests may substitute their own.
ServiceFactory = Callable[[ServerConfig, Embedder], RetrieverService]


def open_service(config: ServerConfig, embedder: Embedder) -> RetrieverService:
    """The real retriever service over ``config.data_dir`` (created if missing).

    Raises:
        RerankerUnavailableError: ``config.reranker`` is ``"e5"`` and e5 cannot run here.
    """
    config.data_dir.mkdir(parents=True, exist_ok=True)
    reranker = load_reranker(config.reranker, embedder_name=embedder.name)
    answerer = None
    if config.answerer is not None:
        from ragkit.server.models.llm_answerer import LLMAnswerer

        answerer = LLMAnswerer(embedder, config.answerer, timeout=config.answerer_timeout)
    return RetrieverService.open(
        config.data_dir,
        embedder=embedder,
        quotas=config.quotas,
        ranking=config.ranking,
        ann_threshold=config.ann_threshold,
        reindex=config.reindex,
        answerer=answerer,
        reranker=reranker,
        database_url=config.database_url,
    )


def open_content(
    state: ServerState, generation: GenerationService, loop: asyncio.AbstractEventLoop
) -> None:
    """Open files, cached contents and batch jobs over ``state.config.data_dir``, and let
    generation read files and caches; :func:`close_content` undoes it."""
    data_dir = state.config.data_dir
    url = state.config.database_url
    state.files = FileService.open(
        data_dir,
        max_file_bytes=state.config.max_file_bytes,
        quotas=state.config.quotas,
        database_url=url,
    )
    state.caches = CacheService.open(data_dir, files=state.files, database_url=url)
    models = GenerationBatchModels(generation, loop)
    state.batches = BatchService.open(data_dir, files=state.files, models=models, database_url=url)
    generation.resolver = StoredContent(state.files, state.caches)
    if state.service is not None:
        state.file_search = FileSearchOperations.open(state.service, state.files)
        generation.file_search = FileSearchRetriever(state.service)


def close_content(state: ServerState, generation: GenerationService) -> None:
    """Stop the batch worker first (it reads files), then close the stores."""
    generation.resolver = None
    generation.file_search = None
    if state.file_search is not None:
        state.file_search.close()
        state.file_search = None
    for service in (state.batches, state.caches, state.files):
        if service is not None:
            service.close()
    state.batches = state.caches = state.files = None


def _describe(config: ServerConfig, authenticator: Authenticator) -> str:
    auth = "single user" if authenticator.single_user else f"auth file {config.auth_file}"
    data = str(config.data_dir)
    if config.database_url is not None:
        from ragkit.server.store.postgres import redacted_url

        data = f"{redacted_url(config.database_url)}, files in {config.data_dir}"
    return (
        f"ragkit serve: Semantic Retrieval API at {config.base_url}/v1beta "
        f"(data {data}, embedder {config.embedder}, {auth}); "
        f"web app at {config.base_url}/"
    )


def _check_tls(config: ServerConfig) -> None:
    """Refuse an unusable operator certificate now, not when the gRPC front starts."""
    if config.grpc_port is None or config.grpc_plaintext or config.tls_cert_file is None:
        return
    assert config.tls_key_file is not None  # ServerConfig wants both or neither
    operator_certificate(config.tls_cert_file, config.tls_key_file)


def _logs_requests(log_level: str) -> bool:
    """Whether ``log_level`` lets the access log (INFO) through."""
    level = logging.getLevelName(log_level.upper())
    return not isinstance(level, int) or level <= logging.INFO


def _observe(state: ServerState, embedder: EmbeddingScheduler) -> RequestObserver:
    """The app's metrics (on ``state.metrics``) and the observer its fronts report to."""

    def vitals() -> ServiceVitals | None:
        service = state.service
        if service is None:
            return None
        try:
            return service.vitals()
        except (RuntimeError, sqlite3.Error, ApiError):  # closed under a scrape, or PG down
            return None

    state.metrics = ServerMetrics(
        state.config.embedder, embedder.load, lambda: embedder.stats, vitals
    )
    return RequestObserver(state.metrics, log_requests=_logs_requests(state.config.log_level))


def _check_postgres_installed() -> None:
    """Fail before anything listens when ``--database`` cannot work at all."""
    try:
        import pgvector.psycopg  # noqa: F401
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as error:
        raise ValueError(
            f"--database postgresql://... needs PostgreSQL support ({error}): "
            "pip install 'ragkit[postgres]'"
        ) from None


def create_app(config: ServerConfig, *, service_factory: ServiceFactory | None = None) -> FastAPI:
    """Build the app; the service opens when the app's lifespan starts.

    Raises:
        AuthFileError: ``config.auth_file`` is unreadable or invalid.
        ValueError: the operator's TLS certificate or key (``config.tls_cert_file``,
            ``tls_key_file``) is unreadable, not PEM, or mismatched.
        ValueError: ``config.embedder`` names no known embedder, or
            ``config.database_url`` is set without PostgreSQL support installed.
        EmbedderMismatchError: (a ``ValueError``) ``config.data_dir`` holds vectors of
            another embedder and ``config.reindex`` is not set.
        RerankerUnavailableError: (a ``ValueError``) ``config.reranker`` is ``"e5"`` and
            e5 cannot run here.
    """
    authenticator = Authenticator.from_file(config.auth_file)
    _check_tls(config)
    check_reranker(config.reranker)
    if config.database_url is not None:
        _check_postgres_installed()
    # Every model call goes through the scheduler: a priority lane for reads and a bounded
    # bulk lane for writes, each with its own copy of the model.
    embedder = EmbeddingScheduler(
        load_embedder(config.embedder),
        load_embedder(config.embedder, threads=bulk_threads()),
        queue_depth=config.embed_queue_depth,
    )
    if not config.reindex:
        check_embedder(config.data_dir, embedder, database_url=config.database_url)
    # Per process, like the GIL and the cores it shares out (ragkit.server.read_gate).
    configure_read_gate(config.read_slots)
    catalog = build_catalog(embedder, upstream=config.upstream, batch_methods=True)
    state = ServerState(
        config=config, authenticator=authenticator, catalog=catalog, embedder=embedder
    )
    factory = service_factory or open_service
    observer = _observe(state, embedder)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load model files now, so a broken install fails at startup, not on a request.
        await anyio.to_thread.run_sync(embedder.start)
        service = await anyio.to_thread.run_sync(factory, config, embedder)
        service.start_warming()
        if config.reindex and not service.start_reindex():
            logger.info("--reindex: the data is embedded with %s already", config.embedder)
        state.service = service
        generation = getattr(app.state, GENERATION_STATE)
        loop = asyncio.get_running_loop()
        await anyio.to_thread.run_sync(open_content, state, generation, loop)
        logger.info("%s", _describe(config, authenticator))
        try:
            if config.grpc_port is not None:
                # Imported here: REST-only servers never load grpc and the protos.
                from ragkit.server.grpc import start_grpc

                state.grpc = await start_grpc(app, config, observer=observer)
            yield
        finally:
            if state.grpc is not None:
                await state.grpc.front.stop()
                state.grpc = None
            await anyio.to_thread.run_sync(close_content, state, generation)
            state.service = None
            await anyio.to_thread.run_sync(service.close)
            await getattr(app.state, GENERATION_STATE).aclose()
            await anyio.to_thread.run_sync(embedder.close)

    app = FastAPI(
        title="ragkit Semantic Retrieval API",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # Google answers a trailing slash with 404, not a redirect to another URL.
        redirect_slashes=False,
    )
    app.state.ragkit = state
    # Tests may replace it (e.g. with an upstream on a mock transport) before startup.
    setattr(
        app.state,
        GENERATION_STATE,
        GenerationService(catalog, embedder, upstream=config.upstream),
    )
    app.add_middleware(DisconnectMiddleware)
    app.add_middleware(ApiVersionMiddleware)
    app.add_middleware(PartialResponseMiddleware)
    install_error_handlers(app)
    app.add_middleware(HeadAsGetMiddleware)
    # Outermost, so an oversized body is refused before anything else reads it.
    app.add_middleware(BodyLimitMiddleware, limit=config.max_request_bytes)
    # Outermost of all: it times and logs every answer, a refused body's included.
    app.add_middleware(AccessMiddleware, observer=observer)
    app.include_router(api_router())
    app.include_router(web_router())
    return app
