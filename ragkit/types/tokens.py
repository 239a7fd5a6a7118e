"""Token counting (``models/{model}:countTokens``)."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ragkit.types._base import WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.content import Content
from ragkit.types.generation import GenerateContentRequest, ModalityTokenCount

__all__ = ["CountTokensRequest", "CountTokensResponse"]


class CountTokensRequest(WireModel):
    """Counts the number of tokens in the `prompt` sent to a model."""

    contents: list[Content] | None = None
    generate_content_request: GenerateContentRequest | None = None

    @model_validator(mode="after")
    def _check_input(self) -> Self:
        return check_oneof(self, "input", "contents", "generate_content_request")


class CountTokensResponse(WireModel):
    """A response from `CountTokens`."""

    total_tokens: int | None = None
    cached_content_token_count: int | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None
