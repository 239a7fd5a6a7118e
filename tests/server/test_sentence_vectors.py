"""Sentence vectors are embedded once per text and remembered across answers, boundedly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pytest

from ragkit.server.models.answerer import Answerer, Passage
from ragkit.server.models.embedders.hashed import HashEmbedder
from ragkit.server.models.sentence_vectors import SentenceVectors


class CountingEmbedder(HashEmbedder):
    """The real hash embedder, recording every text it is asked to embed, per kind."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[tuple[str, str]] = []

    def embed(
        self, texts: Sequence[str], *, kind: Literal["query", "document"] = "document"
    ) -> npt.NDArray[np.float32]:
        self.embedded.extend((kind, text) for text in texts)
        return super().embed(texts, kind=kind)


PASSAGES = [
    Passage(
        "corpora/c/documents/d/chunks/eiffel",
        "The Eiffel Tower is a wrought-iron lattice tower in Paris. "
        "It was completed in 1889 as the entrance arch to the World's Fair. "
        "It is 330 metres tall.",
    ),
    Passage(
        "corpora/c/documents/d/chunks/moon",
        "The Moon is Earth's only natural satellite. "
        "Neil Armstrong walked on the Moon on 20 July 1969.",
    ),
]


def test_a_second_answer_over_the_same_chunks_embeds_only_its_question() -> None:
    embedder = CountingEmbedder()
    answerer = Answerer(embedder)
    first = answerer.answer("When was the Eiffel Tower completed?", PASSAGES)
    sentences = [text for kind, text in embedder.embedded if kind == "document"]
    assert len(sentences) == 5
    embedder.embedded.clear()

    second = answerer.answer("When was the Eiffel Tower completed?", PASSAGES)
    other = answerer.answer("Who walked on the Moon?", list(reversed(PASSAGES)))

    assert [kind for kind, _ in embedder.embedded] == ["query", "query"]
    assert second == first
    assert "Armstrong" in other.text
    assert answerer.sentence_vectors.stats.hits == 10
    assert answerer.sentence_vectors.stats.misses == 5


def test_cached_vectors_equal_fresh_ones() -> None:
    cache = SentenceVectors()
    embedder = HashEmbedder()
    texts = ["red apples are sweet", "green pears", "red apples are sweet"]
    first = cache.embed(embedder, texts)
    again = cache.embed(embedder, list(reversed(texts)))
    expected = embedder.embed(texts, kind="document")
    assert np.array_equal(first, expected)
    assert np.array_equal(again, expected[::-1])
    assert (cache.stats.hits, cache.stats.misses) == (3, 2)  # a text twice in one call: once


def test_the_cache_is_bounded_and_forgets_the_least_recently_used() -> None:
    embedder = CountingEmbedder()
    cache = SentenceVectors(capacity=2)
    cache.embed(embedder, ["one", "two"])
    cache.embed(embedder, ["one"])  # "two" is now the least recently used
    cache.embed(embedder, ["three"])
    assert len(cache) == 2
    embedder.embedded.clear()
    cache.embed(embedder, ["one", "two", "three"])
    assert embedder.embedded == [("document", "two")]


def test_vectors_of_another_embedder_are_not_reused() -> None:
    cache = SentenceVectors()
    small, large = HashEmbedder(dimensions=8), HashEmbedder(dimensions=16)
    assert cache.embed(small, ["tablespace"]).shape == (1, 8)
    assert cache.embed(large, ["tablespace"]).shape == (1, 16)
    assert cache.stats.misses == 2


def test_capacity_zero_turns_it_off_and_negative_is_refused() -> None:
    embedder = CountingEmbedder()
    cache = SentenceVectors(capacity=0)
    cache.embed(embedder, ["one"])
    cache.embed(embedder, ["one"])
    assert len(cache) == 0
    assert len(embedder.embedded) == 2
    with pytest.raises(ValueError, match="capacity"):
        SentenceVectors(capacity=-1)
