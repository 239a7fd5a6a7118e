"""ask/aask: both grounding modes, citations, abstention, cascade, history, conversations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import ragkit
from ragkit.rag.answer import NOT_IN_DOCUMENTS, aask, ask
from ragkit.rag.conversation import AsyncConversation, Conversation
from ragkit.rag.filters import FilterError
from ragkit.server.embedded import EmbeddedServer
from tests.rag import _corpus

WARRANTY = "How long does the widget warranty last?"
OFF_TOPIC = "Who painted the ceiling of the Sistine Chapel?"


class Recorder(httpx.BaseTransport):
    """Passes requests to the real server, recording generateAnswer bodies.

    Styles in ``empty`` get an empty answer instead, as a model that returns nothing would.
    """

    def __init__(
        self, empty: tuple[str, ...] = (), blocked: tuple[str, ...] = (), unquoted: bool = False
    ) -> None:
        self.inner = httpx.HTTPTransport()
        self.empty = empty
        self.blocked = blocked
        self.unquoted = unquoted
        self.answers: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(":generateAnswer"):
            body = json.loads(request.read())
            self.answers.append(body)
            if body["answerStyle"] in self.empty:
                content = {"role": "model", "parts": [{"text": ""}]}
                empty = {"answer": {"content": content, "finishReason": "STOP"}}
                return httpx.Response(200, json=empty)
            if body["answerStyle"] in self.blocked:
                # A blocked question gets no candidate at all, only the feedback.
                return httpx.Response(200, json={"inputFeedback": {"blockReason": "SAFETY"}})
            if self.unquoted:
                return self._without_quotes(self.inner.handle_request(request))
        return self.inner.handle_request(request)

    @staticmethod
    def _without_quotes(response: httpx.Response) -> httpx.Response:
        """The response with attributions that name their source but carry no content."""
        data = json.loads(response.read())
        for attribution in data["answer"].get("groundingAttributions", []):
            attribution.pop("content", None)
        return httpx.Response(response.status_code, json=data)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def recorded(server: EmbeddedServer, recorder: Recorder) -> Iterator[ragkit.Client]:
    with ragkit.Client(base_url=server.base_url, transport=recorder, max_retries=0) as client:
        yield client


@pytest.mark.parametrize("mode", ["retriever", "passages"])
def test_answer_with_citations_to_file_page_and_section(
    recorded: ragkit.Client, recorder: Recorder, mode: str
) -> None:
    answer = ask(recorded, "kb", WARRANTY, mode=mode)  # type: ignore[arg-type]
    assert not answer.abstained and answer.reason is None
    assert "two years" in answer.text
    assert answer.answerable_probability >= 0.5
    first = answer.citations[0]
    assert (first.number, first.source, first.page, first.section) == (
        1,
        "manual.pdf",
        "7",
        "Warranty",
    )
    assert first.chunk_name is not None and first.chunk_name.startswith(_corpus.MANUAL)
    assert "warranty lasts two years" in first.quote
    assert first.format() == "[1] manual.pdf, p. 7, Warranty"
    assert answer.format().splitlines()[-len(answer.citations)] == first.format()
    body = recorder.answers[-1]
    if mode == "retriever":
        assert body["semanticRetriever"]["source"] == "corpora/kb"
        assert body["semanticRetriever"]["query"]["parts"][0]["text"] == WARRANTY
        assert "inlinePassages" not in body
    else:
        passages = body["inlinePassages"]["passages"]
        assert [p["id"] for p in passages] == [str(i) for i in range(len(passages))]
        assert "semanticRetriever" not in body


@pytest.mark.parametrize("mode", ["retriever", "passages"])
def test_filters_restrict_the_grounding(recorded: ragkit.Client, mode: str) -> None:
    answer = ask(recorded, "kb", WARRANTY, mode=mode, where='lang == "de"', threshold=0)  # type: ignore[arg-type]
    assert all(c.source == "notes/release.md" for c in answer.citations)
    with pytest.raises(FilterError):
        ask(recorded, "kb", WARRANTY, mode=mode, where="year >= 'x'")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["retriever", "passages"])
def test_a_question_not_covered_abstains(recorded: ragkit.Client, mode: str) -> None:
    answer = ask(recorded, "kb", OFF_TOPIC, mode=mode)  # type: ignore[arg-type]
    assert answer.abstained
    assert answer.text == NOT_IN_DOCUMENTS and "not in the documents" in answer.text.lower()
    assert answer.citations == []
    assert answer.answerable_probability < 0.5
    assert answer.reason is not None and "below the threshold 0.50" in answer.reason
    assert answer.draft  # the model's ungrounded attempt is kept for debugging


def test_the_threshold_is_configurable(client: ragkit.Client) -> None:
    covered = ask(client, "kb", WARRANTY)
    assert ask(
        client, "kb", WARRANTY, threshold=min(1.0, covered.answerable_probability + 0.01)
    ).abstained
    assert not ask(client, "kb", OFF_TOPIC, threshold=0.0).abstained


def test_passages_mode_abstains_without_calling_when_nothing_matches(
    recorded: ragkit.Client, recorder: Recorder
) -> None:
    answer = ask(recorded, "kb", WARRANTY, mode="passages", where="year > 3000")
    assert answer.abstained and answer.attempts == ()
    assert answer.reason == "no passage in the documents matches the question"
    assert recorder.answers == []


def test_cascade_tries_the_next_style_when_one_returns_nothing(server: EmbeddedServer) -> None:
    recorder = Recorder(empty=("ABSTRACTIVE",))
    with ragkit.Client(base_url=server.base_url, transport=recorder, max_retries=0) as client:
        answer = ask(client, "kb", WARRANTY, cascade=True)
        assert not answer.abstained and answer.style == "EXTRACTIVE"
        assert [a.style for a in answer.attempts] == ["ABSTRACTIVE", "EXTRACTIVE"]
        assert answer.citations and answer.citations[0].source == "manual.pdf"
        assert [b["answerStyle"] for b in recorder.answers] == ["ABSTRACTIVE", "EXTRACTIVE"]

        recorder.answers.clear()
        alone = ask(client, "kb", WARRANTY)
        assert alone.abstained and alone.reason == "the model returned no answer"
        assert len(recorder.answers) == 1

        recorder.answers.clear()
        off = ask(client, "kb", OFF_TOPIC, style="VERBOSE", cascade=["EXTRACTIVE", "ABSTRACTIVE"])
        assert off.abstained
        assert [b["answerStyle"] for b in recorder.answers] == [
            "VERBOSE",
            "EXTRACTIVE",
            "ABSTRACTIVE",
        ]


def test_a_blocked_answer_abstains_and_the_cascade_moves_on(server: EmbeddedServer) -> None:
    recorder = Recorder(blocked=("ABSTRACTIVE",))
    with ragkit.Client(base_url=server.base_url, transport=recorder, max_retries=0) as client:
        blocked = ask(client, "kb", WARRANTY)
        assert blocked.abstained and blocked.reason == "the answer was blocked (SAFETY)"
        assert blocked.attempts[0].blocked == "SAFETY" and blocked.draft == ""
        rescued = ask(client, "kb", WARRANTY, cascade=["VERBOSE"])
        assert not rescued.abstained and rescued.style == "VERBOSE"


@pytest.mark.parametrize("mode", ["retriever", "passages"])
def test_attributions_without_content_quote_the_whole_passage(
    server: EmbeddedServer, mode: str
) -> None:
    recorder = Recorder(unquoted=True)
    with ragkit.Client(base_url=server.base_url, transport=recorder, max_retries=0) as client:
        answer = ask(client, "kb", WARRANTY, mode=mode)  # type: ignore[arg-type]
    assert answer.citations[0].quote == _corpus.MANUAL_CHUNKS[1][0]
    assert answer.citations[0].format() == "[1] manual.pdf, p. 7, Warranty"


def test_history_is_sent_as_contents_and_retrieval_uses_the_latest_question(
    recorded: ragkit.Client, recorder: Recorder
) -> None:
    chat = Conversation(recorded, "kb")
    first = chat.ask("How do I install the widget?")
    assert first.citations[0].section == "Setup > Install" and first.citations[0].page == "4"
    second = chat.ask(WARRANTY)
    assert "two years" in second.text
    body = recorder.answers[-1]
    roles_texts = [(c["role"], c["parts"][0]["text"]) for c in body["contents"]]
    assert roles_texts == [
        ("user", "How do I install the widget?"),
        ("model", first.text),
        ("user", WARRANTY),
    ]
    assert body["semanticRetriever"]["query"]["parts"][0]["text"] == WARRANTY
    assert [c.role for c in chat.history] == ["user", "model", "user", "model"]
    chat.reset()
    assert chat.history == [] and chat.answers == []


def test_conversation_window_keeps_whole_exchanges(
    recorded: ragkit.Client, recorder: Recorder
) -> None:
    chat = Conversation(recorded, "kb", max_turns=1, mode="passages")
    for question in ("How do I install the widget?", "How do I clean it?", WARRANTY):
        chat.ask(question)
    contents = recorder.answers[-1]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[0]["parts"][0]["text"] == "How do I clean it?"
    with pytest.raises(TypeError, match="history"):
        Conversation(recorded, "kb", history=[])


def test_arguments_are_checked(client: ragkit.Client) -> None:
    for kwargs, message in (
        ({"threshold": 1.5}, "threshold"),
        ({"max_passages": 0}, "max_passages"),
        ({"style": "POETIC"}, "unknown answer style"),
        ({"mode": "guess"}, "mode"),
    ):
        with pytest.raises(ValueError, match=message):
            ask(client, "kb", WARRANTY, **kwargs)
    with pytest.raises(ValueError, match="empty"):
        ask(client, "kb", "  ")


async def test_async_ask_and_conversation_match_the_sync_ones(server: EmbeddedServer) -> None:
    async with ragkit.AsyncClient(base_url=server.base_url, max_retries=0) as client:
        for mode in ("retriever", "passages"):
            answer = await aask(client, "kb", WARRANTY, mode=mode)
            assert not answer.abstained
            assert answer.citations[0].format() == "[1] manual.pdf, p. 7, Warranty"
        assert (await aask(client, "kb", OFF_TOPIC)).abstained
        chat = AsyncConversation(client, "kb")
        await chat.ask("How do I install the widget?")
        follow = await chat.ask(WARRANTY)
        assert "two years" in follow.text and len(chat.history) == 4


def test_passages_can_be_answered_by_another_endpoint(
    client: ragkit.Client, tmp_path: Path
) -> None:
    # The second server holds no corpora, like Google's live API: only generateAnswer is used.
    recorder = Recorder()
    with (
        EmbeddedServer(tmp_path / "bare", embedder="hash") as bare,
        ragkit.Client(base_url=bare.base_url, transport=recorder, max_retries=0) as answerer,
    ):
        answer = ask(client, "kb", WARRANTY, mode="passages", answer_client=answerer)
    assert not answer.abstained and "two years" in answer.text
    assert answer.citations[0].format() == "[1] manual.pdf, p. 7, Warranty"
    assert len(recorder.answers) == 1 and "inlinePassages" in recorder.answers[0]
    with pytest.raises(ValueError, match="answer_client needs mode='passages'"):
        ask(client, "kb", WARRANTY, answer_client=client)


@pytest.mark.parametrize("mode", ["retriever", "passages"])
def test_asking_one_document(client: ragkit.Client, mode: str) -> None:
    answer = ask(client, _corpus.NOTES, "Which firmware version adds Bluetooth pairing?", mode=mode)  # type: ignore[arg-type]
    assert not answer.abstained and "1.2" in answer.text
    assert answer.citations[0].format() == "[1] notes/release.md, Release notes > 1.2"
    with pytest.raises(FilterError, match="a search inside one document"):
        ask(client, _corpus.NOTES, "firmware", mode=mode, where="year > 2000")  # type: ignore[arg-type]
