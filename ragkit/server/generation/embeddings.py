"""``embedContent``, ``batchEmbedContents`` and the PaLM ``embedText`` / ``batchEmbedText``.

All run on the server's local embedder. Request fields:

* ``taskType``: ``RETRIEVAL_QUERY``, ``QUESTION_ANSWERING``, ``FACT_VERIFICATION`` and
  ``CODE_RETRIEVAL_QUERY`` embed the text as a *query*; every other type (and none) as a
  *document*, the side chunks are stored on. The embedders of this server are symmetric
  apart from that split, so ``SEMANTIC_SIMILARITY``, ``CLASSIFICATION`` and
  ``CLUSTERING`` compare documents with documents.
* ``title``: only with ``RETRIEVAL_DOCUMENT``; embedded as a first line before the text.
* ``outputDimensionality``: 1..the embedder's dimensions; the vector is truncated from the
  end and re-normalised to unit length, so dot products stay cosines.

Only ``parts[].text`` is embedded (parts joined with a space), as Google does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ragkit import limits
from ragkit.server.errors import invalid_argument
from ragkit.server.models.embedding import Embedder
from ragkit.types import (
    BatchEmbedContentsRequest,
    BatchEmbedContentsResponse,
    BatchEmbedTextRequest,
    BatchEmbedTextResponse,
    ContentEmbedding,
    EmbedContentRequest,
    EmbedContentResponse,
    Embedding,
    EmbedTextRequest,
    EmbedTextResponse,
    TaskType,
)

__all__ = ["QUERY_TASKS", "EmbeddingService"]

#: Task types embedded as queries; the rest are embedded as documents.
QUERY_TASKS = frozenset(
    {
        TaskType.RETRIEVAL_QUERY,
        TaskType.QUESTION_ANSWERING,
        TaskType.FACT_VERIFICATION,
        TaskType.CODE_RETRIEVAL_QUERY,
    }
)


@dataclass(frozen=True)
class _Item:
    text: str
    query: bool
    dimensions: int


def _check_model(model: str | None, path_model: str, where: str) -> None:
    if model is not None and model != path_model:
        raise invalid_argument(
            f"Invalid value at '{where}model': {model!r} does not match the model in the "
            f"URL, {path_model!r}."
        )


class EmbeddingService:
    """The embedding methods over one :class:`~ragkit.server.models.embedding.Embedder`."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_content(self, model: str, request: EmbedContentRequest) -> EmbedContentResponse:
        """``models/{m}:embedContent``.

        Raises:
            ApiError: INVALID_ARGUMENT (no text, misplaced title, dimensionality out of
                range, a body ``model`` other than ``model``).
        """
        (row,) = self._run([self._item(request, model, "")])
        return EmbedContentResponse(embedding=ContentEmbedding(values=row))

    def batch_embed_contents(
        self, model: str, request: BatchEmbedContentsRequest
    ) -> BatchEmbedContentsResponse:
        """``models/{m}:batchEmbedContents``: 1..100 requests, embeddings in request order.

        Raises:
            ApiError: INVALID_ARGUMENT naming ``requests[i]`` for the first bad request.
        """
        requests = request.requests or []
        _check_count(len(requests), "requests", limits.MAX_EMBED_BATCH)
        items = [self._item(r, model, f"requests[{i}].") for i, r in enumerate(requests)]
        rows = self._run(items)
        return BatchEmbedContentsResponse(embeddings=[ContentEmbedding(values=r) for r in rows])

    def embed_text(self, model: str, request: EmbedTextRequest) -> EmbedTextResponse:
        """PaLM ``models/{m}:embedText``: ``{embedding: {value: [...]}}``, document side.

        Raises:
            ApiError: INVALID_ARGUMENT for empty text or a mismatched ``model``.
        """
        _check_model(request.model, model, "")
        (row,) = self._run([self._text_item(request.text, "text")])
        return EmbedTextResponse(embedding=Embedding(value=row))

    def batch_embed_text(
        self, model: str, request: BatchEmbedTextRequest
    ) -> BatchEmbedTextResponse:
        """PaLM ``models/{m}:batchEmbedText``: ``texts`` or ``requests`` (1..100).

        Raises:
            ApiError: INVALID_ARGUMENT for neither/empty, over 100, or a bad item.
        """
        if request.texts is not None:
            _check_count(len(request.texts), "texts", limits.MAX_EMBED_TEXT_BATCH)
            items = [self._text_item(t, f"texts[{i}]") for i, t in enumerate(request.texts)]
        else:
            requests = request.requests or []
            _check_count(len(requests), "requests", limits.MAX_EMBED_TEXT_BATCH)
            items = []
            for i, item in enumerate(requests):
                _check_model(item.model, model, f"requests[{i}].")
                items.append(self._text_item(item.text, f"requests[{i}].text"))
        rows = self._run(items)
        return BatchEmbedTextResponse(embeddings=[Embedding(value=r) for r in rows])

    def _text_item(self, text: str | None, where: str) -> _Item:
        if not text or not text.strip():
            raise invalid_argument(f"Invalid value at '{where}': no text to embed.")
        return _Item(text, False, self.embedder.dimensions)

    def _item(self, request: EmbedContentRequest, model: str, where: str) -> _Item:
        _check_model(request.model, model, where)
        parts = request.content.parts if request.content is not None else None
        text = " ".join(p.text for p in parts or () if p.text)
        if not text.strip():
            raise invalid_argument(f"Invalid value at '{where}content': no text to embed.")
        task = request.task_type
        if request.title is not None:
            if task is not TaskType.RETRIEVAL_DOCUMENT:
                raise invalid_argument(
                    f"Invalid value at '{where}title': a title is only allowed with "
                    "taskType RETRIEVAL_DOCUMENT."
                )
            text = f"{request.title}\n{text}"
        full = self.embedder.dimensions
        dims = request.output_dimensionality
        if dims is not None and not 1 <= dims <= full:
            raise invalid_argument(
                f"Invalid value at '{where}outputDimensionality': must be in 1..{full}, got {dims}."
            )
        return _Item(text, task in QUERY_TASKS, dims or full)

    def _run(self, items: Sequence[_Item]) -> list[list[float]]:
        rows: list[list[float]] = [[] for _ in items]
        for query in (True, False):
            picked = [i for i, item in enumerate(items) if item.query is query]
            if not picked:
                continue
            texts = [items[i].text for i in picked]
            vectors = self.embedder.embed(texts, kind="query" if query else "document")
            for i, vector in zip(picked, vectors, strict=True):
                rows[i] = _truncate(np.asarray(vector, dtype=np.float64), items[i].dimensions)
        return rows


def _truncate(vector: npt.NDArray[np.float64], dimensions: int) -> list[float]:
    head = vector[:dimensions]
    norm = float(np.linalg.norm(head))
    return [float(v) for v in (head / norm if norm > 0 else head)]


def _check_count(count: int, field: str, maximum: int) -> None:
    if count == 0:
        raise invalid_argument(
            f"Invalid value at '{field}': at least one {field.removesuffix('s')} is required."
        )
    if count > maximum:
        raise invalid_argument(
            f"Invalid value at '{field}': at most {maximum} items are allowed per batch, got "
            f"{count}."
        )
