"""models/aqa:generateAnswer: request checks, inline passages, semantic retriever."""

from __future__ import annotations

from typing import Any

import pytest

from ragkit.server.service import RetrieverService
from ragkit.types import (
    AnswerStyle,
    Code,
    Condition,
    Content,
    Corpus,
    Document,
    FinishReason,
    GenerateAnswerRequest,
    GroundingPassage,
    GroundingPassages,
    MetadataFilter,
    Part,
    SafetySetting,
    SemanticRetrieverConfig,
)

from .conftest import OWNER, batch, chunk, raises

QUESTION = "When was the Eiffel Tower completed?"


def text(value: str) -> Content:
    return Content(parts=[Part(text=value)])


def inline(**overrides: Any) -> GenerateAnswerRequest:
    fields: dict[str, Any] = {
        "contents": [text("Tell me about Paris."), text(QUESTION)],
        "answer_style": AnswerStyle.EXTRACTIVE,
        "inline_passages": GroundingPassages(
            passages=[
                GroundingPassage(id="bread", content=text("Baguettes are long thin loaves.")),
                GroundingPassage(
                    id="tower",
                    content=Content(
                        parts=[
                            Part(text="The tower is in Paris."),
                            Part(text="The Eiffel Tower was completed in 1889."),
                        ]
                    ),
                ),
            ]
        ),
    }
    fields.update(overrides)
    return GenerateAnswerRequest.model_construct(**fields)


def test_inline_passages_are_attributed_by_passage_and_part(service: RetrieverService) -> None:
    response = service.generate_answer(OWNER, "models/aqa", inline())
    answer = response.answer
    assert answer is not None and answer.content is not None
    assert answer.content.role == "model" and answer.finish_reason is FinishReason.STOP
    assert answer.index == 0
    assert "1889" in (answer.content.parts or [Part()])[0].text or ""
    attributions = answer.grounding_attributions or []
    assert attributions
    source = attributions[0].source_id
    assert source is not None and source.grounding_passage is not None
    assert (source.grounding_passage.passage_id, source.grounding_passage.part_index) == (
        "tower",
        1,
    )
    assert (
        response.answerable_probability is not None
        and 0.0 <= response.answerable_probability <= 1.0
    )
    assert response.input_feedback is None


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"contents": []}, Code.INVALID_ARGUMENT),
        ({"contents": [text("   ")]}, Code.INVALID_ARGUMENT),
        ({"temperature": 1.5}, Code.INVALID_ARGUMENT),
        ({"temperature": -0.1}, Code.INVALID_ARGUMENT),
        ({"inline_passages": None}, Code.INVALID_ARGUMENT),
        ({"inline_passages": GroundingPassages(passages=[])}, Code.INVALID_ARGUMENT),
        (
            {"inline_passages": GroundingPassages(passages=[GroundingPassage(content=text("x"))])},
            Code.INVALID_ARGUMENT,
        ),
        (
            {"semantic_retriever": SemanticRetrieverConfig(source="corpora/c", query=text("q"))},
            Code.INVALID_ARGUMENT,
        ),
        (
            {
                "safety_settings": [
                    SafetySetting(category="HARM_CATEGORY_TOXICITY", threshold="BLOCK_NONE")
                ]
            },
            Code.INVALID_ARGUMENT,
        ),
        (
            {
                "safety_settings": [
                    SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_NONE")
                ]
                * 2
            },
            Code.INVALID_ARGUMENT,
        ),
        (
            {"safety_settings": [SafetySetting(category="HARM_CATEGORY_HARASSMENT")]},
            Code.INVALID_ARGUMENT,
        ),
    ],
)
def test_request_errors(service: RetrieverService, overrides: dict[str, Any], code: Code) -> None:
    raises(code, lambda: service.generate_answer(OWNER, "models/aqa", inline(**overrides)))


@pytest.mark.parametrize("style", [None, AnswerStyle.ANSWER_STYLE_UNSPECIFIED])
def test_unset_answer_style_means_abstractive(
    service: RetrieverService, style: AnswerStyle | None
) -> None:
    unset = service.generate_answer(OWNER, "models/aqa", inline(answer_style=style))
    abstractive = service.generate_answer(
        OWNER, "models/aqa", inline(answer_style=AnswerStyle.ABSTRACTIVE)
    )
    assert unset.answer == abstractive.answer
    assert unset.answer is not None


def test_models_other_than_aqa(service: RetrieverService) -> None:
    raises(Code.NOT_FOUND, lambda: service.generate_answer(OWNER, "models/gemini-pro", inline()))
    assert service.generate_answer(OWNER, "aqa", inline()).answer is not None
    supported = [
        SafetySetting.model_validate({"category": c, "threshold": "BLOCK_ONLY_HIGH"})
        for c in (
            "HARM_CATEGORY_HATE_SPEECH",
            "HARM_CATEGORY_SEXUALLY_EXPLICIT",
            "HARM_CATEGORY_DANGEROUS_CONTENT",
            "HARM_CATEGORY_HARASSMENT",
        )
    ]
    assert service.generate_answer(OWNER, "models/aqa", inline(safety_settings=supported)).answer


@pytest.mark.both_backends  # grounding on a corpus: the same on SQLite and PostgreSQL
def test_semantic_retriever(service: RetrieverService) -> None:
    service.create_corpus(OWNER, Corpus(name="c"))
    service.create_document(OWNER, "corpora/c", Document(name="d"))
    service.batch_create_chunks(
        OWNER,
        "corpora/c/documents/d",
        batch(
            chunk("The Eiffel Tower was completed in 1889.", kind="fact"),
            chunk("Baguettes are long thin loaves of bread.", kind="food"),
            chunk("The Louvre is the world's largest art museum.", kind="fact"),
        ),
    )

    def ask(source: str, **config: Any) -> Any:
        request = GenerateAnswerRequest(
            contents=[text(QUESTION)],
            answer_style="ABSTRACTIVE",
            semantic_retriever=SemanticRetrieverConfig(
                source=source, query=text("Eiffel Tower completed"), **config
            ),
        )
        return service.generate_answer(OWNER, "models/aqa", request)

    response = ask("corpora/c")
    attributions = response.answer.grounding_attributions or []
    assert attributions and "1889" in (response.answer.content.parts[0].text or "")
    first = attributions[0].source_id.semantic_retriever_chunk
    assert first.source == "corpora/c" and first.chunk.startswith("corpora/c/documents/d/chunks/")
    scoped = ask("corpora/c/documents/d", max_chunks_count=1)
    assert (
        scoped.answer.grounding_attributions[0].source_id.semantic_retriever_chunk.source
        == "corpora/c/documents/d"
    )
    food_only = [
        MetadataFilter(
            key="chunk.custom_metadata.kind",
            conditions=[Condition(string_value="food", operation="EQUAL")],
        )
    ]
    filtered = ask("corpora/c", metadata_filters=food_only)
    assert "1889" not in (filtered.answer.content.parts[0].text or "")
    nothing = ask("corpora/c", minimum_relevance_score=1.1)
    assert not nothing.answer.grounding_attributions and nothing.answerable_probability == 0.0
    raises(Code.INVALID_ARGUMENT, lambda: ask("corpora/c", max_chunks_count=101))
    raises(Code.INVALID_ARGUMENT, lambda: ask("corpora/c", max_chunks_count=-1))
    raises(Code.INVALID_ARGUMENT, lambda: ask("bogus"))
    raises(Code.INVALID_ARGUMENT, lambda: ask(""))
    raises(Code.PERMISSION_DENIED, lambda: ask("corpora/other"))
    raises(Code.NOT_FOUND, lambda: ask("corpora/c/documents/zz"))
    doc_keys = [
        MetadataFilter(
            key="document.custom_metadata.kind",
            conditions=[Condition(string_value="x", operation="EQUAL")],
        )
    ]
    raises(Code.INVALID_ARGUMENT, lambda: ask("corpora/c/documents/d", metadata_filters=doc_keys))
    no_query = GenerateAnswerRequest(
        contents=[text(QUESTION)],
        answer_style="ABSTRACTIVE",
        semantic_retriever=SemanticRetrieverConfig(source="corpora/c"),
    )
    raises(Code.INVALID_ARGUMENT, lambda: service.generate_answer(OWNER, "models/aqa", no_query))
