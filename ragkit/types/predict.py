"""Prediction endpoints (``models/{model}:predict``, ``:predictLongRunning``) and video output."""

from __future__ import annotations

from typing import Any, Self

from pydantic import model_validator

from ragkit.types._base import WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.operation import BaseOperation

__all__ = [
    "GenerateVideoResponse",
    "Media",
    "PredictLongRunningMetadata",
    "PredictLongRunningOperation",
    "PredictLongRunningRequest",
    "PredictLongRunningResponse",
    "PredictRequest",
    "PredictResponse",
    "Video",
]


class Video(WireModel):
    """Representation of a video."""

    video: str | None = None
    uri: str | None = None

    @model_validator(mode="after")
    def _check_content(self) -> Self:
        return check_oneof(self, "content", "video", "uri")


class Media(WireModel):
    """A proto encapsulate various type of media."""

    video: Video | None = None


class GenerateVideoResponse(WireModel):
    """Veo response."""

    generated_samples: list[Media] | None = None
    rai_media_filtered_count: int | None = None
    rai_media_filtered_reasons: list[str] | None = None


class PredictLongRunningMetadata(WireModel):
    """Metadata for PredictLongRunning long running operations."""


class PredictLongRunningResponse(WireModel):
    """Response message for [PredictionService.PredictLongRunning]"""

    generate_video_response: GenerateVideoResponse | None = None


class PredictLongRunningOperation(BaseOperation):
    """This resource represents a long-running operation where metadata and response fields
    are strongly typed.
    """

    metadata: PredictLongRunningMetadata | None = None
    response: PredictLongRunningResponse | None = None


class PredictLongRunningRequest(WireModel):
    """Request message for [PredictionService.PredictLongRunning].

    Required by the API: ``instances``.
    """

    instances: list[Any] | None = None
    parameters: Any = None


class PredictRequest(WireModel):
    """Request message for PredictionService.Predict.

    Required by the API: ``instances``.
    """

    instances: list[Any] | None = None
    parameters: Any = None


class PredictResponse(WireModel):
    """Response message for [PredictionService.Predict]."""

    predictions: list[Any] | None = None
