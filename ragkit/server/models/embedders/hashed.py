"""A deterministic, dependency-free embedder for tests: hashed word unigrams and bigrams."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Literal

import numpy as np
import numpy.typing as npt

from ragkit.server.models.embedders._common import check_texts, l2_normalise

__all__ = ["HashEmbedder"]

_WORD = re.compile(r"\w+")
# Bigrams count half as much as words so one shared phrase does not dominate.
_BIGRAM_WEIGHT = 0.5


@lru_cache(maxsize=65_536)
def _bucket(feature: str, dimensions: int) -> tuple[int, float]:
    # blake2b, not hash(): Python's string hash is salted per process.
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimensions, (1.0 if value >> 63 else -1.0)


class HashEmbedder:
    """Feature-hashing embedder: texts sharing words (and word pairs) get similar vectors.

    It knows nothing of meaning, but it is instant, needs no model files and gives the same
    vectors on every machine, which makes it the embedder for server tests. Words are
    lower-cased ``\\w+`` runs; each unigram and bigram is hashed (blake2b) to a signed bucket.

    Example::

        embedder = HashEmbedder(dimensions=64)
        vectors = embedder.embed(["red apples", "green apples"])
    """

    name = "hash"
    batch_size = 256

    def __init__(self, dimensions: int = 384) -> None:
        if dimensions < 1:
            raise ValueError(f"dimensions must be >= 1, got {dimensions}.")
        self.dimensions = dimensions

    def embed(
        self, texts: Sequence[str], *, kind: Literal["query", "document"] = "document"
    ) -> npt.NDArray[np.float32]:
        """Embed ``texts`` (``kind`` is ignored: queries and documents hash alike)."""
        check_texts(texts)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            features = [(w, 1.0) for w in words]
            features += [(f"{a} {b}", _BIGRAM_WEIGHT) for a, b in pairwise(words)]
            for feature, weight in features:
                index, sign = _bucket(feature, self.dimensions)
                out[row, index] += sign * weight
        return l2_normalise(out)

    def __repr__(self) -> str:
        return f"HashEmbedder(dimensions={self.dimensions})"
