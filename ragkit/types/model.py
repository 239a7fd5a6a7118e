"""Base models (``models.get``, ``models.list``)."""

from __future__ import annotations

from ragkit.types._base import WireModel

__all__ = ["ListModelsResponse", "Model"]


class Model(WireModel):
    """Information about a Generative Language Model.

    Required by the API: ``name``, ``base_model_id``, ``version``.
    """

    name: str | None = None
    base_model_id: str | None = None
    version: str | None = None
    display_name: str | None = None
    description: str | None = None
    input_token_limit: int | None = None
    output_token_limit: int | None = None
    supported_generation_methods: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_temperature: float | None = None
    thinking: bool | None = None


class ListModelsResponse(WireModel):
    """Response from ``ListModels`` containing a paginated list of models."""

    models: list[Model] | None = None
    next_page_token: str | None = None
