"""The models this server serves, for ``models.get`` / ``models.list`` and method checks.

Two models, described the way Google describes its own:

* ``models/aqa``: attributed question answering (``generateAnswer``), the model the
  Semantic Retrieval guide uses.
* ``models/embedding-<embedder>`` (e.g. ``models/embedding-minilm``): the local embedder
  that vectorises chunks and queries, also served through ``embedContent`` and
  ``batchEmbedContents``.

Example::

    catalog = build_catalog(load_embedder("hash"))
    catalog.get("models/aqa").supported_generation_methods   # ['generateAnswer']
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from ragkit import limits
from ragkit.server.errors import invalid_argument, not_found
from ragkit.server.models.embedding import Embedder
from ragkit.types import ListModelsResponse, Model

__all__ = ["AQA_MODEL", "ModelCatalog", "build_catalog", "embedding_model_name"]

AQA_MODEL = "models/aqa"
# What Google publishes for models/aqa.
_AQA_INPUT_TOKEN_LIMIT = 7_168
_AQA_OUTPUT_TOKEN_LIMIT = 1_024
# Longest input each embedder reads before truncating (word-pieces for MiniLM); the others
# see whole chunks, which the API caps at MAX_TOKENS_PER_CHUNK.
_EMBEDDER_INPUT_LIMITS = {"minilm": 256}


def embedding_model_name(embedder: Embedder) -> str:
    """``models/embedding-<name>``, the catalog entry of ``embedder``."""
    return f"models/embedding-{embedder.name}"


def _aqa() -> Model:
    return Model(
        name=AQA_MODEL,
        base_model_id="aqa",
        version="001",
        display_name="Model that performs Attributed Question Answering.",
        description=(
            "Model trained to return answers to questions that are grounded in provided "
            "sources, along with estimating answerable probability."
        ),
        input_token_limit=_AQA_INPUT_TOKEN_LIMIT,
        output_token_limit=_AQA_OUTPUT_TOKEN_LIMIT,
        supported_generation_methods=["generateAnswer"],
        temperature=0.2,
        top_p=1.0,
        top_k=40,
    )


def _embedding(embedder: Embedder) -> Model:
    name = embedding_model_name(embedder)
    return Model(
        name=name,
        base_model_id=name.removeprefix("models/"),
        version="001",
        display_name=f"Local embedding model ({embedder.name}, {embedder.dimensions} dimensions)",
        description=(
            f"The {embedder.name} embedder this server uses for chunks and queries; vectors "
            f"have {embedder.dimensions} dimensions and unit length."
        ),
        input_token_limit=_EMBEDDER_INPUT_LIMITS.get(embedder.name, limits.MAX_TOKENS_PER_CHUNK),
        output_token_limit=1,
        supported_generation_methods=["embedContent", "batchEmbedContents"],
    )


def build_catalog(embedder: Embedder) -> ModelCatalog:
    """The catalog of a server whose retriever embeds with ``embedder``."""
    return ModelCatalog([_aqa(), _embedding(embedder)])


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"models:{offset}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, raw = text.partition(":")
        offset = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
        prefix = ""
    if prefix != "models" or offset < 0:
        raise invalid_argument(f"Invalid page token {token!r}.")
    return offset


class ModelCatalog:
    """An ordered, read-only set of :class:`~ragkit.types.Model` entries."""

    def __init__(self, models: Sequence[Model]) -> None:
        self._models = {model.name: model for model in models if model.name}

    def __contains__(self, name: object) -> bool:
        return name in self._models

    def get(self, name: str) -> Model:
        """The model named ``name`` (``models/aqa``).

        Raises:
            ApiError: NOT_FOUND when no such model is served.
        """
        model = self._models.get(name)
        if model is None:
            raise not_found(f"{name} is not found for API version v1beta.")
        return model

    def require(self, name: str, method: str) -> Model:
        """The model named ``name``, provided it supports ``method`` (``generateAnswer``).

        Raises:
            ApiError: NOT_FOUND, worded like Google's, when the model is unknown or does
                not support ``method``.
        """
        model = self._models.get(name)
        if model is None or method not in (model.supported_generation_methods or ()):
            raise not_found(
                f"{name} is not found for API version v1beta, or is not supported for "
                f"{method}. Call ListModels to see the list of available models and their "
                "supported methods."
            )
        return model

    def list(
        self, *, page_size: int | None = None, page_token: str | None = None
    ) -> ListModelsResponse:
        """One page of models: ``page_size`` defaults to 50 and is capped at 1000.

        Raises:
            ApiError: INVALID_ARGUMENT for a page token this catalog did not issue.
        """
        size = page_size or limits.DEFAULT_MODELS_PAGE_SIZE
        size = min(size, limits.MAX_MODELS_PAGE_SIZE)
        start = _decode_token(page_token) if page_token else 0
        models = list(self._models.values())
        page = models[start : start + size]
        end = start + len(page)
        return ListModelsResponse(
            models=page, next_page_token=_encode_token(end) if end < len(models) else None
        )
