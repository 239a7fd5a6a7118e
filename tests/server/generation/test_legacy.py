"""The PaLM chat/text mapping onto the local composer."""

from __future__ import annotations

from typing import Any

import pytest

from ragkit.server.catalog import build_catalog
from ragkit.server.errors import ApiError
from ragkit.server.generation.legacy import LegacyModels
from ragkit.server.generation.local import LocalGenerativeModel
from ragkit.server.models.answerer import Answerer
from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.types import GenerateMessageRequest, GenerateTextRequest

CATALOG = build_catalog(load_embedder("hash"))
LEGACY = LegacyModels(LocalGenerativeModel(Answerer(load_embedder("hash"))))


def chat(prompt: dict[str, Any], **options: Any) -> Any:
    request = GenerateMessageRequest.model_validate({"prompt": prompt, **options})
    return LEGACY.generate_message(LOCAL_USER, CATALOG.get("models/chat-bison-001"), request)


def test_examples_are_earlier_turns_and_the_reply_author_is_the_other_one() -> None:
    prompt = {
        "examples": [
            {
                "input": {"content": "Tell me about the vault."},
                "output": {"content": "The vault code is 4521."},
            }
        ],
        "messages": [
            {"author": "alice", "content": "Hello."},
            {"author": "bot", "content": "Hi, Alice."},
            {"author": "alice", "content": "What is the vault code?"},
        ],
    }

    response = chat(prompt, candidateCount=2)

    assert [c.author for c in response.candidates] == ["bot", "bot"]
    assert "4521" in response.candidates[0].content
    assert [m.author for m in response.messages] == ["alice", "bot", "alice"]


@pytest.mark.parametrize(
    ("prompt", "options", "fragment"),
    [
        ({"messages": [{"content": ""}]}, {}, r"prompt.messages\[0\].content"),
        ({"messages": [{"content": "x"}]}, {"candidateCount": 9}, "candidateCount"),
        ({"messages": [{"content": "x"}]}, {"topK": 0}, "topK"),
        (
            {"examples": [{"input": {"content": "x"}}], "messages": [{"content": "y"}]},
            {},
            "examples",
        ),
    ],
)
def test_generate_message_rejects(
    prompt: dict[str, Any], options: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ApiError, match=fragment):
        chat(prompt, **options)


def test_generate_text_applies_stop_sequences_and_token_budget() -> None:
    model = CATALOG.get("models/text-bison-001")
    prompt = {"text": "The vault code is 4521. It opens the east door. What is the vault code?"}

    stopped = LEGACY.generate_text(
        LOCAL_USER,
        model,
        GenerateTextRequest.model_validate({"prompt": prompt, "stopSequences": ["45"]}),
    )
    short = LEGACY.generate_text(
        LOCAL_USER,
        model,
        GenerateTextRequest.model_validate({"prompt": prompt, "maxOutputTokens": 2}),
    )

    assert stopped.candidates[0].output == "The vault code is "  # type: ignore[index]
    assert short.candidates[0].output == "The vault"  # type: ignore[index]
