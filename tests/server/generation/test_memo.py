"""MemoEmbedder: each distinct (kind, text) reaches the real embedder once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ragkit.server.generation.memo import MemoEmbedder
from ragkit.server.models.embedding import EmbedKind, load_embedder


class Counting:
    name = "hash"
    dimensions = 384
    batch_size = 16

    def __init__(self) -> None:
        self.inner = load_embedder("hash")
        self.seen: list[tuple[str, list[str]]] = []

    def embed(
        self, texts: Sequence[str], *, kind: EmbedKind = "document"
    ) -> npt.NDArray[np.float32]:
        self.seen.append((kind, list(texts)))
        return self.inner.embed(texts, kind=kind)


def test_repeated_texts_are_embedded_once_per_kind() -> None:
    counting = Counting()
    memo = MemoEmbedder(counting)

    first = memo.embed(["a b", "c d", "a b"])
    second = memo.embed(["c d", "e f"])
    query = memo.embed(["a b"], kind="query")

    assert counting.seen == [
        ("document", ["a b", "c d"]),
        ("document", ["e f"]),
        ("query", ["a b"]),
    ]
    assert np.array_equal(first[0], first[2]) and np.array_equal(first[1], second[0])
    assert np.allclose(query[0], counting.inner.embed(["a b"], kind="query")[0])
    assert memo.embed([]).shape == (0, 384)
