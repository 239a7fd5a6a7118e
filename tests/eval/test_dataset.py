"""The JSONL question format: parsing, labels, errors with file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.eval.dataset import (
    DatasetError,
    Relevant,
    dump_questions,
    load_questions,
    parse_questions,
)

CHUNK = "corpora/kb/documents/manual/chunks/c1"


def lines(*records: object) -> list[str]:
    return [json.dumps(r) if not isinstance(r, str) else r for r in records]


def test_parse_full_record_and_defaults() -> None:
    questions = parse_questions(
        lines(
            {
                "id": "a",
                "question": "How long is the warranty?",
                "relevant": ["corpora/kb/documents/manual", {"chunk": CHUNK}],
                "answer": "two years",
                "split": "tune",
                "meta": {"kind": "x"},
            },
            "",
            {"question": "Who made it?", "unanswerable": True},
        )
    )
    first, second = questions
    assert first.relevant == (Relevant(document="manual"), Relevant(document="manual", chunk="c1"))
    assert first.answers == ("two years",) and first.split == "tune"
    assert second.id == "q2" and second.unanswerable and second.relevant == ()


def test_judge_matches_document_chunk_and_contained_text() -> None:
    (question,) = parse_questions(
        lines(
            {
                "question": "q",
                "relevant": [{"document": "notes", "contains": "Firmware  VERSION 1.3"}, "manual"],
            }
        )
    )
    assert question.judge(CHUNK, "anything") == 1
    assert question.judge("corpora/kb/documents/notes/chunks/x", "firmware version 1.3 fixes") == 0
    assert question.judge("corpora/kb/documents/notes/chunks/x", "version 1.2") is None
    assert question.judge("corpora/kb/documents/notes/chunks/x", None) is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"question": ""}', "'question' must be a non-empty string"),
        ('{"question": "q", "relevnt": []}', "unknown key 'relevnt'"),
        ('{"question": "q", "relevant": "doc"}', "'relevant' must be a list"),
        ('{"question": "q", "relevant": [{"contains": "x"}]}', "needs a 'document' or a 'chunk'"),
        ('{"question": "q", "relevant": [{"document": "d", "page": 1}]}', "unknown key 'page'"),
        ('{"question": "q", "relevant": [3]}', "document ID or an object"),
        ('{"question": "q", "unanswerable": "yes"}', "true or false"),
        ('{"question": "q", "unanswerable": true, "relevant": ["d"]}', "cannot list relevant"),
        ('{"question": "q", "answer": "a", "answers": ["b"]}', "not both"),
        ('{"question": "q", "answers": [""]}', "non-empty strings"),
        ('{"question": "q", "split": 3}', "'split'"),
    ],
)
def test_errors_name_the_line(line: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message) as caught:
        parse_questions(["", line], source="set.jsonl")
    assert str(caught.value).startswith("set.jsonl:2: ")


def test_duplicate_ids_and_empty_files() -> None:
    with pytest.raises(DatasetError, match=r"f:2: duplicate id 'x' \(first on line 1\)"):
        parse_questions(
            lines({"id": "x", "question": "a"}, {"id": "x", "question": "b"}), source="f"
        )
    with pytest.raises(DatasetError, match="no questions"):
        parse_questions(["", "  "])


def test_round_trip(tmp_path: Path) -> None:
    original = parse_questions(
        lines(
            {"id": "a", "question": "q?", "relevant": ["d", {"document": "e", "contains": "t"}],
             "answers": ["x"], "split": "heldout", "meta": {"n": 1}},
            {"id": "b", "question": "r?", "unanswerable": True},
        )
    )  # fmt: skip
    path = tmp_path / "q.jsonl"
    dump_questions(original, path)
    assert load_questions(path) == original
