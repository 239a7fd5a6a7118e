"""LLM-composed answers against a scripted OpenAI-compatible (and Gemini) server over real HTTP.

The scripted server is a real uvicorn server on a free port: every request takes the next
scripted reply (a completion, an error status, a malformed body, or a slow one), so the
answerer's HTTP client, timeouts and parsing all run for real.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig, UpstreamConfig, answerer_config
from ragkit.server.generation.openai import OpenAIUpstream
from ragkit.server.models.answerer import Passage
from ragkit.server.models.embedders.hashed import HashEmbedder
from ragkit.server.models.llm_answerer import REFUSAL, LLMAnswerer, parse_reply
from ragkit.server.service.answer import ANSWERER_HEADER

from .http.conftest import running

Reply = Callable[[], Response]

PASSAGES = [
    Passage("corpora/c/documents/d/chunks/lists", "Lists are mutable sequences.", 0.7),
    Passage("corpora/c/documents/d/chunks/tuples", "Tuples are immutable sequences.", 0.8),
    Passage("corpora/c/documents/d/chunks/sets", "Sets hold unique elements.", 0.5),
]
QUESTION = "Why are there separate tuple and list types?"


def completion(text: str | None) -> Reply:
    message = {"role": "assistant", "content": text}
    body = {
        "id": "cmpl-1",
        "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }
    return lambda: JSONResponse(body)


def gemini(text: str) -> Reply:
    body = {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}}]}
    return lambda: JSONResponse(body)


class Scripted:
    """The scripted upstream: replies in order, and every request body it received."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.delay = 0.0

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        self.requests.append((request.url.path, dict(request.headers), body))
        # Take the reply before sleeping, so a slow request never eats a later test's reply.
        reply = self.replies.pop(0) if self.replies else None
        if self.delay:
            await asyncio.sleep(self.delay)
        if reply is None:
            return JSONResponse({"error": {"message": "no scripted reply"}}, status_code=500)
        return reply()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[Scripted, str]]:
    scripted = Scripted()
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", scripted.handle, methods=["POST"]),
            Route("/v1beta/models/{name}:generateContent", scripted.handle, methods=["POST"]),
        ]
    )
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield scripted, f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def scripted(upstream: tuple[Scripted, str]) -> Scripted:
    upstream[0].replies.clear()
    upstream[0].requests.clear()
    upstream[0].delay = 0.0
    return upstream[0]


@pytest.fixture(scope="module")
def answerer(upstream: tuple[Scripted, str]) -> Iterator[LLMAnswerer]:
    config = UpstreamConfig("openai", f"{upstream[1]}/v1", model="scripted")
    llm = LLMAnswerer(HashEmbedder(), config, timeout=2.0)
    yield llm
    llm.close()


def test_a_good_answer_keeps_the_model_text_and_maps_citations_to_passages(
    scripted: Scripted, answerer: LLMAnswerer
) -> None:
    scripted.replies.append(
        completion("Tuples are immutable [2], while lists can change [1]. Both are sequences [2].")
    )
    answer = answerer.answer(QUESTION, PASSAGES, style="VERBOSE", temperature=0.3)

    # Markers are renumbered to the order of the attributions: [1] is the first one.
    assert answer.text == (
        "Tuples are immutable [1], while lists can change [2]. Both are sequences [1]."
    )
    assert [span.passage_index for span in answer.spans] == [1, 0]
    assert answer.spans[0].text == PASSAGES[1].text
    assert answer.composed_by == "openai:scripted" and answer.fallback is None
    assert answer.answerable_probability >= 0.5
    path, _, body = scripted.requests[-1]
    assert path == "/v1/chat/completions" and body["model"] == "scripted"
    assert body["temperature"] == 0.3
    system, user = body["messages"]
    assert "only the numbered passages" in system["content"]
    assert "every relevant detail" in system["content"]  # VERBOSE's instruction
    assert "[2] (id: corpora/c/documents/d/chunks/tuples)\nTuples are" in user["content"]
    assert user["content"].endswith(f"Question: {QUESTION}")


def test_the_answer_style_becomes_an_instruction(scripted: Scripted, answerer: LLMAnswerer) -> None:
    for style, words in (("EXTRACTIVE", "word for word"), ("ABSTRACTIVE", "one to three")):
        scripted.replies.append(completion("Tuples are immutable [2]."))
        answerer.answer(QUESTION, PASSAGES, style=style)  # type: ignore[arg-type]
        assert words in scripted.requests[-1][2]["messages"][0]["content"]


def test_a_refusal_is_below_one_half_and_keeps_the_local_draft(
    scripted: Scripted, answerer: LLMAnswerer
) -> None:
    scripted.replies.append(completion(f"{REFUSAL}."))
    local = super(LLMAnswerer, answerer).answer(QUESTION, PASSAGES)
    answer = answerer.answer(QUESTION, PASSAGES)

    assert answer.answerable_probability == pytest.approx(0.5 * local.answerable_probability)
    assert answer.answerable_probability < 0.5
    assert answer.text == local.text and answer.composed_by == "openai:scripted"


def test_citations_of_passages_not_given_are_dropped(
    scripted: Scripted, answerer: LLMAnswerer
) -> None:
    scripted.replies.append(
        completion(
            "Sets are unordered [7]. Tuples are immutable [corpora/c/documents/d/chunks/tuples]"
            " [corpora/x/documents/y/chunks/made-up]. See also [0, 3]."
        )
    )
    answer = answerer.answer(QUESTION, PASSAGES)

    assert answer.text == "Sets are unordered. Tuples are immutable [1]. See also [2]."
    assert [span.passage_index for span in answer.spans] == [1, 2]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (completion("Tuples are immutable [9]."), "cites none of the passages"),
        (completion("Tuples are immutable."), "cites none of the passages"),
        (completion(""), "empty"),
        (completion(None), "empty"),
        (lambda: JSONResponse({"id": "x", "choices": []}), "no candidates"),
        (lambda: PlainTextResponse("<html>gateway</html>"), "malformed"),
        (
            lambda: JSONResponse({"error": {"message": "model overloaded"}}, status_code=503),
            "model overloaded",
        ),
        (lambda: PlainTextResponse("boom", status_code=500), "failed"),
    ],
    ids=[
        "invented-only",
        "no-citation",
        "empty",
        "null-content",
        "no-choices",
        "not-json",
        "503",
        "500",
    ],
)
def test_a_failing_model_falls_back_to_the_local_answer(
    scripted: Scripted, answerer: LLMAnswerer, reply: Reply, reason: str
) -> None:
    scripted.replies.append(reply)
    local = super(LLMAnswerer, answerer).answer(QUESTION, PASSAGES)
    answer = answerer.answer(QUESTION, PASSAGES)

    assert answer.fallback is not None and reason in answer.fallback
    assert answer.composed_by == "local"
    assert (answer.text, answer.answerable_probability) == (
        local.text,
        local.answerable_probability,
    )


def test_a_slow_model_times_out_and_the_local_answer_comes_in_time(
    scripted: Scripted, upstream: tuple[Scripted, str]
) -> None:
    scripted.delay = 3.0
    scripted.replies.append(completion("Tuples are immutable [2]."))
    config = UpstreamConfig("openai", f"{upstream[1]}/v1", model="scripted")
    llm = LLMAnswerer(HashEmbedder(), config, timeout=0.5)
    try:
        started = time.monotonic()
        answer = llm.answer(QUESTION, PASSAGES)
        elapsed = time.monotonic() - started
    finally:
        llm.close()

    assert answer.fallback == "the answer model did not reply within 0.5 s"
    assert elapsed < 2.5
    assert answer.text  # the local answerer's


def test_an_unreachable_model_falls_back() -> None:
    sock = _free_socket()  # bound, never listening: connections are refused
    config = UpstreamConfig("openai", f"http://127.0.0.1:{sock.getsockname()[1]}/v1", model="m")
    llm = LLMAnswerer(HashEmbedder(), config, timeout=5.0)
    try:
        answer = llm.answer(QUESTION, PASSAGES)
    finally:
        llm.close()
        sock.close()
    assert answer.fallback is not None and "unreachable" in answer.fallback


def test_gemini_answers_through_generate_content(
    scripted: Scripted, upstream: tuple[Scripted, str]
) -> None:
    scripted.replies.append(gemini("Tuples are immutable [2]."))
    config = answerer_config(f"google:{upstream[1]}", api_key="sekrit", model="gemini-x")
    llm = LLMAnswerer(HashEmbedder(), config, timeout=2.0)
    try:
        answer = llm.answer(QUESTION, PASSAGES, temperature=0.2)
    finally:
        llm.close()

    assert answer.composed_by == "google:gemini-x"
    assert answer.text == "Tuples are immutable [1]."
    path, headers, body = scripted.requests[-1]
    assert path == "/v1beta/models/gemini-x:generateContent"
    assert headers["x-goog-api-key"] == "sekrit"
    assert "only the numbered passages" in body["systemInstruction"]["parts"][0]["text"]
    assert body["generationConfig"] == {"temperature": 0.2}


def test_follow_ups_are_rewritten_by_the_model(scripted: Scripted, answerer: LLMAnswerer) -> None:
    scripted.replies.append(completion("  How do I clear the cache of functools.lru_cache?\n"))
    turns = [("user", "What does functools.lru_cache do?"), ("model", "It memoizes calls.")]

    rewritten = answerer.resolve("How do I clear it?", turns)

    assert rewritten == "How do I clear the cache of functools.lru_cache?"
    prompt = scripted.requests[-1][2]["messages"][1]["content"]
    assert "user: What does functools.lru_cache do?\nmodel: It memoizes calls." in prompt


def test_a_failed_rewrite_carries_the_subject_instead(
    scripted: Scripted, answerer: LLMAnswerer
) -> None:
    scripted.replies.append(lambda: PlainTextResponse("down", status_code=502))
    turns = [("user", "What does functools.lru_cache do?")]

    assert answerer.resolve("How do I clear it?", turns) == (
        "How do I clear it? (functools.lru_cache)"
    )


def test_parse_reply_accepts_passage_words_and_ids() -> None:
    assert parse_reply("A [passage 2]. B [corpora/c/documents/d/chunks/sets].", PASSAGES) == (
        "A [1]. B [2].",
        [1, 2],
    )
    assert parse_reply(f"  {REFUSAL}  ", PASSAGES) is None


def test_answerer_flags_need_a_model_and_a_key() -> None:
    with pytest.raises(ValueError, match="--answerer-model"):
        answerer_config("openai:http://127.0.0.1:1/v1")
    with pytest.raises(ValueError, match="API key"):
        answerer_config("google")
    assert answerer_config("google:KEY").model == "gemini-2.5-flash"


async def test_generate_answer_with_an_answer_model_over_http(
    tmp_path: Path, scripted: Scripted, upstream: tuple[Scripted, str]
) -> None:
    config = ServerConfig(
        data_dir=tmp_path / "data",
        embedder="hash",
        answerer=UpstreamConfig("openai", f"{upstream[1]}/v1", model="scripted"),
        answerer_timeout=5.0,
    )
    async with running(create_app(config)) as client:
        base = "corpora/langs"
        assert (await client.post("/v1beta/corpora", json={"name": base})).is_success
        document = await client.post(
            f"/v1beta/{base}/documents", json={"name": f"{base}/documents/py"}
        )
        assert document.is_success, document.text
        chunks = [
            {"chunk": {"name": f"{base}/documents/py/chunks/{name}", "data": {"stringValue": text}}}
            for name, text in (
                ("tuples", "Tuples are immutable, so they can be dictionary keys."),
                ("lists", "Lists are mutable and can grow."),
            )
        ]
        created = await client.post(
            f"/v1beta/{base}/documents/py/chunks:batchCreate", json={"requests": chunks}
        )
        assert created.is_success, created.text
        request = {
            "contents": [{"role": "user", "parts": [{"text": "Why use a tuple as a key?"}]}],
            "answerStyle": "ABSTRACTIVE",
            "semanticRetriever": {
                "source": "corpora/langs",
                "query": {"parts": [{"text": "Why use a tuple as a key?"}]},
            },
        }
        scripted.replies.append(completion("Because tuples are immutable [1][7]."))
        response = await client.post("/v1beta/models/aqa:generateAnswer", json=request)
        assert response.status_code == 200, response.text
        assert response.headers[ANSWERER_HEADER] == "openai:scripted"
        body = response.json()
        user = scripted.requests[-1][2]["messages"][1]["content"]
        first = user.split("(id: ", 1)[1].split(")", 1)[0]
        assert body["answer"]["content"]["parts"][0]["text"] == "Because tuples are immutable [1]."
        (attribution,) = body["answer"]["groundingAttributions"]
        assert attribution["sourceId"]["semanticRetrieverChunk"]["chunk"] == first
        assert body["answerableProbability"] >= 0.5

        scripted.replies.append(lambda: PlainTextResponse("down", status_code=500))
        response = await client.post("/v1beta/models/aqa:generateAnswer", json=request)
        assert response.status_code == 200
        assert response.headers[ANSWERER_HEADER].startswith('local; fallback="the answer model')
        assert "answerableProbability" in response.json()


def test_the_answerer_reuses_the_server_upstream_client(answerer: LLMAnswerer) -> None:
    assert isinstance(answerer._client, OpenAIUpstream)
    assert isinstance(answerer._client._client, httpx.AsyncClient)
