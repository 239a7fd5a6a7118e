"""Enum members carry the proto numbers of google.ai.generativelanguage v1beta."""

from __future__ import annotations

from typing import Any

import pytest

import ragkit.types as rt
from ragkit.types import WireEnum

t = pytest.importorskip("google.ai.generativelanguage_v1beta").types

PROTO_ENUMS: dict[str, Any] = {
    "AnswerStyle": t.GenerateAnswerRequest.AnswerStyle,
    "Behavior": t.FunctionDeclaration.Behavior,
    "BlockReason": t.GenerateContentResponse.PromptFeedback.BlockReason,
    "BlockedReason": t.ContentFilter.BlockedReason,
    "ChunkState": t.Chunk.State,
    "DynamicRetrievalMode": t.DynamicRetrievalConfig.Mode,
    "FileSource": t.File.Source,
    "FileState": t.File.State,
    "FinishReason": t.Candidate.FinishReason,
    "FunctionCallingMode": t.FunctionCallingConfig.Mode,
    "GranteeType": t.Permission.GranteeType,
    "HarmBlockThreshold": t.SafetySetting.HarmBlockThreshold,
    "HarmCategory": t.HarmCategory,
    "HarmProbability": t.SafetyRating.HarmProbability,
    "InputFeedbackBlockReason": t.GenerateAnswerResponse.InputFeedback.BlockReason,
    "Language": t.ExecutableCode.Language,
    "MediaResolution": t.GenerationConfig.MediaResolution,
    "Modality": t.Modality,
    "Operator": t.Condition.Operator,
    "Outcome": t.CodeExecutionResult.Outcome,
    "ResponseModality": t.GenerationConfig.Modality,
    "Role": t.Permission.Role,
    "Scheduling": t.FunctionResponse.Scheduling,
    "TaskType": t.TaskType,
    "TunedModelState": t.TunedModel.State,
    "Type": t.Type,
    "UrlRetrievalStatus": t.UrlMetadata.UrlRetrievalStatus,
}
#: Enums with no counterpart in the installed protos (numbers from the proto source / spec order).
NOT_IN_PROTO = {"BatchState", "GeneratedFileState", "Code", "DocumentState"}


def _wire_enums() -> dict[str, type[WireEnum]]:
    return {
        name: obj
        for name in rt.__all__
        if isinstance(obj := getattr(rt, name), type)
        and issubclass(obj, WireEnum)
        and obj is not WireEnum
    }


def test_every_enum_is_checked_against_the_proto() -> None:
    assert set(_wire_enums()) == set(PROTO_ENUMS) | NOT_IN_PROTO


@pytest.mark.parametrize("name", sorted(PROTO_ENUMS))
def test_members_equal_proto(name: str) -> None:
    ours = {m.name: m.value for m in getattr(rt, name)}
    theirs = {m.name: int(m.value) for m in PROTO_ENUMS[name]}
    assert ours == theirs


def test_batch_state_numbers() -> None:
    assert [(m.name, m.value) for m in rt.BatchState] == [
        ("BATCH_STATE_UNSPECIFIED", 0),
        ("BATCH_STATE_PENDING", 1),
        ("BATCH_STATE_RUNNING", 2),
        ("BATCH_STATE_SUCCEEDED", 3),
        ("BATCH_STATE_FAILED", 4),
        ("BATCH_STATE_CANCELLED", 5),
        ("BATCH_STATE_EXPIRED", 6),
    ]


def test_look_alike_enums_differ() -> None:
    assert rt.Modality.AUDIO.value == 4
    assert rt.ResponseModality.AUDIO.value == 3
    assert "BLOCKLIST" in rt.BlockReason.__members__
    assert "BLOCKLIST" not in rt.InputFeedbackBlockReason.__members__
