"""Stop sequences, the output token budget, stream chunking, and the SSE/array encoders."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from ragkit.server.errors import invalid_argument
from ragkit.server.generation.output import limit_text, stream_chunks, text_pieces
from ragkit.server.generation.streaming import stream_response
from ragkit.tokenizers import count_tokens
from ragkit.types import (
    Candidate,
    Content,
    FinishReason,
    GenerateContentResponse,
    Part,
    UsageMetadata,
)

TEXT = "Paris is in France. It has the Eiffel Tower!\nIs it tall? Yes: 330 m."


def test_stop_sequence_cuts_before_the_earliest_match() -> None:
    assert limit_text(TEXT, ["Tower", "France"], None) == ("Paris is in ", FinishReason.STOP)


def test_max_tokens_truncates_by_tokens() -> None:
    text, finish = limit_text(TEXT, [], 4)

    assert finish is FinishReason.MAX_TOKENS
    assert count_tokens(text) == 4 and TEXT.startswith(text)


def test_max_tokens_never_leaves_a_broken_character() -> None:
    text, _ = limit_text("日本語のテキスト", [], 1)

    assert "\ufffd" not in text


def test_text_within_budget_is_untouched() -> None:
    assert limit_text(TEXT, ["zzz"], 1000) == (TEXT, FinishReason.STOP)


@pytest.mark.parametrize("text", [TEXT, "", "no punctuation at all", "a.b.c", "Ends.\n\n"])
def test_pieces_join_back(text: str) -> None:
    pieces = text_pieces(text)

    assert "".join(pieces) == text
    assert all(pieces) or text == ""


def _response(*texts: str) -> GenerateContentResponse:
    return GenerateContentResponse(
        candidates=[
            Candidate(
                content=Content(role="model", parts=[Part(text=t)]),
                index=i,
                finish_reason=FinishReason.STOP,
            )
            for i, t in enumerate(texts)
        ],
        usage_metadata=UsageMetadata(total_token_count=9),
        model_version="v",
        response_id="r",
    )


def test_stream_chunks_carry_finish_and_usage_last() -> None:
    chunks = stream_chunks(_response(TEXT, "Second."))

    by_index: dict[int, str] = {}
    for chunk in chunks:
        (candidate,) = chunk.candidates or []
        by_index[candidate.index or 0] = by_index.get(candidate.index or 0, "") + (
            candidate.content.parts[0].text or ""  # type: ignore[union-attr,index]
        )
    assert by_index == {0: TEXT, 1: "Second."}
    assert [c.usage_metadata is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    finished = [c for c in chunks if c.candidates[0].finish_reason]  # type: ignore[index]
    assert len(finished) == 2
    assert {(c.model_version, c.response_id) for c in chunks} == {("v", "r")}


async def _body(response: object) -> bytes:
    out = b""
    async for chunk in response.body_iterator:  # type: ignore[attr-defined]
        out += chunk if isinstance(chunk, bytes) else chunk.encode()
    return out


async def _chunks(fail_after: int | None) -> AsyncIterator[GenerateContentResponse]:
    for i, chunk in enumerate(stream_chunks(_response(TEXT))):
        if fail_after is not None and i == fail_after:
            raise invalid_argument("boom")
        yield chunk


async def test_sse_and_array_encodings() -> None:
    sse = await _body(stream_response(_chunks(None), alt="sse"))
    array = await _body(stream_response(_chunks(None), alt="json"))

    events = [e for e in sse.decode().split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert [json.loads(e[6:]) for e in events] == json.loads(array)
    assert array.startswith(b"[{") and b"},\n{" in array


async def test_errors_mid_stream() -> None:
    sse = await _body(stream_response(_chunks(1), alt="sse"))
    array = json.loads(await _body(stream_response(_chunks(1), alt="json")))

    assert sse.decode().split("\n\n")[1].startswith('data: {"error":')
    assert array[-1]["error"]["status"] == "INVALID_ARGUMENT" and len(array) == 2


async def test_empty_array_stream() -> None:
    async def nothing() -> AsyncIterator[GenerateContentResponse]:
        if False:
            yield GenerateContentResponse()

    assert await _body(stream_response(nothing(), alt="json")) == b"[]"
