"""Legacy PaLM methods: ``generateText``, ``generateMessage``, ``embedText`` and token counts."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ragkit.types._base import WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.grounding import CitationMetadata
from ragkit.types.safety import ContentFilter, SafetyFeedback, SafetyRating, SafetySetting

__all__ = [
    "BatchEmbedTextRequest",
    "BatchEmbedTextResponse",
    "CountMessageTokensRequest",
    "CountMessageTokensResponse",
    "CountTextTokensRequest",
    "CountTextTokensResponse",
    "EmbedTextRequest",
    "EmbedTextResponse",
    "Embedding",
    "Example",
    "GenerateMessageRequest",
    "GenerateMessageResponse",
    "GenerateTextRequest",
    "GenerateTextResponse",
    "Message",
    "MessagePrompt",
    "TextCompletion",
    "TextPrompt",
]


class EmbedTextRequest(WireModel):
    """Request to get a text embedding from the model.

    Required by the API: ``model``.
    """

    model: str | None = None
    text: str | None = None


class BatchEmbedTextRequest(WireModel):
    """Batch request to get a text embedding from the model."""

    texts: list[str] | None = None
    requests: list[EmbedTextRequest] | None = None

    @model_validator(mode="after")
    def _check_input(self) -> Self:
        return check_oneof(self, "input", "texts", "requests")


class Embedding(WireModel):
    """A list of floats representing the embedding."""

    value: list[float] | None = None


class BatchEmbedTextResponse(WireModel):
    """The response to a ``BatchEmbedTextRequest``."""

    embeddings: list[Embedding] | None = None


class Message(WireModel):
    """The base unit of structured text.

    Required by the API: ``content``.
    """

    author: str | None = None
    content: str | None = None
    citation_metadata: CitationMetadata | None = None


class Example(WireModel):
    """An input/output example used to instruct the Model.

    Required by the API: ``input``, ``output``.
    """

    input: Message | None = None
    output: Message | None = None


class MessagePrompt(WireModel):
    """All of the structured input text passed to the model as a prompt.

    Required by the API: ``messages``.
    """

    context: str | None = None
    examples: list[Example] | None = None
    messages: list[Message] | None = None


class CountMessageTokensRequest(WireModel):
    """Counts the number of tokens in the `prompt` sent to a model.

    Required by the API: ``prompt``.
    """

    prompt: MessagePrompt | None = None


class CountMessageTokensResponse(WireModel):
    """A response from `CountMessageTokens`."""

    token_count: int | None = None


class TextPrompt(WireModel):
    """Text given to the model as a prompt.

    Required by the API: ``text``.
    """

    text: str | None = None


class CountTextTokensRequest(WireModel):
    """Counts the number of tokens in the `prompt` sent to a model.

    Required by the API: ``prompt``.
    """

    prompt: TextPrompt | None = None


class CountTextTokensResponse(WireModel):
    """A response from `CountTextTokens`."""

    token_count: int | None = None


class EmbedTextResponse(WireModel):
    """The response to an ``EmbedTextRequest``."""

    embedding: Embedding | None = None


class GenerateMessageRequest(WireModel):
    """Request to generate a message response from the model.

    Required by the API: ``prompt``.
    """

    prompt: MessagePrompt | None = None
    temperature: float | None = None
    candidate_count: int | None = None
    top_p: float | None = None
    top_k: int | None = None


class GenerateMessageResponse(WireModel):
    """The response from the model."""

    candidates: list[Message] | None = None
    messages: list[Message] | None = None
    filters: list[ContentFilter] | None = None


class GenerateTextRequest(WireModel):
    """Request to generate a text completion response from the model.

    Required by the API: ``prompt``.
    """

    prompt: TextPrompt | None = None
    temperature: float | None = None
    candidate_count: int | None = None
    max_output_tokens: int | None = None
    top_p: float | None = None
    top_k: int | None = None
    safety_settings: list[SafetySetting] | None = None
    stop_sequences: list[str] | None = None


class TextCompletion(WireModel):
    """Output text returned from a model."""

    output: str | None = None
    safety_ratings: list[SafetyRating] | None = None
    citation_metadata: CitationMetadata | None = None


class GenerateTextResponse(WireModel):
    """The response from the model, including candidate completions."""

    candidates: list[TextCompletion] | None = None
    filters: list[ContentFilter] | None = None
    safety_feedback: list[SafetyFeedback] | None = None
