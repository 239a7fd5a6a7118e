"""An embedder that remembers, for the length of one request.

The candidates of one generateContent request re-read the same context, so the answerer
would embed the same sentences once per candidate (and per fallback); wrapping the
server's embedder in a :class:`MemoEmbedder` for the request embeds each text once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ragkit.server.models.embedding import Embedder, EmbedKind

__all__ = ["MemoEmbedder"]


class MemoEmbedder:
    """Delegates to ``inner``, embedding every distinct ``(kind, text)`` only once."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimensions = inner.dimensions
        self.batch_size = inner.batch_size
        self._vectors: dict[tuple[str, str], npt.NDArray[np.float32]] = {}

    def embed(
        self, texts: Sequence[str], *, kind: EmbedKind = "document"
    ) -> npt.NDArray[np.float32]:
        missing = list(dict.fromkeys(t for t in texts if (kind, t) not in self._vectors))
        if missing:
            for text, vector in zip(missing, self.inner.embed(missing, kind=kind), strict=True):
                self._vectors[(kind, text)] = vector
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([self._vectors[(kind, t)] for t in texts])
