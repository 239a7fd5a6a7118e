"""``countTokens``, and the token figures of ``usageMetadata``.

Tokens are counted with the ``cl100k_base`` BPE that ships with ragkit
(:func:`ragkit.tokenizers.count_tokens`): the same count for every model served
locally, an approximation of what Gemini's own tokenizer would say (within ~10-20% for
English). Non-text media count :data:`~ragkit.server.generation.parts.MEDIA_TOKENS` each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ragkit.server.errors import invalid_argument
from ragkit.server.generation.parts import MEDIA_TOKENS, Segment, flatten, resolve_cached
from ragkit.server.generation.resolver import ContentResolver
from ragkit.server.principal import Principal
from ragkit.tokenizers import count_tokens
from ragkit.types import CountTokensRequest, CountTokensResponse, GenerateContentRequest

__all__ = ["PromptTokens", "count_request_tokens", "count_segments", "count_tokens_response"]


@dataclass(frozen=True)
class PromptTokens:
    """Tokens of a prompt: ``total`` includes the ``cached`` ones."""

    total: int
    cached: int


def count_segments(segments: Sequence[Segment]) -> PromptTokens:
    """Token counts of ``segments`` (media parts count a fixed figure each)."""
    total = cached = 0
    for segment in segments:
        n = MEDIA_TOKENS if segment.text is None else count_tokens(segment.text)
        total += n
        if segment.cached:
            cached += n
    return PromptTokens(total, cached)


def count_request_tokens(
    request: GenerateContentRequest,
    model: str,
    who: Principal,
    resolver: ContentResolver | None,
) -> PromptTokens:
    """Tokens of a whole generateContent request, its cached content included.

    Raises:
        ApiError: as :func:`~ragkit.server.generation.parts.flatten` and
            :func:`~ragkit.server.generation.parts.resolve_cached`.
    """
    cached = resolve_cached(request, model, who, resolver)
    return count_segments(flatten(request, who, resolver, cached=cached))


def count_tokens_response(
    request: CountTokensRequest,
    model: str,
    who: Principal,
    resolver: ContentResolver | None,
) -> CountTokensResponse:
    """``models/{m}:countTokens`` for ``contents`` or a full ``generateContentRequest``.

    Raises:
        ApiError: INVALID_ARGUMENT when neither is given, or the inner request names
            another model; see :func:`count_request_tokens`.
    """
    inner = request.generate_content_request
    if inner is None:
        if not request.contents:
            raise invalid_argument(
                "Invalid value: countTokens needs 'contents' or 'generateContentRequest'."
            )
        inner = GenerateContentRequest(contents=request.contents)
    elif inner.model is not None and inner.model != model:
        raise invalid_argument(
            f"Invalid value at 'generateContentRequest.model': {inner.model!r} does not "
            f"match the model in the URL, {model!r}."
        )
    tokens = count_request_tokens(inner, model, who, resolver)
    return CountTokensResponse(
        total_tokens=tokens.total,
        cached_content_token_count=tokens.cached if inner.cached_content else None,
    )
