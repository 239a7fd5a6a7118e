"""The embedding service: task types, titles, truncation, PaLM shapes, limits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ragkit.server.errors import ApiError
from ragkit.server.generation.embeddings import EmbeddingService
from ragkit.server.models.embedding import load_embedder
from ragkit.types import (
    BatchEmbedContentsRequest,
    BatchEmbedTextRequest,
    EmbedContentRequest,
    EmbedTextRequest,
    TaskType,
)

MODEL = "models/embedding-hash"
EMBEDDER = load_embedder("hash")
SERVICE = EmbeddingService(EMBEDDER)


def embed(**body: Any) -> list[float]:
    request = EmbedContentRequest.model_validate(
        {"content": {"parts": [{"text": "red apples"}]}, **body}
    )
    return SERVICE.embed_content(MODEL, request).embedding.values or []  # type: ignore[union-attr]


@pytest.mark.parametrize("task", list(TaskType))
def test_task_type_picks_the_query_or_document_side(task: TaskType) -> None:
    kind = (
        "query"
        if task.name
        in {"RETRIEVAL_QUERY", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY"}
        else "document"
    )

    values = embed(taskType=task.name)

    assert np.allclose(values, EMBEDDER.embed(["red apples"], kind=kind)[0], atol=1e-6)


def test_output_dimensionality_truncates_and_renormalises() -> None:
    values = np.array(embed(outputDimensionality=100))
    full = EMBEDDER.embed(["red apples"], kind="document")[0][:100]

    assert values.shape == (100,)
    assert np.isclose(np.linalg.norm(values), 1.0)
    assert np.allclose(values, full / np.linalg.norm(full), atol=1e-6)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"outputDimensionality": 0}, "outputDimensionality"),
        ({"outputDimensionality": 385}, "1..384"),
        ({"title": "T", "taskType": "RETRIEVAL_QUERY"}, "RETRIEVAL_DOCUMENT"),
        ({"model": "models/aqa"}, "does not match"),
        (
            {"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA"}}]}},
            "no text",
        ),
    ],
)
def test_embed_content_rejects(body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ApiError, match=fragment):
        embed(**body)


def test_batch_rejects_a_foreign_inner_model_by_index() -> None:
    requests = [
        {"model": MODEL, "content": {"parts": [{"text": "a"}]}},
        {"model": "models/other", "content": {"parts": [{"text": "b"}]}},
    ]
    request = BatchEmbedContentsRequest.model_validate({"requests": requests})

    with pytest.raises(ApiError, match=r"requests\[1\]\.model"):
        SERVICE.batch_embed_contents(MODEL, request)


def test_embed_text_and_batch_embed_text_shapes() -> None:
    one = SERVICE.embed_text(MODEL, EmbedTextRequest(text="red apples"))
    texts = SERVICE.batch_embed_text(MODEL, BatchEmbedTextRequest(texts=["red apples", "pears"]))
    requests = SERVICE.batch_embed_text(
        MODEL, BatchEmbedTextRequest.model_validate({"requests": [{"text": "red apples"}]})
    )

    assert np.allclose(one.embedding.value, EMBEDDER.embed(["red apples"])[0], atol=1e-6)  # type: ignore[union-attr]
    assert len(texts.embeddings or []) == 2
    assert requests.embeddings[0].value == one.embedding.value  # type: ignore[index,union-attr]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"texts": []}, "at least one text"),
        ({}, "at least one request"),
        ({"texts": ["x"] * 101}, "at most 100"),
        ({"texts": ["ok", " "]}, r"texts\[1\]"),
        ({"requests": [{"model": "models/aqa", "text": "x"}]}, r"requests\[0\]\.model"),
    ],
)
def test_batch_embed_text_rejects(body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ApiError, match=fragment):
        SERVICE.batch_embed_text(MODEL, BatchEmbedTextRequest.model_validate(body))
