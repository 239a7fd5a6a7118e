"""JSON mapping of the wire types: spellings, enums, int64, timestamps, strictness."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from ragkit.types import (
    STRICT,
    BatchState,
    Chunk,
    ChunkState,
    Condition,
    CustomMetadata,
    File,
    GenerateAnswerRequest,
    GenerateContentBatch,
    Operation,
    Operator,
    Schema,
    Type,
    from_wire,
)


def test_camel_and_snake_input_give_the_same_model() -> None:
    camel = Chunk.model_validate(
        {"data": {"stringValue": "x"}, "customMetadata": [{"key": "k", "numericValue": 2}]}
    )
    snake = Chunk.model_validate(
        {"data": {"string_value": "x"}, "custom_metadata": [{"key": "k", "numeric_value": 2}]}
    )
    assert camel == snake
    assert camel.custom_metadata is not None
    assert camel.custom_metadata[0].numeric_value == 2.0
    assert snake.to_wire() == {
        "data": {"stringValue": "x"},
        "customMetadata": [{"key": "k", "numericValue": 2.0}],
    }


@pytest.mark.parametrize("given", ["STATE_ACTIVE", 2, "2"])
def test_enum_parses_from_name_or_number(given: object) -> None:
    chunk = Chunk.model_validate({"state": given})
    assert chunk.state is ChunkState.STATE_ACTIVE
    assert chunk.to_wire() == {"state": "STATE_ACTIVE"}
    assert chunk.to_wire(enum_int=True) == {"state": 2}


def test_enum_rejects_unknown_name_and_number() -> None:
    with pytest.raises(ValidationError, match="invalid value 'STATE_SLEEPING'"):
        Chunk.model_validate({"state": "STATE_SLEEPING"})
    with pytest.raises(ValidationError):
        Condition.model_validate({"operation": 42})


def test_enum_int_output_reaches_nested_and_repeated_enums() -> None:
    request = GenerateAnswerRequest.model_validate(
        {
            "answerStyle": "VERBOSE",
            "semanticRetriever": {
                "source": "corpora/c",
                "metadataFilters": [{"key": "k", "conditions": [{"operation": "GREATER"}]}],
            },
        }
    )
    wire = request.to_wire(enum_int=True)
    assert wire["answerStyle"] == 3
    assert wire["semanticRetriever"]["metadataFilters"][0]["conditions"][0]["operation"] == 5
    assert Operator(5) is Operator.GREATER


def test_int64_is_a_string_on_the_wire_and_an_int_in_python() -> None:
    file = File.model_validate({"sizeBytes": "9007199254740993"})
    assert file.size_bytes == 9007199254740993  # beyond float precision: must not go via float
    assert file.to_wire() == {"sizeBytes": "9007199254740993"}
    assert File(size_bytes=12).to_wire() == {"sizeBytes": "12"}
    assert GenerateContentBatch(priority=-3).to_wire() == {"priority": "-3"}


def test_timestamp_is_rfc3339_utc_with_z() -> None:
    chunk = Chunk.model_validate({"createTime": "2025-07-01T12:00:00.5+02:00"})
    assert chunk.create_time == datetime(2025, 7, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert chunk.to_wire() == {"createTime": "2025-07-01T10:00:00.500000Z"}
    assert Chunk(create_time=datetime(2025, 1, 2, 3, 4, 5)).to_wire() == {
        "createTime": "2025-01-02T03:04:05Z"
    }


def test_timestamp_accepts_google_precisions() -> None:
    for given, wire in [
        ("2025-07-01T10:00:00Z", "2025-07-01T10:00:00Z"),
        ("2025-07-01T10:00:00.120Z", "2025-07-01T10:00:00.120000Z"),
        ("2025-07-01T10:00:00.123456789Z", "2025-07-01T10:00:00.123456Z"),
    ]:
        assert Chunk.model_validate({"createTime": given}).to_wire() == {"createTime": wire}


def test_duration_and_bytes_stay_strings() -> None:
    from ragkit.types import Blob, CachedContent

    assert CachedContent(ttl="3600s").to_wire() == {"ttl": "3600s"}
    assert Blob(mime_type="image/png", data="iVBORw0K").to_wire() == {
        "mimeType": "image/png",
        "data": "iVBORw0K",
    }


def test_unknown_fields_ignored_by_default() -> None:
    chunk = Chunk.model_validate({"data": {"stringValue": "x", "futureField": 1}, "extra": 2})
    assert chunk.to_wire() == {"data": {"stringValue": "x"}}


def test_strict_rejects_unknown_field_two_levels_deep() -> None:
    payload = {
        "contents": [{"parts": [{"text": "q"}]}],
        "answerStyle": "ABSTRACTIVE",
        "semanticRetriever": {
            "source": "corpora/c",
            "query": {"parts": [{"text": "q"}]},
            "metadataFilters": [{"key": "k", "conditions": [{"operation": "EQUAL", "x": 1}]}],
        },
    }
    from_wire(GenerateAnswerRequest, {**payload, "semanticRetriever": {"source": "corpora/c"}})
    with pytest.raises(ValidationError, match='Unknown name "x"'):
        from_wire(GenerateAnswerRequest, payload, strict=True)
    with pytest.raises(ValidationError, match='Unknown name "bogus"'):
        GenerateAnswerRequest.model_validate(
            {"contents": [{"parts": [{"text": "q", "bogus": True}]}]}, context=STRICT
        )


def test_struct_fields_keep_at_type() -> None:
    data = {
        "name": "batches/abc",
        "metadata": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
            "state": "BATCH_STATE_RUNNING",
        },
        "done": False,
    }
    op = from_wire(Operation, data, strict=True)
    assert op.to_wire() == data
    assert op.metadata is not None
    batch = GenerateContentBatch.model_validate(
        {k: v for k, v in op.metadata.items() if k != "@type"}
    )
    assert batch.state is BatchState.BATCH_STATE_RUNNING


def test_recursive_schema_round_trips() -> None:
    data = {
        "type": "OBJECT",
        "properties": {
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}, "maxItems": "5"},
            "score": {"type": "NUMBER", "minimum": 0.0, "default": 1},
        },
        "required": ["tags"],
        "propertyOrdering": ["tags", "score"],
    }
    schema = from_wire(Schema, data, strict=True)
    assert schema.properties is not None
    tags = schema.properties["tags"]
    assert tags.items is not None and tags.items.type is Type.STRING
    assert tags.max_items == 5
    assert schema.to_wire() == data


def test_custom_metadata_accepts_one_value() -> None:
    for value in ({"stringValue": "a"}, {"numericValue": 1.5}, {"stringListValue": {}}):
        assert CustomMetadata.model_validate({"key": "k", **value}).to_wire() == {
            "key": "k",
            **value,
        }


def test_pack_and_unpack_any() -> None:
    from ragkit.types import Empty, TunedModel, pack_any, type_url, unpack_any

    batch = GenerateContentBatch(name="batches/b1", state=BatchState.BATCH_STATE_SUCCEEDED)
    packed = pack_any(batch)
    assert packed == {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
        "name": "batches/b1",
        "state": "BATCH_STATE_SUCCEEDED",
    }
    assert next(iter(packed)) == "@type"
    op = from_wire(Operation, {"name": "batches/b1", "done": True, "response": packed}, strict=True)
    assert op.response is not None
    assert unpack_any(op.response, GenerateContentBatch, strict=True) == batch
    assert pack_any(Empty()) == {"@type": type_url(Empty)}
    assert type_url(Empty) == "type.googleapis.com/google.protobuf.Empty"
    with pytest.raises(ValueError, match="expected an Any of type"):
        unpack_any(packed, TunedModel)
    with pytest.raises(ValidationError, match='Unknown name "extra"'):
        unpack_any({**packed, "extra": 1}, GenerateContentBatch, strict=True)
