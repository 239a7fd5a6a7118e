"""Safety categories, settings, ratings and PaLM content filters."""

from __future__ import annotations

from ragkit.types._base import WireEnum, WireModel

__all__ = [
    "BlockedReason",
    "ContentFilter",
    "HarmBlockThreshold",
    "HarmCategory",
    "HarmProbability",
    "SafetyFeedback",
    "SafetyRating",
    "SafetySetting",
]


class BlockedReason(WireEnum):
    """Why a PaLM `ContentFilter` blocked content."""

    BLOCKED_REASON_UNSPECIFIED = 0
    SAFETY = 1
    OTHER = 2


class HarmProbability(WireEnum):
    """Probability that content is harmful."""

    HARM_PROBABILITY_UNSPECIFIED = 0
    NEGLIGIBLE = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4


class HarmBlockThreshold(WireEnum):
    """Probability at and above which content is blocked."""

    HARM_BLOCK_THRESHOLD_UNSPECIFIED = 0
    BLOCK_LOW_AND_ABOVE = 1
    BLOCK_MEDIUM_AND_ABOVE = 2
    BLOCK_ONLY_HIGH = 3
    BLOCK_NONE = 4
    OFF = 5


class HarmCategory(WireEnum):
    """The category of a safety rating or setting."""

    HARM_CATEGORY_UNSPECIFIED = 0
    HARM_CATEGORY_DEROGATORY = 1
    HARM_CATEGORY_TOXICITY = 2
    HARM_CATEGORY_VIOLENCE = 3
    HARM_CATEGORY_SEXUAL = 4
    HARM_CATEGORY_MEDICAL = 5
    HARM_CATEGORY_DANGEROUS = 6
    HARM_CATEGORY_HARASSMENT = 7
    HARM_CATEGORY_HATE_SPEECH = 8
    HARM_CATEGORY_SEXUALLY_EXPLICIT = 9
    HARM_CATEGORY_DANGEROUS_CONTENT = 10
    HARM_CATEGORY_CIVIC_INTEGRITY = 11


class ContentFilter(WireModel):
    """Content filtering metadata associated with processing a single request."""

    reason: BlockedReason | None = None
    message: str | None = None


class SafetyRating(WireModel):
    """Safety rating for a piece of content.

    Required by the API: ``category``, ``probability``.
    """

    category: HarmCategory | None = None
    probability: HarmProbability | None = None
    blocked: bool | None = None


class SafetySetting(WireModel):
    """Safety setting, affecting the safety-blocking behavior.

    Required by the API: ``category``, ``threshold``.
    """

    category: HarmCategory | None = None
    threshold: HarmBlockThreshold | None = None


class SafetyFeedback(WireModel):
    """Safety feedback for an entire request."""

    rating: SafetyRating | None = None
    setting: SafetySetting | None = None
