"""Proto oneof groups: any one member is fine, a second one is a ValueError."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

import ragkit.types as rt

CONTENT = {"parts": [{"text": "hi"}]}
STATUS = {"code": 3, "message": "bad"}

#: class -> (group name, {wire member: sample value})
ONEOFS: dict[str, tuple[str, dict[str, Any]]] = {
    "CustomMetadata": (
        "value",
        {"stringValue": "a", "stringListValue": {"values": ["b"]}, "numericValue": 1.0},
    ),
    "Condition": ("value", {"stringValue": "a", "numericValue": 2.0}),
    "GenerateAnswerRequest": (
        "grounding_source",
        {
            "inlinePassages": {"passages": [{"id": "p1", "content": CONTENT}]},
            "semanticRetriever": {"source": "corpora/c", "query": CONTENT},
        },
    ),
    "AttributionSourceId": (
        "source",
        {
            "groundingPassage": {"passageId": "p1", "partIndex": 0},
            "semanticRetrieverChunk": {
                "source": "corpora/c",
                "chunk": "corpora/c/documents/d/chunks/k",
            },
        },
    ),
    "CountTokensRequest": (
        "input",
        {
            "contents": [CONTENT],
            "generateContentRequest": {"model": "models/m", "contents": [CONTENT]},
        },
    ),
    "BatchEmbedTextRequest": (
        "input",
        {"texts": ["a"], "requests": [{"model": "models/m", "text": "a"}]},
    ),
    "CachedContent": ("expiration", {"expireTime": "2025-01-01T00:00:00Z", "ttl": "60s"}),
    "Hyperparameters": (
        "learning_rate_option",
        {"learningRate": 0.1, "learningRateMultiplier": 1.0},
    ),
    "Part": (
        "data",
        {
            "text": "t",
            "inlineData": {"mimeType": "image/png", "data": "AA=="},
            "functionCall": {"name": "f"},
            "functionResponse": {"name": "f", "response": {}},
            "fileData": {"fileUri": "files/x"},
            "executableCode": {"language": "PYTHON", "code": "1"},
            "codeExecutionResult": {"outcome": "OUTCOME_OK"},
        },
    ),
    "TunedModel": (
        "source_model",
        {"tunedModelSource": {"tunedModel": "tunedModels/t"}, "baseModel": "models/m"},
    ),
    "Video": ("content", {"video": "AA==", "uri": "gs://v"}),
    "InputConfig": ("source", {"fileName": "files/in", "requests": {"requests": []}}),
    "InputEmbedContentConfig": ("source", {"fileName": "files/in", "requests": {"requests": []}}),
    "GenerateContentBatchOutput": (
        "output",
        {"responsesFile": "files/out", "inlinedResponses": {"inlinedResponses": []}},
    ),
    "EmbedContentBatchOutput": (
        "output",
        {"responsesFile": "files/out", "inlinedResponses": {"inlinedResponses": []}},
    ),
    "InlinedResponse": ("output", {"error": STATUS, "response": {"candidates": []}}),
    "InlinedEmbedContentResponse": ("output", {"error": STATUS, "response": {}}),
    "Operation": ("result", {"error": STATUS, "response": {"@type": "x"}}),
    "CreateTunedModelOperation": (
        "result",
        {"error": STATUS, "response": {"name": "tunedModels/t"}},
    ),
    "PredictLongRunningOperation": ("result", {"error": STATUS, "response": {}}),
    "UploadToFileSearchStoreOperation": (
        "result",
        {"error": STATUS, "response": {"documentName": "fileSearchStores/s/documents/d"}},
    ),
    "ImportFileOperation": (
        "result",
        {"error": STATUS, "response": {"documentName": "fileSearchStores/s/documents/d"}},
    ),
}


@pytest.mark.parametrize("name", sorted(ONEOFS))
def test_each_member_alone_is_accepted(name: str) -> None:
    cls = getattr(rt, name)
    for wire, value in ONEOFS[name][1].items():
        model = cls.model_validate({wire: value}, context=rt.STRICT)
        assert wire in model.to_wire()


@pytest.mark.parametrize("name", sorted(ONEOFS))
def test_two_members_are_rejected(name: str) -> None:
    cls = getattr(rt, name)
    group, members = ONEOFS[name]
    wires = list(members)
    for other in wires[1:]:
        with pytest.raises(ValidationError) as info:
            cls.model_validate({wires[0]: members[wires[0]], other: members[other]})
        message = str(info.value)
        assert f"Oneof field '{group}' is already set" in message
        assert wires[0] in message and other in message


def test_oneof_error_is_a_value_error_from_python_construction_too() -> None:
    with pytest.raises(ValueError, match="only one of stringValue, numericValue"):
        rt.Condition(string_value="a", numeric_value=1.0)


def test_part_metadata_outside_the_oneof_is_allowed() -> None:
    part = rt.Part.model_validate({"text": "t", "thought": True, "thoughtSignature": "c2ln"})
    assert part.to_wire() == {"text": "t", "thought": True, "thoughtSignature": "c2ln"}


def test_table_covers_every_oneof_validator() -> None:
    checked = {
        name
        for name in rt.__all__
        if isinstance(cls := getattr(rt, name), type)
        and issubclass(cls, rt.WireModel)
        and any(v.startswith("_check_") for v in cls.__pydantic_decorators__.model_validators)
    }
    # BaseOperation declares the check; its concrete operations carry ``response``.
    assert checked - {"BaseOperation"} == set(ONEOFS)
