"""Content generation (``generateContent``): request, config, candidates, usage, speech."""

from __future__ import annotations

from typing import Any

from ragkit.types._base import WireEnum, WireModel
from ragkit.types.attribution import GroundingAttribution
from ragkit.types.content import Content
from ragkit.types.grounding import (
    CitationMetadata,
    GroundingMetadata,
    LogprobsResult,
    UrlContextMetadata,
)
from ragkit.types.safety import SafetyRating, SafetySetting
from ragkit.types.tools import Schema, Tool, ToolConfig

__all__ = [
    "BlockReason",
    "Candidate",
    "FinishReason",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerationConfig",
    "MediaResolution",
    "Modality",
    "ModalityTokenCount",
    "MultiSpeakerVoiceConfig",
    "PrebuiltVoiceConfig",
    "PromptFeedback",
    "ResponseModality",
    "SpeakerVoiceConfig",
    "SpeechConfig",
    "ThinkingConfig",
    "UsageMetadata",
    "VoiceConfig",
]


class FinishReason(WireEnum):
    """Why the model stopped generating tokens."""

    FINISH_REASON_UNSPECIFIED = 0
    STOP = 1
    MAX_TOKENS = 2
    SAFETY = 3
    RECITATION = 4
    LANGUAGE = 6
    OTHER = 5
    BLOCKLIST = 7
    PROHIBITED_CONTENT = 8
    SPII = 9
    MALFORMED_FUNCTION_CALL = 10
    IMAGE_SAFETY = 11
    IMAGE_PROHIBITED_CONTENT = 14
    IMAGE_OTHER = 15
    NO_IMAGE = 16
    IMAGE_RECITATION = 17
    UNEXPECTED_TOOL_CALL = 12
    TOO_MANY_TOOL_CALLS = 13


class MediaResolution(WireEnum):
    """Resolution of media inputs."""

    MEDIA_RESOLUTION_UNSPECIFIED = 0
    MEDIA_RESOLUTION_LOW = 1
    MEDIA_RESOLUTION_MEDIUM = 2
    MEDIA_RESOLUTION_HIGH = 3


class ResponseModality(WireEnum):
    """A modality the model may answer in (`GenerationConfig.response_modalities`).

    Numbered like the proto's `GenerationConfig.Modality` (`AUDIO` = 3), unlike
    :class:`Modality` (`AUDIO` = 4).
    """

    MODALITY_UNSPECIFIED = 0
    TEXT = 1
    IMAGE = 2
    AUDIO = 3


class BlockReason(WireEnum):
    """Why a `GenerateContent` prompt was blocked."""

    BLOCK_REASON_UNSPECIFIED = 0
    SAFETY = 1
    OTHER = 2
    BLOCKLIST = 3
    PROHIBITED_CONTENT = 4
    IMAGE_SAFETY = 5


class Modality(WireEnum):
    """Content part modality (token accounting)."""

    MODALITY_UNSPECIFIED = 0
    TEXT = 1
    IMAGE = 2
    VIDEO = 3
    AUDIO = 4
    DOCUMENT = 5


class Candidate(WireModel):
    """A response candidate generated from the model."""

    content: Content | None = None
    finish_reason: FinishReason | None = None
    index: int | None = None
    safety_ratings: list[SafetyRating] | None = None
    citation_metadata: CitationMetadata | None = None
    token_count: int | None = None
    grounding_attributions: list[GroundingAttribution] | None = None
    grounding_metadata: GroundingMetadata | None = None
    avg_logprobs: float | None = None
    logprobs_result: LogprobsResult | None = None
    url_context_metadata: UrlContextMetadata | None = None


class PrebuiltVoiceConfig(WireModel):
    """The configuration for the prebuilt speaker to use."""

    voice_name: str | None = None


class VoiceConfig(WireModel):
    """The configuration for the voice to use."""

    prebuilt_voice_config: PrebuiltVoiceConfig | None = None


class SpeakerVoiceConfig(WireModel):
    """The configuration for a single speaker in a multi speaker setup.

    Required by the API: ``speaker``, ``voice_config``.
    """

    speaker: str | None = None
    voice_config: VoiceConfig | None = None


class MultiSpeakerVoiceConfig(WireModel):
    """The configuration for the multi-speaker setup.

    Required by the API: ``speaker_voice_configs``.
    """

    speaker_voice_configs: list[SpeakerVoiceConfig] | None = None


class SpeechConfig(WireModel):
    """The speech generation config."""

    voice_config: VoiceConfig | None = None
    language_code: str | None = None
    multi_speaker_voice_config: MultiSpeakerVoiceConfig | None = None


class ThinkingConfig(WireModel):
    """Config for thinking features."""

    include_thoughts: bool | None = None
    thinking_budget: int | None = None


class GenerationConfig(WireModel):
    """Configuration options for model generation and outputs."""

    candidate_count: int | None = None
    stop_sequences: list[str] | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    response_mime_type: str | None = None
    response_schema: Schema | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    response_logprobs: bool | None = None
    logprobs: int | None = None
    enable_enhanced_civic_answers: bool | None = None
    response_modalities: list[ResponseModality] | None = None
    speech_config: SpeechConfig | None = None
    thinking_config: ThinkingConfig | None = None
    media_resolution: MediaResolution | None = None
    response_json_schema: Any = None


class GenerateContentRequest(WireModel):
    """Request to generate a completion from the model.

    Required by the API: ``model``, ``contents``.
    """

    model: str | None = None
    contents: list[Content] | None = None
    safety_settings: list[SafetySetting] | None = None
    generation_config: GenerationConfig | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    system_instruction: Content | None = None
    cached_content: str | None = None


class PromptFeedback(WireModel):
    """Feedback on the prompt of a ``generateContent`` request: block reason and safety
    ratings.
    """

    block_reason: BlockReason | None = None
    safety_ratings: list[SafetyRating] | None = None


class ModalityTokenCount(WireModel):
    """Represents token counting info for a single modality."""

    modality: Modality | None = None
    token_count: int | None = None


class UsageMetadata(WireModel):
    """Metadata on the generation request's token usage."""

    total_token_count: int | None = None
    cached_content_token_count: int | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None
    candidates_token_count: int | None = None
    candidates_tokens_details: list[ModalityTokenCount] | None = None
    prompt_token_count: int | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    thoughts_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None
    tool_use_prompt_tokens_details: list[ModalityTokenCount] | None = None


class GenerateContentResponse(WireModel):
    """Response from the model supporting multiple candidate responses."""

    candidates: list[Candidate] | None = None
    prompt_feedback: PromptFeedback | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None
