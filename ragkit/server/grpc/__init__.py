"""The gRPC front of ``ragkit serve``: Google's clients with their default transport.

Google's client libraries (the GAPIC ``google-ai-generativelanguage`` clients, sync and
``grpc_asyncio``, ``google-generativeai`` and what is built on them) talk gRPC over TLS by
default. This front serves every v1beta and v1 method of Google's published protos by
transcoding it to the REST front, in-process, so both fronts share one service layer,
one authenticator, one set of limits and errors (:mod:`ragkit.server.grpc.front`).

:func:`start_grpc` is called by the app's lifespan when ``ServerConfig.grpc_port`` is
set; TLS material comes from :mod:`ragkit.server.tls`.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import anyio.to_thread
import grpc

from ragkit.server.config import ServerConfig
from ragkit.server.grpc.asgi import AsgiApp
from ragkit.server.http.access import RequestObserver
from ragkit.server.tls import TlsFiles, local_certificate, operator_certificate

with warnings.catch_warnings():
    # google.api_core warns, on import, about Python versions it will stop supporting.
    warnings.simplefilter("ignore", FutureWarning)
    from ragkit.server.grpc.front import GrpcFront
    from ragkit.server.grpc.methods import GrpcMethod, load_methods

__all__ = ["GrpcFront", "RunningGrpc", "start_grpc", "tls_files"]

logger = logging.getLogger("ragkit.server")


@dataclass(frozen=True)
class RunningGrpc:
    """A started gRPC front: where it listens and the CA clients should trust."""

    front: GrpcFront
    host: str
    port: int
    tls: TlsFiles | None

    @property
    def target(self) -> str:
        """``HOST:PORT`` as grpc channels take it (``127.0.0.1:50051``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """``grpcs://HOST:PORT`` (``grpc://`` in plaintext mode)."""
        return f"{'grpc' if self.tls is None else 'grpcs'}://{self.target}"

    def describe(self) -> list[str]:
        """The lines printed at startup: the address and how to trust it."""
        lines = [f"ragkit serve: gRPC (v1beta, v1) at {self.url}"]
        if self.tls is not None and self.tls.ca is not None:
            lines.append(
                "ragkit serve: for Google's gRPC clients to trust it: "
                f"export GRPC_DEFAULT_SSL_ROOTS_FILE_PATH={self.tls.ca.resolve()}"
            )
        return lines


def tls_files(config: ServerConfig) -> TlsFiles | None:
    """The certificate the gRPC front presents: the operator's (``tls_cert_file`` and
    ``tls_key_file``), else the local CA's under ``DATA_DIR/tls`` (made on first use);
    ``None`` in plaintext mode.

    Raises:
        ValueError: the operator's files are unreadable or not PEM.
    """
    if config.grpc_plaintext:
        return None
    if config.tls_cert_file is not None and config.tls_key_file is not None:
        return operator_certificate(config.tls_cert_file, config.tls_key_file)
    return local_certificate(config.data_dir / "tls", config.tls_names)


async def start_grpc(
    app: AsgiApp, config: ServerConfig, *, observer: RequestObserver | None = None
) -> RunningGrpc:
    """Start the gRPC front of ``app`` on ``config.host:config.grpc_port``; finished calls
    go to ``observer`` (metrics and the access log).

    Raises:
        ValueError: unusable TLS files.
        RuntimeError: the port cannot be bound.
    """
    assert config.grpc_port is not None
    tls = await anyio.to_thread.run_sync(tls_files, config)
    methods: dict[str, GrpcMethod] = await anyio.to_thread.run_sync(load_methods)
    front = GrpcFront(app, methods, observer=observer)
    credentials = None
    if tls is not None:
        key, chain = tls.read()
        credentials = grpc.ssl_server_credentials([(key, chain)])
    port = await front.start(config.host, config.grpc_port, credentials)
    running = RunningGrpc(front=front, host=config.host, port=port, tls=tls)
    for line in running.describe():
        logger.info("%s", line)
    return running
