"""Everything ``ragkit serve`` can be told, in one immutable value.

:class:`ServerConfig` is built by the CLI from flags, or directly by code that embeds the
server (tests run the app in-process with ``create_app(ServerConfig(data_dir=tmp,
embedder="hash"))``). Nothing here touches the disk or loads a model; the app does that
when it starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ragkit.server.service.quotas import Quotas

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ServerConfig"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


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
        quotas: Capacity limits (corpora, documents and chunks per corpus); the server
            as a whole plays Google's "project". Defaults are Google's limits.
        host: Interface uvicorn binds to.
        port: TCP port uvicorn binds to (``0`` picks a free one).
        log_level: uvicorn/ragkit log level name (``"info"``, ``"warning"``...).
    """

    data_dir: Path
    auth_file: Path | None = None
    embedder: str = "minilm"
    quotas: Quotas = field(default_factory=Quotas)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    log_level: str = "info"

    def __post_init__(self) -> None:
        # Accept plain strings from callers; store Paths so everything downstream agrees.
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if self.auth_file is not None:
            object.__setattr__(self, "auth_file", Path(self.auth_file))
        if not 0 <= self.port <= 65_535:
            raise ValueError(f"port must be in 0..65535, got {self.port}.")

    @property
    def base_url(self) -> str:
        """The URL clients use, e.g. ``http://127.0.0.1:8080``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"
