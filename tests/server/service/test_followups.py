"""Follow-up questions: resolved against earlier turns before retrieval (scripted dialogues)."""

from __future__ import annotations

import pytest

from ragkit.server.models.followup import is_followup, resolve_followup, subject_phrase
from ragkit.server.service import RetrieverService
from ragkit.types import (
    AnswerStyle,
    Content,
    Corpus,
    Document,
    GenerateAnswerRequest,
    Part,
    SemanticRetrieverConfig,
)

from .conftest import OWNER, batch, chunk

#: The same rules on SQLite and PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.both_backends

# Each dialogue: the user's earlier questions, the follow-up, and what its search must carry.
DIALOGUES = [
    # possessive pronoun
    (["What does functools.lru_cache do?"], "What is its default maxsize?", "functools.lru_cache"),
    # object pronoun, two turns later: the topic stays the last self-contained question's
    (
        ["What does functools.lru_cache do?", "What is its default maxsize?"],
        "How do I clear it?",
        "functools.lru_cache",
    ),
    # elided subject
    (["How do I mount an NFS share?"], "And on boot?", "mount NFS share"),
    (["How long does the sourdough proof?"], "What about in the fridge?", "sourdough proof"),
    # demonstrative
    (["What does the --force flag of rsync do?"], "Is that safe?", "--force flag rsync"),
    # "one"
    (["What is a virtual package?"], "How do I create one?", "virtual package"),
    # nothing of its own
    (["Why does the kernel panic on boot?"], "Why?", "kernel panic boot"),
]


@pytest.mark.parametrize(("earlier", "question", "subject"), DIALOGUES)
def test_follow_ups_carry_the_subject_of_the_conversation(
    earlier: list[str], question: str, subject: str
) -> None:
    assert is_followup(question)
    assert resolve_followup(question, earlier) == f"{question} ({subject})"


@pytest.mark.parametrize(
    ("earlier", "question"),
    [
        # a new, self-contained question changes the topic
        (["What does functools.lru_cache do?"], "How do I read a CSV file into dictionaries?"),
        # a pronoun that refers inside the question itself still gets the topic, but a
        # question naming the subject already is left alone
        (["What does functools.lru_cache do?"], "Is functools.lru_cache thread-safe?"),
        # no earlier turn: nothing to carry
        ([], "How do I clear it?"),
    ],
)
def test_self_contained_questions_are_left_alone(earlier: list[str], question: str) -> None:
    assert resolve_followup(question, earlier) == question


def test_subject_phrase_keeps_the_naming_words_in_order() -> None:
    assert subject_phrase("How do I create a named tuple?") == "create named tuple"
    assert subject_phrase("Which SQL command would you use to drop a table?") == "drop table"


def _ask(service: RetrieverService, turns: list[tuple[str, str]]) -> tuple[str, str]:
    contents = [Content(role=role, parts=[Part(text=text)]) for role, text in turns]
    request = GenerateAnswerRequest(
        contents=contents,
        answer_style=AnswerStyle.EXTRACTIVE,
        semantic_retriever=SemanticRetrieverConfig(
            source="corpora/py", query=contents[-1], max_chunks_count=1
        ),
    )
    response = service.generate_answer(OWNER, "models/aqa", request)
    assert response.answer is not None
    attributions = response.answer.grounding_attributions or []
    cited = attributions[0].source_id
    assert cited is not None and cited.semantic_retriever_chunk is not None
    parts = response.answer.content.parts if response.answer.content else []
    return cited.semantic_retriever_chunk.chunk or "", (parts or [Part(text="")])[0].text or ""


def test_a_dialogue_retrieves_for_the_conversation_not_the_last_words(
    service: RetrieverService,
) -> None:
    service.create_corpus(OWNER, Corpus(name="py"))
    service.create_document(OWNER, "corpora/py", Document(name="d"))
    service.batch_create_chunks(
        OWNER,
        "corpora/py/documents/d",
        batch(
            chunk(
                "functools.lru_cache memoizes a function. The default maxsize of "
                "functools.lru_cache is 128 entries.",
                name="lru-maxsize",
            ),
            chunk(
                "Call cache_clear() on the function decorated with functools.lru_cache to "
                "clear it.",
                name="lru-clear",
            ),
            chunk("list.clear() removes every item from a list.", name="l"),
            chunk("A queue.Queue has a default maxsize of 0, meaning unbounded.", name="queue"),
        ),
    )
    first = [("user", "What does functools.lru_cache do?")]
    cited, _ = _ask(service, first)
    assert cited.endswith("lru-maxsize")

    dialogue = [*first, ("model", "It memoizes a function."), ("user", "How do I clear it?")]
    cited, text = _ask(service, dialogue)
    assert cited.endswith("lru-clear"), text
    assert "cache_clear()" in text

    dialogue = [*first, ("model", "It memoizes."), ("user", "What is its default maxsize?")]
    cited, text = _ask(service, dialogue)
    assert cited.endswith("lru-maxsize"), text
    assert "128" in text
