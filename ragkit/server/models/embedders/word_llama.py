"""WordLlama static token embeddings: a fast, lighter-quality alternative to MiniLM."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ragkit.server.models.embedders._common import (
    EmbedderUnavailableError,
    check_texts,
    l2_normalise,
)

__all__ = ["WordLlamaEmbedder"]

_CONFIG = "l2_supercat"
# The only weights file the wordllama wheel ships is l2_supercat_256.safetensors.
_DIMENSIONS = 256


class WordLlamaEmbedder:
    """WordLlama ``l2_supercat`` (256 dimensions): average of per-token static embeddings.

    Roughly two orders of magnitude faster than :class:`MiniLMEmbedder` on CPU, at lower
    retrieval quality; no length limit. Weights and tokenizer come from inside the
    ``wordllama`` wheel, with downloads disabled, so nothing touches the network.
    Queries and documents are embedded alike. ``embed`` is thread-safe.

    Raises (from :meth:`embed`):
        EmbedderUnavailableError: the ``wordllama`` package (``ragkit[fast]``) or its weights
            are missing.
    """

    name = "wordllama"
    dimensions = _DIMENSIONS

    def __init__(self, *, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._model: Any = None

    def embed(
        self, texts: Sequence[str], *, kind: Literal["query", "document"] = "document"
    ) -> npt.NDArray[np.float32]:
        """Embed ``texts``; returns ``float32`` of shape ``(len(texts), 256)``, unit rows."""
        check_texts(texts)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = self._runtime()
        # norm=False: wordllama divides by a zero norm for empty texts; l2_normalise does not.
        vectors = model.embed(list(texts), norm=False, batch_size=self.batch_size)
        return l2_normalise(np.ascontiguousarray(vectors, dtype=np.float32))

    def _runtime(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _load_model()
            return self._model

    def __repr__(self) -> str:
        return f"WordLlamaEmbedder(batch_size={self.batch_size})"


def _load_model() -> Any:
    # wordllama calls logging.basicConfig(level=INFO) on import; keep the host's logging as
    # it was so loading an embedder does not start printing every INFO record.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
    except ImportError as exc:
        raise EmbedderUnavailableError(
            "The 'wordllama' embedder needs the wordllama package: pip install 'ragkit[fast]'."
        ) from exc
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    package_dir = Path(wordllama.__file__).parent
    try:
        return wordllama.WordLlama.load(
            config=_CONFIG, dim=_DIMENSIONS, cache_dir=package_dir, disable_download=True
        )
    except FileNotFoundError as exc:
        raise EmbedderUnavailableError(f"WordLlama model files are missing: {exc}") from exc
