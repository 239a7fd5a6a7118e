"""Validation of ``generationConfig`` and ``safetySettings``, with Google's ranges.

Shared by the local model and the OpenAI-compatible translation, so a request is judged the
same way whichever model answers it. Ranges: ``candidateCount`` 1..8, ``stopSequences`` at
most 5 non-empty strings, ``maxOutputTokens`` 1..the model's output limit, ``temperature``
0..2 (0..1 for the legacy PaLM methods), ``topP`` 0..1, ``topK`` >= 1. Safety settings name
one of the Gemini harm categories (or the PaLM ones for ``generateText``), at most once,
with a threshold.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ragkit import limits
from ragkit.server.errors import invalid_argument
from ragkit.types import GenerationConfig, HarmBlockThreshold, HarmCategory, SafetySetting

__all__ = [
    "GEMINI_CATEGORIES",
    "PALM_CATEGORIES",
    "Sampling",
    "check_generation_config",
    "check_safety_settings",
    "check_sampling",
]

#: Harm categories generateContent accepts.
GEMINI_CATEGORIES = frozenset(
    {
        HarmCategory.HARM_CATEGORY_HARASSMENT,
        HarmCategory.HARM_CATEGORY_HATE_SPEECH,
        HarmCategory.HARM_CATEGORY_SEXUALLY_EXPLICIT,
        HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT,
        HarmCategory.HARM_CATEGORY_CIVIC_INTEGRITY,
    }
)
#: Harm categories the PaLM ``generateText`` method accepts.
PALM_CATEGORIES = frozenset(
    {
        HarmCategory.HARM_CATEGORY_DEROGATORY,
        HarmCategory.HARM_CATEGORY_TOXICITY,
        HarmCategory.HARM_CATEGORY_VIOLENCE,
        HarmCategory.HARM_CATEGORY_SEXUAL,
        HarmCategory.HARM_CATEGORY_MEDICAL,
        HarmCategory.HARM_CATEGORY_DANGEROUS,
    }
)
_MAX_TEMPERATURE = 2.0


@dataclass(frozen=True)
class Sampling:
    """The validated knobs of one request, defaults filled in."""

    candidate_count: int = 1
    stop_sequences: tuple[str, ...] = ()
    max_output_tokens: int | None = None
    temperature: float = 0.0


def check_safety_settings(
    settings: Sequence[SafetySetting] | None,
    categories: Collection[HarmCategory] = GEMINI_CATEGORIES,
    *,
    field: str = "safetySettings",
) -> None:
    """Reject unknown or repeated categories and missing thresholds.

    Raises:
        ApiError: INVALID_ARGUMENT naming the offending ``safetySettings[i]``.
    """
    seen: set[HarmCategory] = set()
    for i, setting in enumerate(settings or []):
        where = f"{field}[{i}]"
        category = setting.category
        if category is None or category not in categories:
            allowed = ", ".join(sorted(c.name for c in categories))
            shown = "(unset)" if category is None else category.name
            raise invalid_argument(
                f"Invalid value at '{where}.category': {shown} is not supported here; use "
                f"one of {allowed}."
            )
        if category in seen:
            raise invalid_argument(
                f"Invalid value at '{where}.category': {category.name} is set more than once."
            )
        seen.add(category)
        if setting.threshold in (None, HarmBlockThreshold.HARM_BLOCK_THRESHOLD_UNSPECIFIED):
            raise invalid_argument(
                f"Invalid value at '{where}.threshold': a threshold is required."
            )


def _range(value: float | int | None, low: float, high: float | None, where: str) -> None:
    if value is None:
        return
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise invalid_argument(f"Invalid value at '{where}': must be {bound}, got {value}.")


def check_sampling(
    *,
    candidate_count: int | None,
    stop_sequences: Sequence[str] | None,
    max_output_tokens: int | None,
    temperature: float | None,
    top_p: float | None,
    top_k: int | None,
    output_token_limit: int,
    max_temperature: float = _MAX_TEMPERATURE,
    prefix: str = "",
) -> Sampling:
    """Check the sampling fields shared by generateContent and the PaLM methods.

    Raises:
        ApiError: INVALID_ARGUMENT naming the first field out of range.
    """
    _range(candidate_count, 1, limits.MAX_CANDIDATE_COUNT, f"{prefix}candidateCount")
    _range(max_output_tokens, 1, output_token_limit, f"{prefix}maxOutputTokens")
    _range(temperature, 0.0, max_temperature, f"{prefix}temperature")
    _range(top_p, 0.0, 1.0, f"{prefix}topP")
    _range(top_k, 1, None, f"{prefix}topK")
    stops = list(stop_sequences or [])
    if len(stops) > limits.MAX_STOP_SEQUENCES:
        raise invalid_argument(
            f"Invalid value at '{prefix}stopSequences': at most {limits.MAX_STOP_SEQUENCES} "
            f"stop sequences are allowed, got {len(stops)}."
        )
    if any(not stop for stop in stops):
        raise invalid_argument(
            f"Invalid value at '{prefix}stopSequences': stop sequences must not be empty."
        )
    return Sampling(
        candidate_count=candidate_count or 1,
        stop_sequences=tuple(stops),
        max_output_tokens=max_output_tokens,
        temperature=temperature or 0.0,
    )


def check_generation_config(config: GenerationConfig | None, output_token_limit: int) -> Sampling:
    """Validate a ``generationConfig`` and return its sampling knobs.

    Raises:
        ApiError: INVALID_ARGUMENT naming the first field out of range.
    """
    if config is None:
        return Sampling()
    return check_sampling(
        candidate_count=config.candidate_count,
        stop_sequences=config.stop_sequences,
        max_output_tokens=config.max_output_tokens,
        temperature=config.temperature,
        top_p=config.top_p,
        top_k=config.top_k,
        output_token_limit=output_token_limit,
        prefix="generationConfig.",
    )
