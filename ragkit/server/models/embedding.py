"""Text embedders for the self-hosted server: one small interface, three implementations.

Every embedder turns a batch of texts into a ``float32`` matrix of shape
``(len(texts), dimensions)`` whose rows are L2-normalised, so a dot product is a cosine
similarity. All of them run offline and are deterministic.

=============  ==========  ==================================================================
spec           dimensions  what it is
=============  ==========  ==================================================================
``minilm``     384         all-MiniLM-L6-v2 (int8 ONNX) run by onnxruntime: the real model
``wordllama``  256         WordLlama ``l2_supercat`` static token embeddings: fast, weaker
``hash``       384         hashed word unigrams + bigrams: a cheap lexical fake for tests
``hash:DIM``   DIM         the same with DIM dimensions
=============  ==========  ==================================================================

Importing this module is cheap: onnxruntime, tokenizers and wordllama are imported the first
time an embedder actually embeds something.

Example::

    embedder = load_embedder("minilm")
    vectors = embedder.embed(["A man is eating food."], kind="query")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from ragkit.server.models.embedders._common import EmbedderUnavailableError
from ragkit.server.models.embedders.hashed import HashEmbedder
from ragkit.server.models.embedders.minilm import MiniLMEmbedder
from ragkit.server.models.embedders.word_llama import WordLlamaEmbedder

__all__ = [
    "EMBEDDER_SPECS",
    "EmbedKind",
    "Embedder",
    "EmbedderUnavailableError",
    "HashEmbedder",
    "MiniLMEmbedder",
    "WordLlamaEmbedder",
    "load_embedder",
]

EmbedKind = Literal["query", "document"]

#: The specs :func:`load_embedder` accepts (``hash`` also takes ``hash:DIM``).
EMBEDDER_SPECS = ("minilm", "wordllama", "hash")


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised ``float32`` vectors.

    Attributes:
        name: Short identifier, e.g. ``"minilm"``; stored next to vectors so an index
            built with one embedder is never queried with another.
        dimensions: Length of every vector.
        batch_size: How many texts the embedder processes at once; callers that stream
            many texts should hand them over in slices of about this size.
    """

    name: str
    dimensions: int
    batch_size: int

    def embed(
        self, texts: Sequence[str], *, kind: EmbedKind = "document"
    ) -> npt.NDArray[np.float32]:
        """Embed ``texts``; returns shape ``(len(texts), dimensions)``, rows of unit length.

        ``kind`` says whether the texts are search queries or the documents searched; a
        symmetric model ignores it. A text with nothing to embed gives an all-zero row.
        """
        ...


def load_embedder(spec: str = "minilm", *, threads: int | None = None) -> Embedder:
    """Build the embedder named by ``spec``: ``"minilm"``, ``"wordllama"``, ``"hash"`` or
    ``"hash:DIM"`` (e.g. ``"hash:64"``).

    Model files are loaded lazily, on the first :meth:`Embedder.embed` call. ``threads``
    caps the CPU threads one call may use (MiniLM; the others run on the calling thread).

    Raises:
        ValueError: ``spec`` names no known embedder, or ``hash:DIM`` has a bad DIM.
    """
    key = spec.strip().lower()
    if key == "minilm":
        return MiniLMEmbedder(threads=threads)
    if key == "wordllama":
        return WordLlamaEmbedder()
    if key == "hash":
        return HashEmbedder()
    if key.startswith("hash:"):
        raw = key.removeprefix("hash:")
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"Invalid embedder spec {spec!r}: DIM in 'hash:DIM' must be >= 1.")
        return HashEmbedder(dimensions=int(raw))
    raise ValueError(
        f"Unknown embedder {spec!r}; expected one of 'minilm', 'wordllama', 'hash', 'hash:DIM'."
    )
