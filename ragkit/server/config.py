"""Everything ``ragkit serve`` can be told, in one immutable value.

:class:`ServerConfig` is built by the CLI from flags, or directly by code that embeds the
server (tests run the app in-process with ``create_app(ServerConfig(data_dir=tmp,
embedder="hash"))``). Nothing here touches the disk or loads a model; the app does that
when it starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ragkit import limits
from ragkit.server.lexical_index import (
    DEFAULT_RANKING,
    RANKINGS,
    Ranking,
    postgres_ranking_problem,
)
from ragkit.server.models.reranker import RERANKERS
from ragkit.server.models.scheduler import DEFAULT_QUEUE_DEPTH
from ragkit.server.service.quotas import Quotas
from ragkit.server.tiered_index import DEFAULT_ANN_THRESHOLD

__all__ = [
    "DEFAULT_EMBED_QUEUE_DEPTH",
    "DEFAULT_GRPC_PORT",
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_HOST",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_PORT",
    "GOOGLE_API_BASE_URL",
    "ServerConfig",
    "UpstreamConfig",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
#: Chunk-write requests whose embedding may be queued or running at once (``ServerConfig``).
DEFAULT_EMBED_QUEUE_DEPTH = DEFAULT_QUEUE_DEPTH
#: Port of the gRPC front under ``ragkit serve`` (the customary gRPC port).
DEFAULT_GRPC_PORT = 50051
GOOGLE_API_BASE_URL = "https://generativelanguage.googleapis.com"
DEFAULT_HEADER_TIMEOUT = limits.DEFAULT_HEADER_TIMEOUT
DEFAULT_BODY_TIMEOUT = limits.DEFAULT_BODY_TIMEOUT
DEFAULT_MAX_CONNECTIONS = limits.DEFAULT_MAX_CONNECTIONS


@dataclass(frozen=True)
class UpstreamConfig:
    """Where requests for models the server does not serve locally are forwarded.

    Attributes:
        kind: ``"google"`` (Google's Generative Language API: requests pass through
            unchanged, with ``api_key`` as ``x-goog-api-key``) or ``"openai"`` (an
            OpenAI-compatible ``/v1`` endpoint such as llama.cpp or vLLM:
            ``generateContent`` is translated to ``chat/completions``).
        base_url: ``https://generativelanguage.googleapis.com`` for Google; the ``/v1``
            URL for OpenAI-compatible servers (``http://127.0.0.1:8000/v1``).
        api_key: The operator's key; required for Google, optional for OpenAI.
        model: The model the OpenAI-compatible server runs (its ``model`` field); required
            for ``"openai"``, unused for Google.
    """

    kind: Literal["google", "openai"]
    base_url: str
    api_key: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("google", "openai"):
            raise ValueError(f"upstream kind must be 'google' or 'openai', got {self.kind!r}.")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"upstream URL must start with http:// or https://: {self.base_url}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.kind == "google" and not self.api_key:
            raise ValueError("a Google upstream needs an API key (google:KEY or --upstream-key).")
        if self.kind == "openai" and not self.model:
            raise ValueError("an OpenAI-compatible upstream needs a model (--upstream-model).")

    @classmethod
    def parse(
        cls, spec: str, *, api_key: str | None = None, model: str | None = None
    ) -> UpstreamConfig:
        """Read ``google`` (key from ``api_key``), ``google:KEY``, ``google:URL`` or
        ``openai:URL`` (the ``--upstream`` flag).

        Raises:
            ValueError: an unknown kind, a bad URL, or a missing key/model.
        """
        kind, sep, rest = spec.partition(":")
        if spec == "google":
            return cls("google", GOOGLE_API_BASE_URL, api_key=api_key)
        if not sep or not rest:
            raise ValueError(
                f"--upstream must be google, google:KEY, google:URL or openai:URL, got {spec!r}."
            )
        if kind == "google":
            if rest.startswith(("http://", "https://")):
                return cls("google", rest, api_key=api_key)
            return cls("google", GOOGLE_API_BASE_URL, api_key=rest)
        if kind == "openai":
            return cls("openai", rest, api_key=api_key, model=model)
        raise ValueError(f"unknown upstream kind {kind!r}; use google or openai.")


#: The Gemini model ``--answerer google`` uses when ``--answerer-model`` is not given.
DEFAULT_GOOGLE_ANSWER_MODEL = "gemini-2.5-flash"
#: Seconds generateAnswer waits for the answer model before answering locally.
DEFAULT_ANSWERER_TIMEOUT = 60.0


def answerer_config(
    spec: str, *, api_key: str | None = None, model: str | None = None
) -> UpstreamConfig:
    """The answer model of ``--answerer SPEC``: ``openai:URL`` (needs ``model``), ``google``
    (key from ``api_key``, as for ``--upstream``), ``google:KEY`` or ``google:URL``; a
    Google model defaults to :data:`DEFAULT_GOOGLE_ANSWER_MODEL`.

    Raises:
        ValueError: as :meth:`UpstreamConfig.parse`, worded for ``--answerer``.
    """
    try:
        config = UpstreamConfig.parse(spec, api_key=api_key, model=model)
    except ValueError as error:
        raise ValueError(
            f"--answerer: {error}".replace("--upstream-model", "--answerer-model").replace(
                "--upstream must", "it must"
            )
        ) from None
    if config.kind == "google":
        return UpstreamConfig(
            "google",
            config.base_url,
            api_key=config.api_key,
            model=model or DEFAULT_GOOGLE_ANSWER_MODEL,
        )
    return config


@dataclass(frozen=True)
class ServerConfig:
    """How to run the self-hosted Semantic Retrieval API.

    Attributes:
        data_dir: Where corpora, documents, chunks and vectors live; created if missing.
        auth_file: TOML file of principals and their credentials (see
            :mod:`ragkit.server.auth`); ``None`` serves a single local user and accepts
            any or no credentials.
        embedder: Embedder spec for :func:`ragkit.server.models.embedding.load_embedder`:
            ``"minilm"`` (default), ``"wordllama"``, ``"hash"`` or ``"hash:DIM"``.
        quotas: Capacity quotas, per principal (corpora, file storage, open upload
            sessions) and per corpus (documents, chunks); each principal plays Google's
            "project". Defaults are Google's limits.
        host: Interface uvicorn binds to.
        port: TCP port uvicorn binds to (``0`` picks a free one).
        log_level: uvicorn/ragkit log level name (``"info"``, ``"warning"``...).
        upstream: Where to forward requests for models not served locally (``None``:
            such requests answer NOT_FOUND/UNIMPLEMENTED).
        ranking: How queries rank chunks: ``"dense"`` (embedding cosine), ``"bm25"``
            (keywords) or ``"hybrid"`` (both); see :mod:`ragkit.server.lexical_index`.
        max_file_bytes: The largest file the Files API accepts, in bytes (1 to Google's
            2 GB, :data:`ragkit.limits.MAX_FILE_BYTES`, the default).
        ann_threshold: Corpora with at least this many chunks are searched through an
            approximate HNSW index (built in the background; exact search answers until it
            is ready); smaller ones exactly. ``0`` keeps every corpus exact. See
            :mod:`ragkit.server.tiered_index`.
        reindex: If the data was embedded by another embedder than ``embedder``, serve it
            with its own embedder while re-embedding everything with ``embedder`` in the
            background, then switch (``ragkit serve --reindex``). Without it, such data
            is refused at startup.
        embed_queue_depth: Chunk-write requests whose embedding may be running or waiting
            at once; one more is answered 429 RESOURCE_EXHAUSTED with ``Retry-After`` (see
            :mod:`ragkit.server.models.scheduler`). Queries never wait in this queue.
        grpc_port: TCP port of the gRPC front, on ``host`` (``0`` picks a free one);
            ``None`` (the default here; ``ragkit serve`` uses :data:`DEFAULT_GRPC_PORT`)
            serves REST only. See :mod:`ragkit.server.grpc`.
        grpc_plaintext: Serve gRPC without TLS (for clients that ask for an insecure
            channel); by default it is TLS only.
        tls_cert_file: PEM certificate chain the gRPC front presents (with
            ``tls_key_file``); without them the server makes a local CA and a certificate
            under ``DATA_DIR/tls`` (:mod:`ragkit.server.tls`).
        tls_key_file: PEM private key of ``tls_cert_file``.
        tls_names: Host names or IP addresses the generated certificate covers besides
            ``localhost``, ``127.0.0.1`` and ``::1``.
        max_request_bytes: The largest request body, in bytes, enforced while the body is
            read (default :data:`ragkit.limits.DEFAULT_MAX_REQUEST_BYTES`, 64 MiB, above a
            batchCreate of 100 largest chunks); media uploads have ``max_file_bytes``.
        header_timeout: Seconds a connection has to send a request's line and headers,
            from its first byte (or the end of the previous response); then it is closed.
        body_timeout: Seconds a request body may pause between two reads before the
            connection is closed (time the app itself spends not reading does not count).
        max_connections: Open connections the server holds at most; one more is answered
            503 UNAVAILABLE and closed at once.
        answerer: The language model that composes generateAnswer's answers from the
            retrieved passages (see :mod:`ragkit.server.models.llm_answerer`); ``None``:
            the local extractive answerer.
        answerer_timeout: Seconds to wait for ``answerer`` before answering locally.
        reranker: What orders the retrieved passages generateAnswer grounds on:
            ``"auto"`` (e5 where it can run, beside any embedder but ``hash``, for answers
            that arrive while no other read waits: the default here, which the embedded
            default and ``ragkit ask``/``chat`` use), ``"e5"`` (on every answer;
            ``pip install 'ragkit[rerank]'``) or ``"none"`` (retrieval order: what
            ``ragkit serve`` uses unless told otherwise); see
            :mod:`ragkit.server.models.reranker`.
        log_format: ``"text"`` or ``"json"``: how :func:`ragkit.server.runner.serve` writes
            the process's log lines, the access log's included (:mod:`ragkit.server.logs`).
        database_url: ``postgresql://user:password@host/dbname``: keep corpora, documents,
            chunks, files' metadata, cached contents and batches in that PostgreSQL
            database (with pgvector; ``pip install 'ragkit[postgres]'``) instead of SQLite
            files in ``data_dir`` (which still holds file blobs and TLS material). See
            :mod:`ragkit.server.store.postgres`.
        read_slots: Queries and answers whose CPU work may run at once; the others wait
            in arrival order, queries before answers (:mod:`ragkit.server.read_gate`).
            ``0``: one per usable CPU.
    """

    data_dir: Path
    auth_file: Path | None = None
    embedder: str = "minilm"
    quotas: Quotas = field(default_factory=Quotas)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    log_level: str = "info"
    upstream: UpstreamConfig | None = None
    ranking: Ranking = DEFAULT_RANKING
    max_file_bytes: int = limits.MAX_FILE_BYTES
    ann_threshold: int = DEFAULT_ANN_THRESHOLD
    reindex: bool = False
    embed_queue_depth: int = DEFAULT_EMBED_QUEUE_DEPTH
    grpc_port: int | None = None
    grpc_plaintext: bool = False
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_names: tuple[str, ...] = ()
    max_request_bytes: int = limits.DEFAULT_MAX_REQUEST_BYTES
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    answerer: UpstreamConfig | None = None
    answerer_timeout: float = DEFAULT_ANSWERER_TIMEOUT
    reranker: str = "auto"
    log_format: str = "text"
    database_url: str | None = None
    read_slots: int = 0

    def __post_init__(self) -> None:
        # Accept plain strings from callers; store Paths so everything downstream agrees.
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if self.auth_file is not None:
            object.__setattr__(self, "auth_file", Path(self.auth_file))
        if not 0 <= self.port <= 65_535:
            raise ValueError(f"port must be in 0..65535, got {self.port}.")
        if self.ranking not in RANKINGS:
            raise ValueError(f"ranking must be one of {', '.join(RANKINGS)}, got {self.ranking!r}.")
        if self.reranker not in RERANKERS:
            raise ValueError(f"reranker must be auto, e5 or none, got {self.reranker!r}.")
        if not self.answerer_timeout > 0:
            raise ValueError(f"answerer_timeout must be positive, got {self.answerer_timeout}.")
        if not 0 < self.max_file_bytes <= limits.MAX_FILE_BYTES:
            raise ValueError(
                f"max_file_bytes must be in 1..{limits.MAX_FILE_BYTES}, got {self.max_file_bytes}."
            )
        if self.embed_queue_depth < 1:
            raise ValueError(f"embed_queue_depth must be >= 1, got {self.embed_queue_depth}.")
        if self.read_slots < 0:
            raise ValueError(f"read_slots must be >= 0, got {self.read_slots}.")
        if self.log_format not in ("text", "json"):
            raise ValueError(f"log_format must be text or json, got {self.log_format!r}.")
        self._check_grpc()
        self._check_listening()
        if self.database_url is not None and not self.database_url.startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError(
                "database_url must be a PostgreSQL URL (postgresql://user@host/dbname), got"
                f" one starting {self.database_url.partition(':')[0]!r}."
            )
        if self.database_url is not None:
            problem = postgres_ranking_problem(self.ranking)
            if problem is not None:
                raise ValueError(problem)

    def _check_grpc(self) -> None:
        if self.grpc_port is not None and not 0 <= self.grpc_port <= 65_535:
            raise ValueError(f"grpc_port must be in 0..65535, got {self.grpc_port}.")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("a TLS certificate needs its key: give both files, or neither.")
        for attribute in ("tls_cert_file", "tls_key_file"):
            value = getattr(self, attribute)
            if value is not None:
                object.__setattr__(self, attribute, Path(value))
        object.__setattr__(self, "tls_names", tuple(self.tls_names))

    def _check_listening(self) -> None:
        if self.max_request_bytes < 1:
            raise ValueError(f"max_request_bytes must be at least 1, got {self.max_request_bytes}.")
        for name in ("header_timeout", "body_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds.")
        if self.max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {self.max_connections}.")
        if self.ann_threshold < 0:
            raise ValueError(f"ann_threshold must be 0 or more, got {self.ann_threshold}.")

    @property
    def base_url(self) -> str:
        """The URL clients use, e.g. ``http://127.0.0.1:8080``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"
