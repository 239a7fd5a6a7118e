"""Tuned models and their tuning tasks."""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from ragkit.types._base import Int64, Timestamp, WireEnum, WireModel
from ragkit.types._oneof import check_oneof
from ragkit.types.operation import BaseOperation

__all__ = [
    "CreateTunedModelMetadata",
    "CreateTunedModelOperation",
    "Dataset",
    "Hyperparameters",
    "ListTunedModelsResponse",
    "TunedModel",
    "TunedModelSource",
    "TunedModelState",
    "TuningExample",
    "TuningExamples",
    "TuningSnapshot",
    "TuningTask",
]


class TunedModelState(WireEnum):
    """State of a `TunedModel`."""

    STATE_UNSPECIFIED = 0
    CREATING = 1
    ACTIVE = 2
    FAILED = 3


class TuningSnapshot(WireModel):
    """Record for a single tuning step."""

    step: int | None = None
    epoch: int | None = None
    mean_loss: float | None = None
    compute_time: Timestamp | None = None


class CreateTunedModelMetadata(WireModel):
    """Progress of a tuned-model creation, carried as the operation metadata."""

    total_steps: int | None = None
    completed_steps: int | None = None
    completed_percent: float | None = None
    snapshots: list[TuningSnapshot] | None = None
    tuned_model: str | None = None


class TunedModelSource(WireModel):
    """Tuned model as a source for training a new model."""

    tuned_model: str | None = None
    base_model: str | None = None


class TuningExample(WireModel):
    """A single example for tuning.

    Required by the API: ``output``.
    """

    text_input: str | None = None
    output: str | None = None


class TuningExamples(WireModel):
    """A set of tuning examples."""

    examples: list[TuningExample] | None = None


class Dataset(WireModel):
    """Dataset for training or validation."""

    examples: TuningExamples | None = None


class Hyperparameters(WireModel):
    """Hyperparameters controlling the tuning process."""

    epoch_count: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    learning_rate_multiplier: float | None = None

    @model_validator(mode="after")
    def _check_learning_rate_option(self) -> Self:
        return check_oneof(
            self, "learning_rate_option", "learning_rate", "learning_rate_multiplier"
        )


class TuningTask(WireModel):
    """Tuning tasks that create tuned models.

    Required by the API: ``training_data``.
    """

    start_time: Timestamp | None = None
    complete_time: Timestamp | None = None
    snapshots: list[TuningSnapshot] | None = None
    training_data: Dataset | None = None
    hyperparameters: Hyperparameters | None = None


class TunedModel(WireModel):
    """A fine-tuned model created using ModelService.CreateTunedModel.

    Required by the API: ``tuning_task``.
    """

    name: str | None = None
    tuned_model_source: TunedModelSource | None = None
    base_model: str | None = None
    display_name: str | None = None
    description: str | None = None
    state: TunedModelState | None = None
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None
    tuning_task: TuningTask | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    reader_project_numbers: list[Int64] | None = None

    @model_validator(mode="after")
    def _check_source_model(self) -> Self:
        return check_oneof(self, "source_model", "tuned_model_source", "base_model")


class CreateTunedModelOperation(BaseOperation):
    """The operation returned by ``tunedModels.create``, with typed metadata and response."""

    metadata: CreateTunedModelMetadata | None = None
    response: TunedModel | None = None


class ListTunedModelsResponse(WireModel):
    """Response from ``ListTunedModels`` containing a paginated list of tuned models."""

    tuned_models: list[TunedModel] | None = None
    next_page_token: str | None = None
