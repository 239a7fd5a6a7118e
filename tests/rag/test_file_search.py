"""ragkit.rag.file_search: numbered citations from a fileSearch answer's groundingMetadata."""

from __future__ import annotations

from typing import Any

import pytest

from ragkit import LimitError, ResourceNameError
from ragkit.rag.file_search import file_search_answer, file_search_tool
from ragkit.types import GenerateContentResponse

STORE = "fileSearchStores/handbook-123"


def response(
    text: str, chunks: list[dict[str, Any]], supports: list[Any]
) -> GenerateContentResponse:
    return GenerateContentResponse.model_validate(
        {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "groundingMetadata": {
                        "groundingChunks": chunks,
                        "groundingSupports": supports,
                    },
                }
            ]
        }
    )


def chunk(title: str, text: str) -> dict[str, Any]:
    return {"retrievedContext": {"title": title, "text": text, "fileSearchStore": STORE}}


def support(start: int, end: int, *indices: int) -> dict[str, Any]:
    return {
        "segment": {"startIndex": start, "endIndex": end},
        "groundingChunkIndices": list(indices),
    }


def test_sources_are_numbered_by_first_citation_and_marked_in_the_text() -> None:
    text = "Hold reset for ten seconds. The warranty lasts two years."
    answer = file_search_answer(
        response(
            text,
            [
                chunk("notes.txt", "unused"),
                chunk("warranty.md", "two years"),
                chunk("manual.md", "reset"),
            ],
            # Listed out of order: numbering follows the text, not the list.
            [support(28, len(text), 1), support(0, 27, 2, 1)],
        )
    )
    assert answer.text == text
    assert answer.cited_text == (
        "Hold reset for ten seconds. [1][2] The warranty lasts two years. [2]"
    )
    assert [(s.number, s.title, s.store) for s in answer.sources] == [
        (1, "manual.md", STORE),
        (2, "warranty.md", STORE),
    ]
    assert answer.format().splitlines()[2:] == [
        f"[1] manual.md ({STORE})",
        '    "reset"',
        f"[2] warranty.md ({STORE})",
        '    "two years"',
    ]


def test_offsets_are_utf8_bytes() -> None:
    text = "Größe: 5 cm. Farbe: rot."
    first = len("Größe: 5 cm.".encode())
    answer = file_search_answer(response(text, [chunk("a.md", "x")], [support(0, first, 0)]))
    assert answer.cited_text == "Größe: 5 cm. [1] Farbe: rot."


def test_without_supports_every_chunk_is_listed_uncited() -> None:
    answer = file_search_answer(
        response("An answer.", [chunk("a.md", "x"), chunk("b.md", "y")], [])
    )
    assert answer.cited_text == "An answer."
    assert [(s.number, s.title, s.cited) for s in answer.sources] == [
        (1, "a.md", False),
        (2, "b.md", False),
    ]


def test_bad_indices_and_offsets_are_ignored() -> None:
    answer = file_search_answer(
        response("Short.", [chunk("a.md", "x")], [support(0, 999, 0), support(0, 6, 7)])
    )
    assert answer.cited_text == "Short." and answer.sources[0].number == 1


def test_empty_response() -> None:
    answer = file_search_answer(GenerateContentResponse())
    assert (answer.text, answer.cited_text, answer.sources) == ("", "", [])


def test_file_search_tool() -> None:
    tool = file_search_tool("handbook-123", top_k=3, metadata_filter="year >= 2020")
    assert tool.to_wire() == {
        "fileSearch": {
            "fileSearchStoreNames": [STORE],
            "topK": 3,
            "metadataFilter": "year >= 2020",
        }
    }
    with pytest.raises(ResourceNameError):
        file_search_tool(["corpora/c"])
    with pytest.raises(LimitError, match="MAX_FILE_SEARCH_TOP_K=100"):
        file_search_tool(STORE, top_k=101)
    with pytest.raises(ValueError, match="at least one"):
        file_search_tool([])


def test_a_stream_is_joined_with_the_last_chunks_grounding() -> None:
    first = GenerateContentResponse.model_validate(
        {"candidates": [{"content": {"parts": [{"text": "Hold reset."}]}}]}
    )
    last = GenerateContentResponse.model_validate(
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": " Two years."}]},
                    # Offsets into the whole streamed text, as Google streams them.
                    "groundingMetadata": {
                        "groundingChunks": [chunk("manual.md", "reset")],
                        "groundingSupports": [support(0, 11, 0)],
                    },
                }
            ]
        }
    )
    answer = file_search_answer([first, GenerateContentResponse(), last])
    assert answer.cited_text == "Hold reset. [1] Two years."
    assert answer.format_sources() == f'[1] manual.md ({STORE})\n    "reset"'
