"""The embedded default: ragkit's server running inside this process.

:class:`EmbeddedServer` starts the same app as ``ragkit serve`` on a free loopback port, in
a background thread, so a script needs nothing else running::

    with EmbeddedServer(".ragkit") as server:
        client = ragkit.Client(base_url=server.base_url)
        client.corpora.create(display_name="Docs")

The server speaks real HTTP on 127.0.0.1, so the clients, streaming and Google's own
libraries behave exactly as against a separate ``ragkit serve`` process.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType

from ragkit.limits import MAX_FILE_BYTES
from ragkit.server.app import create_app
from ragkit.server.config import DEFAULT_ANSWERER_TIMEOUT, ServerConfig, UpstreamConfig
from ragkit.server.lexical_index import DEFAULT_RANKING, Ranking
from ragkit.server.runner import build_server
from ragkit.server.service.quotas import Quotas

__all__ = ["EmbeddedServer"]

_STARTUP_TIMEOUT_SECONDS = 120.0


class EmbeddedServer:
    """Run ``ragkit serve`` in-process on ``127.0.0.1`` and a free port.

    Args:
        data_dir: Where the server keeps its data (created if missing).
        embedder: Embedder spec (``"minilm"``, ``"wordllama"``, ``"hash"``).
        quotas: Capacity limits; Google's defaults unless given.
        auth_file: Optional auth file, as for ``ragkit serve --auth-file``.
        ranking: ``"dense"``, ``"bm25"`` or ``"hybrid"``, as for ``ragkit serve --ranking``.
        max_file_bytes: Largest file the Files API accepts, as for
            ``ragkit serve --max-file-bytes`` (Google's 2 GB unless given).
        grpc: Also start the gRPC front on a free loopback port (:attr:`grpc_target`),
            over TLS with the local CA under ``data_dir/tls`` (:attr:`grpc_ca_file`).
        grpc_plaintext: Serve that gRPC front without TLS.
        answerer: The answer model, as for ``ragkit serve --answerer`` (``None``: the local
            answerer); see :func:`ragkit.server.config.answerer_config`.
        answerer_timeout: As for ``ragkit serve --answerer-timeout``.
        reranker: What orders generateAnswer's passages, as for ``--reranker``; ``auto``
            here (e5 where it can run, with capacity to spare), as for ``ragkit ask``.

    Raises:
        RuntimeError: from :meth:`start` if the server does not come up.
    """

    def __init__(
        self,
        data_dir: str | Path,
        *,
        embedder: str = "minilm",
        quotas: Quotas | None = None,
        auth_file: str | Path | None = None,
        ranking: Ranking = DEFAULT_RANKING,
        max_file_bytes: int = MAX_FILE_BYTES,
        grpc: bool = False,
        grpc_plaintext: bool = False,
        answerer: UpstreamConfig | None = None,
        answerer_timeout: float = DEFAULT_ANSWERER_TIMEOUT,
        reranker: str = "auto",
    ) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        port = self._socket.getsockname()[1]
        self.config = ServerConfig(
            data_dir=Path(data_dir),
            auth_file=Path(auth_file) if auth_file is not None else None,
            embedder=embedder,
            quotas=quotas or Quotas(),
            port=port,
            log_level="warning",
            ranking=ranking,
            max_file_bytes=max_file_bytes,
            grpc_port=0 if grpc else None,
            grpc_plaintext=grpc_plaintext,
            answerer=answerer,
            answerer_timeout=answerer_timeout,
            reranker=reranker,
        )
        self._app = create_app(self.config)
        self._server = build_server(self._app, self.config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: pass it to ``ragkit.Client(base_url=...)``."""
        return self.config.base_url

    @property
    def grpc_target(self) -> str | None:
        """``127.0.0.1:PORT`` of the running gRPC front (``None`` without ``grpc=True``):
        the ``api_endpoint`` of Google's gRPC clients."""
        running = self._app.state.ragkit.grpc
        return None if running is None else str(running.target)

    @property
    def grpc_ca_file(self) -> Path | None:
        """The CA certificate the gRPC front's certificate chains to (``None`` in
        plaintext mode): what ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` should name."""
        running = self._app.state.ragkit.grpc
        if running is None or running.tls is None:
            return None
        ca: Path | None = running.tls.ca
        return ca

    def start(self) -> EmbeddedServer:
        """Start serving and wait until the app (and its embedder) is ready."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the embedded ragkit server failed to start ({self.base_url})")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the embedded ragkit server did not start within "
                    f"{_STARTUP_TIMEOUT_SECONDS:.0f} s"
                )
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop serving and close the data store; safe to call twice."""
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
