"""``ragkit serve``: run the self-hosted Semantic Retrieval API.

ragkit serve --data-dir ./data                      # http://127.0.0.1:8080/v1beta
ragkit serve --data-dir ./data --auth-file auth.toml --embedder hash --port 9000
ragkit serve --data-dir ./data --upstream openai:http://127.0.0.1:8000/v1 --upstream-model llama3
RAGKIT_UPSTREAM_KEY=... ragkit serve --data-dir ./data --upstream google
ragkit serve --data-dir ./data --max-file-bytes 104857600  # files up to 100 MiB
ragkit serve --data-dir ./data --embedder hash --reindex  # switch embedders while serving
ragkit serve --data-dir ./data --grpc-port 50051 --tls-name myhost  # gRPC over TLS (default)
ragkit serve --data-dir ./data --embed-queue-depth 4       # at most 4 chunk writes embedding
ragkit serve --data-dir ./data --log-format json           # JSON log lines; metrics at /metrics
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ragkit import limits
from ragkit.cli._args import (
    LOG_LEVELS,
    file_size,
    non_negative,
    port_number,
    positive,
    quota,
    seconds,
)

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the self-hosted Semantic Retrieval API",
        description="Serve Google's v1beta Semantic Retrieval API (corpora, documents, "
        "chunks, permissions, models/aqa:generateAnswer) over HTTP, and over gRPC (TLS) for "
        "Google's gRPC clients.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default %(default)s)"
    )
    serve.add_argument(
        "--port", type=port_number, default=8080, help="TCP port (default %(default)s)"
    )
    serve.add_argument(
        "--data-dir", type=Path, required=True, help="where data lives; created if missing"
    )
    serve.add_argument(
        "--auth-file",
        type=Path,
        help="TOML file of [[principal]] tables (email, groups, api_keys, bearer_tokens); "
        "without it the server is single-user and accepts any credentials",
    )
    serve.add_argument(
        "--embedder",
        default="minilm",
        help="minilm (default), wordllama, hash or hash:DIM",
    )
    serve.add_argument(
        "--max-corpora",
        type=quota,
        default=limits.MAX_CORPORA_PER_PROJECT,
        help="corpora each user may create (default %(default)s, Google's per-project "
        "quota; 0 = unlimited)",
    )
    serve.add_argument(
        "--max-documents-per-corpus",
        type=quota,
        default=limits.MAX_DOCUMENTS_PER_CORPUS,
        help="documents per corpus (default %(default)s; 0 = unlimited)",
    )
    serve.add_argument(
        "--max-chunks-per-corpus",
        type=quota,
        default=limits.MAX_CHUNKS_PER_CORPUS,
        help="chunks per corpus (default %(default)s; 0 = unlimited)",
    )
    serve.add_argument(
        "--upstream",
        metavar="SPEC",
        help="forward models not served locally: google or google:URL (key from "
        "--upstream-key), google:KEY, or openai:URL (an OpenAI-compatible /v1 endpoint; "
        "needs --upstream-model)",
    )
    serve.add_argument(
        "--upstream-key",
        metavar="KEY",
        default=os.environ.get("RAGKIT_UPSTREAM_KEY"),
        help="API key for the upstream (default: $RAGKIT_UPSTREAM_KEY, which keeps it out "
        "of the process list)",
    )
    serve.add_argument(
        "--upstream-model", metavar="NAME", help="model the OpenAI-compatible upstream runs"
    )
    serve.add_argument(
        "--ranking",
        choices=("dense", "bm25", "hybrid"),
        default=None,
        help="how queries rank chunks: dense (default: embedding cosine), bm25 (keywords) "
        "or hybrid (0.8 x cosine + 0.2 x BM25); see bench/RESULTS.md",
    )
    serve.add_argument(
        "--max-file-bytes",
        type=file_size,
        default=limits.MAX_FILE_BYTES,
        metavar="N",
        help="largest file the Files API accepts, in bytes (default and maximum "
        "%(default)s, Google's 2 GB)",
    )
    serve.add_argument(
        "--log-level", choices=LOG_LEVELS, default="info", help="log detail (default info)"
    )
    serve.add_argument(
        "--reindex",
        action="store_true",
        help="if --data-dir was embedded by another embedder, keep serving its vectors while "
        "re-embedding every chunk with --embedder in the background (progress in the log; "
        "stopping and restarting resumes), then switch; without it such data is refused",
    )
    serve.add_argument(
        "--grpc-port",
        type=port_number,
        default=50051,
        help="TCP port of the gRPC front, for Google's gRPC clients (default %(default)s)",
    )
    serve.add_argument("--no-grpc", action="store_true", help="serve REST only")
    serve.add_argument(
        "--grpc-plaintext",
        action="store_true",
        help="serve gRPC without TLS (clients must open insecure channels)",
    )
    serve.add_argument(
        "--tls-cert",
        type=Path,
        metavar="PEM",
        help="certificate chain the gRPC front presents (with --tls-key); default: one "
        "signed by a local CA made in DATA_DIR/tls",
    )
    serve.add_argument("--tls-key", type=Path, metavar="PEM", help="private key of --tls-cert")
    serve.add_argument(
        "--tls-name",
        action="append",
        default=[],
        metavar="NAME",
        help="host name or IP the generated certificate covers besides localhost, "
        "127.0.0.1 and ::1 (repeatable)",
    )
    serve.add_argument(
        "--max-request-bytes",
        type=positive,
        default=limits.DEFAULT_MAX_REQUEST_BYTES,
        metavar="N",
        help="largest request body, refused while it is read (default %(default)s = 64 MiB, "
        "above a batchCreate of 100 largest chunks; file uploads use --max-file-bytes)",
    )
    serve.add_argument(
        "--header-timeout",
        type=seconds,
        default=limits.DEFAULT_HEADER_TIMEOUT,
        metavar="S",
        help="seconds a connection has to send a request's headers (default %(default)s)",
    )
    serve.add_argument(
        "--body-timeout",
        type=seconds,
        default=limits.DEFAULT_BODY_TIMEOUT,
        metavar="S",
        help="seconds a request body may stall between reads (default %(default)s)",
    )
    serve.add_argument(
        "--max-connections",
        type=positive,
        default=limits.DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="open connections at most; more are answered 503 (default %(default)s; keep "
        "it under ulimit -n)",
    )
    serve.add_argument(
        "--max-file-bytes-per-user",
        type=quota,
        default=limits.MAX_FILE_STORAGE_BYTES,
        metavar="N",
        help="bytes of files each user may store, open uploads included (default "
        "%(default)s = 20 GiB, Google's per-project quota; 0 = unlimited)",
    )
    serve.add_argument(
        "--max-upload-sessions-per-user",
        type=quota,
        default=limits.MAX_OPEN_UPLOAD_SESSIONS,
        metavar="N",
        help="unfinished resumable uploads each user may hold open (default %(default)s; "
        "0 = unlimited)",
    )
    add_answerer_arguments(serve)
    serve.add_argument(
        "--embed-queue-depth",
        type=positive,
        metavar="N",
        help="chunk-write requests whose embedding may be running or waiting at once; one "
        "more gets 429 RESOURCE_EXHAUSTED with Retry-After (default 8); queries and answers "
        "never wait in this queue",
    )
    serve.add_argument(
        "--ann-threshold",
        type=non_negative,
        default=None,
        metavar="N",
        help="corpora with at least N chunks are searched through an approximate HNSW "
        "index, built in the background (default 50000; 0 = always exact search)",
    )
    serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines as text (default) or as one JSON object each; every request is "
        "logged with its latency (logger ragkit.access)",
    )
    serve.add_argument(
        "--max-file-search-stores",
        type=quota,
        default=limits.MAX_FILE_SEARCH_STORES_PER_PROJECT,
        metavar="N",
        help="File Search stores each user may create (default %(default)s, Google's "
        "per-project quota; 0 = unlimited)",
    )
    serve.add_argument(
        "--database",
        metavar="URL",
        default=os.environ.get("RAGKIT_DATABASE_URL") or None,
        help="keep the data in PostgreSQL (with pgvector) instead of SQLite files in "
        "--data-dir: postgresql://user:password@host:5432/dbname (default "
        "$RAGKIT_DATABASE_URL; needs pip install 'ragkit[postgres]'); file blobs stay in "
        "--data-dir",
    )
    serve.add_argument(
        "--read-slots",
        type=non_negative,
        default=0,
        metavar="N",
        help="queries and answers whose CPU work runs at once; the rest wait in arrival "
        "order, queries before answers (default 0: one per usable CPU)",
    )
    serve.set_defaults(handler=_run_serve, command_parser=serve)


def add_answerer_arguments(parser: argparse.ArgumentParser) -> None:
    """``--answerer``, ``--answerer-model``, ``--answerer-timeout``, ``--reranker``: shared
    by ``serve``, ``ask`` and ``chat``."""
    parser.add_argument(
        "--answerer",
        metavar="SPEC",
        help="compose generateAnswer's answers with a language model: openai:URL (an "
        "OpenAI-compatible /v1 endpoint: Ollama, vLLM, llama.cpp, OpenAI; needs "
        "--answerer-model) or google / google:KEY (Gemini; key as for --upstream, from "
        "$RAGKIT_UPSTREAM_KEY). Retrieval and answerability stay local; when the model "
        "fails, the local answerer answers",
    )
    parser.add_argument(
        "--answerer-model", metavar="NAME", help="the answer model's name (google: "
        "default gemini-2.5-flash)"
    )  # fmt: skip
    parser.add_argument(
        "--answerer-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="wait this long for the answer model before answering locally (default 60)",
    )
    parser.add_argument(
        "--reranker",
        choices=("auto", "e5", "none"),
        default=None,
        help="what orders the retrieved passages an answer grounds on: e5 "
        "(multilingual-e5-small's opinion fused with retrieval, on every answer; pip "
        "install 'ragkit[rerank]'), auto (e5 where it can run, for answers that arrive "
        "while no other read waits; not beside --embedder hash) or none (retrieval "
        "order). Default: none for serve, auto for ask and chat",
    )


def answerer_from_args(
    args: argparse.Namespace, *, default_reranker: str | None = None
) -> dict[str, Any]:
    """``answerer``, ``answerer_timeout`` and ``reranker`` keywords for ServerConfig from
    the flags (``reranker``: ``default_reranker`` when ``--reranker`` is not given, or
    ServerConfig's own default when that is ``None`` too).

    Raises:
        ValueError: a bad ``--answerer`` spec, a missing model or key.
    """
    from ragkit.server.config import answerer_config

    spec = getattr(args, "answerer", None)
    timeout = getattr(args, "answerer_timeout", None)
    reranker = getattr(args, "reranker", None) or default_reranker
    reranking: dict[str, Any] = {} if reranker is None else {"reranker": reranker}
    if not spec:
        if timeout is not None or getattr(args, "answerer_model", None):
            raise ValueError("--answerer-model and --answerer-timeout need --answerer")
        return reranking
    key = getattr(args, "upstream_key", None) or os.environ.get("RAGKIT_UPSTREAM_KEY")
    options: dict[str, Any] = {
        "answerer": answerer_config(spec, api_key=key, model=args.answerer_model),
        **reranking,
    }
    if timeout is not None:
        options["answerer_timeout"] = timeout
    return options


def _run_serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ragkit.server.app import create_app
    from ragkit.server.auth import AuthFileError
    from ragkit.server.config import ServerConfig, UpstreamConfig
    from ragkit.server.runner import serve
    from ragkit.server.service.quotas import Quotas

    if args.data_dir.exists() and not args.data_dir.is_dir():
        parser.exit(2, f"ragkit serve: error: --data-dir {args.data_dir} is not a directory\n")
    try:
        upstream = (
            UpstreamConfig.parse(
                args.upstream, api_key=args.upstream_key, model=args.upstream_model
            )
            if args.upstream
            else None
        )
        config = ServerConfig(
            data_dir=args.data_dir,
            auth_file=args.auth_file,
            embedder=args.embedder,
            quotas=Quotas(
                max_corpora=args.max_corpora,
                max_documents_per_corpus=args.max_documents_per_corpus,
                max_chunks_per_corpus=args.max_chunks_per_corpus,
                max_file_bytes_per_user=args.max_file_bytes_per_user,
                max_upload_sessions_per_user=args.max_upload_sessions_per_user,
                max_file_search_stores=args.max_file_search_stores,
            ),
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            upstream=upstream,
            max_file_bytes=args.max_file_bytes,
            max_request_bytes=args.max_request_bytes,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            max_connections=args.max_connections,
            reindex=args.reindex,
            grpc_port=None if args.no_grpc else args.grpc_port,
            grpc_plaintext=args.grpc_plaintext,
            tls_cert_file=args.tls_cert,
            tls_key_file=args.tls_key,
            tls_names=tuple(args.tls_name),
            **({"ranking": args.ranking} if args.ranking else {}),
            # A shared server answers in retrieval order unless told otherwise: e5 costs
            # more CPU than the rest of an answer (README, "A second opinion on answers").
            **answerer_from_args(args, default_reranker="none"),
            **({"embed_queue_depth": args.embed_queue_depth} if args.embed_queue_depth else {}),
            **({"ann_threshold": args.ann_threshold} if args.ann_threshold is not None else {}),
            log_format=args.log_format,
            database_url=args.database,
            read_slots=args.read_slots,
        )
        app = create_app(config)
    except (AuthFileError, ValueError) as exc:
        parser.exit(2, f"ragkit serve: error: {exc}\n")
    serve(app, config)
    return 0
