"""BM25 index, score fusion, and the server's ``ranking`` option (dense, bm25, hybrid)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

import ragkit
from ragkit.server.config import ServerConfig
from ragkit.server.embedded import EmbeddedServer
from ragkit.server.lexical_index import LexicalIndex, fuse

TEXTS = [
    "Vacuum reclaims storage occupied by dead tuples.",
    "Create a new table in the current database.",
    "Vacuum vacuum vacuum: routine vacuuming of tables and storage.",
]


def test_bm25_hand_computed_score() -> None:
    index = LexicalIndex()
    index.add([10, 11, 12], TEXTS)
    # "reclaim": only row 10 has it (tf 1). n=3, df=1: idf = ln(1 + 2.5/1.5).
    idf = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    lengths = {10: 6, 11: 5, 12: 7}  # stemmed content terms, stopwords dropped
    average = sum(lengths.values()) / 3
    norm = 1.2 * (1 - 0.75 + 0.75 * lengths[10] / average)
    expected = idf * 2.2 / (1 + norm) / (idf * 2.2)
    ((row, score),) = index.search("reclaims", 5)
    assert row == 10 and score == pytest.approx(expected)
    assert 0 < score < 1


def test_bm25_ranks_filters_updates_and_removes() -> None:
    index = LexicalIndex()
    index.add([1, 2, 3], TEXTS)
    assert [row for row, _ in index.search("vacuum storage", 3)] == [3, 1]
    assert [row for row, _ in index.search("vacuum storage", 3, allowed={1, 2})] == [1]
    assert index.search("the of and", 3) == []  # stopwords only
    assert index.search("vacuum", 0) == []
    index.add([3], ["Drop a table."])  # re-indexed with its new text
    assert [row for row, _ in index.search("vacuum", 3)] == [1]
    index.remove([1, 99])
    assert index.search("vacuum", 3) == [] and len(index) == 2
    with pytest.raises(ValueError, match="same length"):
        index.add([1], [])


def test_fuse_weights_and_ties() -> None:
    dense = {1: 0.8, 2: 0.6}
    lexical = {2: 0.9, 3: 0.5}
    assert fuse(dense, lexical, 3, dense_weight=0.5) == [
        (2, pytest.approx(0.75)),
        (1, pytest.approx(0.4)),
        (3, pytest.approx(0.25)),
    ]
    assert [row for row, _ in fuse(dense, lexical, 2, dense_weight=1.0)] == [1, 2]
    assert [row for row, _ in fuse({5: 0.5, 4: 0.5}, {}, 2, dense_weight=1.0)] == [4, 5]


def test_config_rejects_unknown_ranking(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ranking must be one of dense, bm25, hybrid"):
        ServerConfig(data_dir=tmp_path, ranking="cosine")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("ranking-data")
    with EmbeddedServer(path, embedder="hash") as server:
        with ragkit.Client(base_url=server.base_url, max_retries=0) as client:
            client.corpora.create(name="corpora/rank", display_name="rank")
            client.corpora.documents.create("corpora/rank", name="corpora/rank/documents/d")
            client.corpora.documents.chunks.batch_create("corpora/rank/documents/d", TEXTS)
    yield path


@pytest.mark.parametrize("ranking", ["dense", "bm25", "hybrid"])
def test_server_rankings_follow_writes(data_dir: Path, ranking: str) -> None:
    with EmbeddedServer(data_dir, embedder="hash", ranking=ranking) as server:  # type: ignore[arg-type]
        with ragkit.Client(base_url=server.base_url, max_retries=0) as client:
            hits = client.corpora.query("corpora/rank", "reclaims storage", results_count=3)
            texts = [
                h.chunk.data.string_value
                for h in hits.relevant_chunks or []
                if h.chunk and h.chunk.data
            ]
            assert texts[0] == TEXTS[0]
            scores = [h.chunk_relevance_score or 0.0 for h in hits.relevant_chunks or []]
            assert scores == sorted(scores, reverse=True)
            # Chunks created after the indexes loaded are found; deleted ones are gone.
            new = client.corpora.documents.chunks.create(
                "corpora/rank/documents/d", data="Reclaims storage quickly: reclaims storage."
            )
            top = client.corpora.query("corpora/rank", "reclaims storage", results_count=1)
            assert top.relevant_chunks and top.relevant_chunks[0].chunk
            assert top.relevant_chunks[0].chunk.name == new.name
            client.corpora.documents.chunks.delete(new.name or "")
            again = client.corpora.query("corpora/rank", "reclaims storage", results_count=3)
            assert new.name not in [h.chunk.name for h in again.relevant_chunks or [] if h.chunk]
