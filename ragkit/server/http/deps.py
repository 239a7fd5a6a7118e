"""FastAPI dependencies: the running server's parts and the calling principal.

Routes declare what they need with the ``Annotated`` aliases below (``service: Service``,
``who: Caller``...); everything lives on ``app.state.ragkit`` (a :class:`ServerState`),
put there by :func:`ragkit.server.app.create_app`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from ragkit.server.auth import Authenticator, Credentials
from ragkit.server.batches import BatchService
from ragkit.server.caching import CacheService
from ragkit.server.catalog import ModelCatalog
from ragkit.server.config import ServerConfig
from ragkit.server.errors import internal, unauthenticated
from ragkit.server.media import FileService
from ragkit.server.models.embedding import Embedder
from ragkit.server.principal import LOCAL_USER, Principal
from ragkit.server.service import RetrieverService
from ragkit.server.service.file_search_ops import FileSearchOperations

if TYPE_CHECKING:
    from ragkit.server.grpc import RunningGrpc
    from ragkit.server.metrics import ServerMetrics

__all__ = [
    "Batches",
    "Caches",
    "Caller",
    "Catalog",
    "EmbedderDep",
    "Files",
    "Service",
    "ServerState",
    "credentials_of",
    "server_state",
]


@dataclass
class ServerState:
    """What a running app holds; the services are set while the lifespan is open."""

    config: ServerConfig
    authenticator: Authenticator
    catalog: ModelCatalog
    embedder: Embedder
    service: RetrieverService | None = None
    files: FileService | None = None
    caches: CacheService | None = None
    batches: BatchService | None = None
    #: The gRPC front, while it runs (``ServerConfig.grpc_port`` set).
    grpc: RunningGrpc | None = None
    #: The app's Prometheus metrics (``GET /metrics``).
    metrics: ServerMetrics | None = None
    #: The worker running File Search import/upload operations.
    file_search: FileSearchOperations | None = None


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.ragkit
    return state


def _service(request: Request) -> RetrieverService:
    service = server_state(request).service
    if service is None:
        # Only reachable when the app is driven without its lifespan (a wiring bug).
        raise internal("The retriever service is not running.")
    return service


def _files(request: Request) -> FileService:
    files = server_state(request).files
    if files is None:
        raise internal("The files service is not running.")
    return files


def _caches(request: Request) -> CacheService:
    caches = server_state(request).caches
    if caches is None:
        raise internal("The cachedContents service is not running.")
    return caches


def _batches(request: Request) -> BatchService:
    batches = server_state(request).batches
    if batches is None:
        raise internal("The batches service is not running.")
    return batches


def credentials_of(request: Request) -> Credentials:
    """Every API key and bearer token a request carries, wherever Google allows them.

    All of them are checked (a bogus ``?key=`` beside a valid ``x-goog-api-key`` is as
    unauthenticated as the bogus key alone).

    Raises:
        ApiError: UNAUTHENTICATED for an ``Authorization`` header that is not ``Bearer``.
    """
    query = request.query_params
    keys = [request.headers.get("x-goog-api-key"), *query.getlist("key")]
    tokens = [*query.getlist("access_token"), *query.getlist("oauth_token")]
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise unauthenticated(
                "Request had invalid authentication credentials: the Authorization header "
                "must be 'Bearer <token>'."
            )
        tokens.insert(0, value.strip())
    api_keys = list(dict.fromkeys(k for k in keys if k))
    bearer_tokens = list(dict.fromkeys(t for t in tokens if t))
    return Credentials(
        api_key=api_keys[0] if api_keys else None,
        bearer_token=bearer_tokens[0] if bearer_tokens else None,
        more_api_keys=tuple(api_keys[1:]),
        more_bearer_tokens=tuple(bearer_tokens[1:]),
    )


def _caller(request: Request) -> Principal:
    authenticator = server_state(request).authenticator
    if authenticator.single_user:
        # Single-user mode accepts any credentials, even ones it could not parse.
        return LOCAL_USER
    return authenticator.authenticate(credentials_of(request))


def _catalog(request: Request) -> ModelCatalog:
    return server_state(request).catalog


def _embedder(request: Request) -> Embedder:
    return server_state(request).embedder


#: The retriever service of the running app.
Service = Annotated[RetrieverService, Depends(_service)]
#: The authenticated principal making the request.
Caller = Annotated[Principal, Depends(_caller)]
#: The models the server serves.
Catalog = Annotated[ModelCatalog, Depends(_catalog)]
#: The embedder the retriever uses (also behind ``embedContent``).
EmbedderDep = Annotated[Embedder, Depends(_embedder)]
#: The Files API (uploads, stored files, their text).
Files = Annotated[FileService, Depends(_files)]
#: Cached contents.
Caches = Annotated[CacheService, Depends(_caches)]
#: Batch jobs.
Batches = Annotated[BatchService, Depends(_batches)]
