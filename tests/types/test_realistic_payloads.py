"""Realistic API payloads parse strictly and re-serialise to equal JSON values."""

from __future__ import annotations

from typing import Any

import pytest

from ragkit.types import (
    Chunk,
    ChunkState,
    GenerateAnswerResponse,
    HarmCategory,
    ListChunksResponse,
    QueryCorpusResponse,
    from_wire,
)

CHUNK: dict[str, Any] = {
    "name": "corpora/handbook-k3j2/documents/leave-policy-8f1a/chunks/p7v2m9q0x1c4",
    "data": {"stringValue": "Employees accrue 2.5 days of paid leave per month of service."},
    "customMetadata": [
        {"key": "section", "stringValue": "leave"},
        {"key": "tags", "stringListValue": {"values": ["hr", "policy"]}},
        {"key": "year", "numericValue": 2025},
    ],
    "createTime": "2025-06-30T09:15:42.318204Z",
    "updateTime": "2025-06-30T09:15:43.001250Z",
    "state": "STATE_ACTIVE",
}

ANSWER: dict[str, Any] = {
    "answer": {
        "content": {
            "parts": [{"text": "Employees accrue 2.5 days of paid leave each month."}],
            "role": "model",
        },
        "finishReason": "STOP",
        "safetyRatings": [
            {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
            {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "LOW", "blocked": False},
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"},
        ],
        "groundingAttributions": [
            {
                "sourceId": {
                    "semanticRetrieverChunk": {
                        "source": "corpora/handbook-k3j2",
                        "chunk": CHUNK["name"],
                    }
                },
                "content": {"parts": [{"text": CHUNK["data"]["stringValue"]}]},
            }
        ],
        "index": 0,
    },
    "answerableProbability": 0.9216,
    "inputFeedback": {
        "safetyRatings": [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"}
        ]
    },
}


def test_chunk_round_trip() -> None:
    chunk = from_wire(Chunk, CHUNK, strict=True)
    assert chunk.state is ChunkState.STATE_ACTIVE
    assert chunk.create_time is not None and chunk.create_time.microsecond == 318204
    assert chunk.to_wire() == CHUNK


def test_generate_answer_response_round_trip() -> None:
    response = from_wire(GenerateAnswerResponse, ANSWER, strict=True)
    assert response.answerable_probability == pytest.approx(0.9216)
    assert response.answer is not None and response.answer.grounding_attributions is not None
    source = response.answer.grounding_attributions[0].source_id
    assert source is not None and source.semantic_retriever_chunk is not None
    assert source.semantic_retriever_chunk.source == "corpora/handbook-k3j2"
    assert response.answer.safety_ratings is not None
    assert response.answer.safety_ratings[2].category is HarmCategory.HARM_CATEGORY_HARASSMENT
    assert response.to_wire() == ANSWER


def test_generate_answer_response_with_inline_passages_and_int_enums() -> None:
    data = {
        "answer": {
            "content": {"parts": [{"text": "Blue."}], "role": "model"},
            "finishReason": 1,
            "groundingAttributions": [
                {
                    "sourceId": {"groundingPassage": {"passageId": "sky", "partIndex": 0}},
                    "content": {"parts": [{"text": "The sky is blue."}]},
                }
            ],
        },
        "answerableProbability": 0.75,
        "inputFeedback": {"blockReason": 0},
    }
    response = from_wire(GenerateAnswerResponse, data, strict=True)
    assert response.to_wire(enum_int=True) == data
    assert response.to_wire()["answer"]["finishReason"] == "STOP"
    assert response.to_wire()["inputFeedback"] == {"blockReason": "BLOCK_REASON_UNSPECIFIED"}


def test_list_and_query_responses_round_trip() -> None:
    listed = {
        "chunks": [CHUNK, {**CHUNK, "name": CHUNK["name"][:-1] + "5"}],
        "nextPageToken": "CgI",
    }
    assert from_wire(ListChunksResponse, listed, strict=True).to_wire() == listed
    queried = {
        "relevantChunks": [
            {
                "chunkRelevanceScore": 0.81,
                "chunk": CHUNK,
                "document": {
                    "name": "corpora/handbook-k3j2/documents/leave-policy-8f1a",
                    "displayName": "Leave policy",
                    "customMetadata": [{"key": "owner", "stringValue": "hr"}],
                    "createTime": "2025-06-30T09:15:40Z",
                    "updateTime": "2025-06-30T09:15:40Z",
                },
            }
        ]
    }
    assert from_wire(QueryCorpusResponse, queried, strict=True).to_wire() == queried
