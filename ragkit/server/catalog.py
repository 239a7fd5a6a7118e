"""The models this server serves, for ``models.get`` / ``models.list`` and method checks.

Described the way Google describes its own, each with token limits and methods:

* ``models/aqa``: attributed question answering (``generateAnswer``), the model the
  Semantic Retrieval guide uses.
* ``models/embedding-<embedder>`` (e.g. ``models/embedding-minilm``): the local embedder
  that vectorises chunks and queries, also served through ``embedContent``,
  ``batchEmbedContents`` and ``countTokens``.
* ``models/ragkit-local``: the local grounded, extractive composer behind
  ``generateContent`` / ``streamGenerateContent`` / ``countTokens`` (see
  :mod:`ragkit.server.generation.local`); it quotes the request's context, it does not write.
* Legacy PaLM names, mapped onto the same local models: ``models/text-bison-001``
  (``generateText``), ``models/chat-bison-001`` (``generateMessage``),
  ``models/embedding-gecko-001`` (``embedText``, ``batchEmbedText``).

Aliases, decision: so that an app written for Google finds its default model names, the
catalog also lists ``models/gemini-2.0-flash`` and the Gemini names File Search users
write (``gemini-2.5-flash``, ``gemini-2.5-pro``, ``gemini-flash-latest``...: the local
composer, see :data:`GEMINI_ALIASES`) and
``models/text-embedding-004`` / ``models/embedding-001`` (the local embedder) as entries
of their own whose description says what really answers. Aliases step aside for a real
model: with any upstream configured the Gemini name is forwarded there, and with a Google
upstream the embedding names are too. An OpenAI-compatible upstream adds one entry,
``models/<its model>``, for the model it runs.

Example::

    catalog = build_catalog(load_embedder("hash"))
    catalog.get("models/aqa").supported_generation_methods   # ['generateAnswer']
    catalog.role("models/gemini-2.0-flash")                  # 'generative'
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Literal

from ragkit import limits
from ragkit.server.api_version import api_version
from ragkit.server.config import UpstreamConfig
from ragkit.server.errors import invalid_argument, not_found
from ragkit.server.models.embedding import Embedder
from ragkit.types import ListModelsResponse, Model

__all__ = [
    "AQA_MODEL",
    "GEMINI_ALIAS",
    "GEMINI_ALIASES",
    "LOCAL_MODEL",
    "ModelCatalog",
    "Role",
    "build_catalog",
    "embedding_model_name",
]

#: What a catalog entry is served by.
Role = Literal["aqa", "embedding", "generative", "text", "chat", "text-embedding", "openai"]

AQA_MODEL = "models/aqa"
LOCAL_MODEL = "models/ragkit-local"
#: The Gemini name a Google client would use, served by the local composer.
GEMINI_ALIAS = "models/gemini-2.0-flash"
#: The Gemini names File Search users write today (Google's File Search guide uses
#: gemini-2.5-flash), served like GEMINI_ALIAS: by the local composer without an upstream,
#: by the upstream with one.
GEMINI_ALIASES = (
    GEMINI_ALIAS,
    "models/gemini-2.5-flash",
    "models/gemini-2.5-pro",
    "models/gemini-2.5-flash-lite",
    "models/gemini-flash-latest",
    "models/gemini-flash-lite-latest",
    "models/gemini-pro-latest",
)
_EMBEDDING_ALIASES = ("models/text-embedding-004", "models/embedding-001")
# What Google publishes for models/aqa.
_AQA_INPUT_TOKEN_LIMIT = 7_168
_AQA_OUTPUT_TOKEN_LIMIT = 1_024
# The local composer reads at most MAX_SENTENCES sentences (about this many tokens) and
# quotes a few of them; an output limit is still advertised for maxOutputTokens checks.
_LOCAL_INPUT_TOKEN_LIMIT = 32_768
_LOCAL_OUTPUT_TOKEN_LIMIT = 8_192
# Longest input each embedder reads before truncating (word-pieces for MiniLM); the others
# see whole chunks, which the API caps at MAX_TOKENS_PER_CHUNK.
_EMBEDDER_INPUT_LIMITS = {"minilm": 256}
_GENERATE_METHODS = ["generateContent", "streamGenerateContent", "countTokens"]
_COMPOSER = (
    "A local grounded, extractive composer, not a generative language model: it answers "
    "the last user turn by quoting the sentences of the request's own context (system "
    "instruction, earlier turns, inline or uploaded text and PDF files, cached content) "
    "that answer it best, and says plainly when the context holds no answer. It never "
    "invents text, calls no tools and ignores safety thresholds (nothing is blocked)."
)


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


def _embedding(embedder: Embedder, name: str, methods: list[str]) -> Model:
    own = embedding_model_name(embedder)
    alias = "" if name == own else f" Served under Google's name {name}; it is {own}."
    return Model(
        name=name,
        base_model_id=own.removeprefix("models/"),
        version="001",
        display_name=f"Local embedding model ({embedder.name}, {embedder.dimensions} dimensions)",
        description=(
            f"The {embedder.name} embedder this server uses for chunks and queries; vectors "
            f"have {embedder.dimensions} dimensions and unit length.{alias}"
        ),
        input_token_limit=_EMBEDDER_INPUT_LIMITS.get(embedder.name, limits.MAX_TOKENS_PER_CHUNK),
        output_token_limit=1,
        supported_generation_methods=methods,
    )


def _composer(name: str, methods: list[str]) -> Model:
    alias = "" if name == LOCAL_MODEL else f" Served under the Gemini name {name}."
    return Model(
        name=name,
        base_model_id=LOCAL_MODEL.removeprefix("models/"),
        version="001",
        display_name="ragkit local grounded composer (extractive)",
        description=_COMPOSER + alias,
        input_token_limit=_LOCAL_INPUT_TOKEN_LIMIT,
        output_token_limit=_LOCAL_OUTPUT_TOKEN_LIMIT,
        supported_generation_methods=methods,
        temperature=0.0,
        max_temperature=2.0,
        top_p=1.0,
        top_k=1,
    )


def _legacy(name: str, methods: list[str], input_limit: int, output_limit: int, what: str) -> Model:
    return Model(
        name=name,
        base_model_id=name.removeprefix("models/"),
        version="001",
        display_name=f"{name.removeprefix('models/')} (PaLM method names, served locally)",
        description=f"The legacy PaLM methods mapped onto {what} of this server.",
        input_token_limit=input_limit,
        output_token_limit=output_limit,
        supported_generation_methods=methods,
        temperature=0.0 if output_limit > 1 else None,
        top_p=1.0 if output_limit > 1 else None,
        top_k=1 if output_limit > 1 else None,
    )


def _openai(upstream: UpstreamConfig) -> Model:
    model = upstream.model or ""
    ident = re.sub(r"[^a-z0-9.-]+", "-", model.lower()).strip("-") or "upstream"
    return Model(
        name=f"models/{ident}",
        base_model_id=ident,
        version="upstream",
        display_name=f"{model} (OpenAI-compatible upstream)",
        description=(
            f"Forwarded to the OpenAI-compatible server at {upstream.base_url} (model "
            f"{model!r}); generateContent is translated to chat.completions."
        ),
        input_token_limit=_LOCAL_INPUT_TOKEN_LIMIT,
        output_token_limit=_LOCAL_OUTPUT_TOKEN_LIMIT,
        supported_generation_methods=list(_GENERATE_METHODS),
    )


def build_catalog(
    embedder: Embedder, *, upstream: UpstreamConfig | None = None, batch_methods: bool = False
) -> ModelCatalog:
    """The catalog of a server whose retriever embeds with ``embedder``.

    ``upstream`` decides which aliases stay local (see the module docstring);
    ``batch_methods`` advertises ``batchGenerateContent`` / ``asyncBatchEmbedContent``
    once the batches service is wired in.
    """
    embed_methods = ["embedContent", "batchEmbedContents", "countTokens"]
    generate_methods = list(_GENERATE_METHODS)
    if batch_methods:
        embed_methods.append("asyncBatchEmbedContent")
        generate_methods.append("batchGenerateContent")
    entries: list[tuple[Model, Role]] = [
        (_aqa(), "aqa"),
        (_embedding(embedder, embedding_model_name(embedder), embed_methods), "embedding"),
        (_composer(LOCAL_MODEL, generate_methods), "generative"),
    ]
    if upstream is None:
        entries += [(_composer(a, generate_methods), "generative") for a in GEMINI_ALIASES]
    if upstream is None or upstream.kind != "google":
        entries += [
            (_embedding(embedder, a, embed_methods), "embedding") for a in _EMBEDDING_ALIASES
        ]
    if upstream is not None and upstream.kind == "openai":
        entries.append((_openai(upstream), "openai"))
    entries += [
        (
            _legacy(
                "models/text-bison-001",
                ["generateText", "countTextTokens"],
                8_196,
                1_024,
                "the local composer",
            ),
            "text",
        ),
        (
            _legacy(
                "models/chat-bison-001",
                ["generateMessage", "countMessageTokens"],
                4_096,
                1_024,
                "the local composer",
            ),
            "chat",
        ),
        (
            _legacy(
                "models/embedding-gecko-001",
                ["embedText", "batchEmbedText", "countTextTokens"],
                1_024,
                1,
                f"the local {embedder.name} embedder",
            ),
            "text-embedding",
        ),
    ]
    return ModelCatalog([m for m, _ in entries], roles={m.name or "": r for m, r in entries})


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

    def __init__(self, models: Sequence[Model], roles: Mapping[str, Role] | None = None) -> None:
        self._models = {model.name: model for model in models if model.name}
        self._roles = dict(roles or {})

    def __contains__(self, name: object) -> bool:
        return name in self._models

    def __iter__(self) -> Iterator[Model]:
        return iter(self._models.values())

    def role(self, name: str) -> Role | None:
        """What serves ``name`` (``"generative"``, ``"openai"``...), ``None`` if unknown."""
        return self._roles.get(name) if name in self._models else None

    def get(self, name: str) -> Model:
        """The model named ``name`` (``models/aqa``).

        Raises:
            ApiError: NOT_FOUND when no such model is served.
        """
        model = self._models.get(name)
        if model is None:
            raise not_found(f"{name} is not found for API version {api_version()}.")
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
                f"{name} is not found for API version {api_version()}, or is not supported for "
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
