"""Labelled evaluation questions, one JSON object per line (JSONL).

Each line is an object with these keys (only ``question`` is required)::

    {"id": "sql-createtable",
     "question": "Which SQL command defines a new table?",
     "relevant": ["sql-createtable-html-1a2b3c4d5e",
                  {"document": "glossary-html-0a1b2c3d4e", "contains": "A set of rows"},
                  {"chunk": "corpora/pg/documents/d/chunks/c"}],
     "answers": ["CREATE TABLE"],
     "unanswerable": false,
     "split": "heldout",
     "meta": {"kind": "reference"}}

``relevant`` lists what a correct retrieval returns. A plain string is a document ID (or a
full document name ``corpora/c/documents/d``); an object names a ``document`` and/or a
``chunk`` (ID or full name), and may add ``contains``: a snippet the chunk's text must
include (whitespace and case are ignored), which labels the chunk that holds a passage
without depending on how the document was chunked. ``answer`` (one string) or ``answers``
(several) are reference answers for token F1. ``unanswerable: true`` marks a question
whose answer is not in the corpus; it must not list ``relevant`` items. ``split`` names a
subset (``"tune"``, ``"heldout"``...) that :func:`ragkit.eval.evaluate` can select;
``meta`` is free-form and kept as is. Any other key is an error, so typos do not silently
drop labels.

>>> questions = load_questions("bench/eval/sets/pg15/questions.jsonl")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DatasetError",
    "Question",
    "Relevant",
    "dump_questions",
    "load_questions",
    "normalize_text",
    "parse_questions",
    "question_to_json",
]

_KEYS = frozenset(
    {"id", "question", "relevant", "answer", "answers", "unanswerable", "split", "meta"}
)
_RELEVANT_KEYS = frozenset({"document", "chunk", "contains"})
_SPACE = re.compile(r"\s+")


class DatasetError(ValueError):
    """A question file is malformed; the message names the file and line."""


def normalize_text(text: str) -> str:
    """Lower case with runs of whitespace collapsed to one space (for ``contains``)."""
    return _SPACE.sub(" ", text).strip().lower()


def _last(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Relevant:
    """One relevance label: a document, a chunk, and/or a passage a chunk must contain.

    ``document`` and ``chunk`` are IDs (the last part of the resource name).
    """

    document: str | None = None
    chunk: str | None = None
    contains: str | None = None

    def matches(self, chunk_name: str, text: str | None) -> bool:
        """Whether a retrieved chunk (full name and, if known, text) satisfies this label."""
        parts = chunk_name.split("/")
        chunk_id = parts[-1]
        document_id = parts[3] if len(parts) >= 6 else None
        if self.chunk is not None and self.chunk != chunk_id:
            return False
        if self.document is not None and self.document != document_id:
            return False
        if self.contains is not None:
            return text is not None and normalize_text(self.contains) in normalize_text(text)
        return True

    def to_json(self) -> str | dict[str, str]:
        """The JSONL form: a bare document ID when that is all there is."""
        if self.document is not None and self.chunk is None and self.contains is None:
            return self.document
        out = {"document": self.document, "chunk": self.chunk, "contains": self.contains}
        return {key: value for key, value in out.items() if value is not None}


@dataclass(frozen=True)
class Question:
    """One labelled question."""

    id: str
    question: str
    relevant: tuple[Relevant, ...] = ()
    answers: tuple[str, ...] = ()
    unanswerable: bool = False
    split: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def judge(self, chunk_name: str, text: str | None) -> int | None:
        """The index of the first label a retrieved chunk satisfies, or ``None``."""
        for index, label in enumerate(self.relevant):
            if label.matches(chunk_name, text):
                return index
        return None


def _relevant(value: object, where: str) -> Relevant:
    if isinstance(value, str) and value.strip():
        return Relevant(document=_last(value))
    if not isinstance(value, dict):
        raise DatasetError(f"{where}: a relevant item is a document ID or an object")
    unknown = set(value) - _RELEVANT_KEYS
    if unknown:
        raise DatasetError(f"{where}: unknown key {sorted(unknown)[0]!r} in a relevant item")
    for key, item in value.items():
        if not isinstance(item, str) or not item.strip():
            raise DatasetError(f"{where}: relevant {key!r} must be a non-empty string")
    if "document" not in value and "chunk" not in value:
        raise DatasetError(f"{where}: a relevant item needs a 'document' or a 'chunk'")
    chunk = value.get("chunk")
    document = value.get("document")
    if document is None and chunk is not None and chunk.count("/") == 5:
        document = chunk.split("/")[3]
    return Relevant(
        document=_last(document) if document is not None else None,
        chunk=_last(chunk) if chunk is not None else None,
        contains=value.get("contains"),
    )


def _answers(record: Mapping[str, Any], where: str) -> tuple[str, ...]:
    if "answer" in record and "answers" in record:
        raise DatasetError(f"{where}: give 'answer' or 'answers', not both")
    raw = record.get("answers", [record["answer"]] if "answer" in record else [])
    if not isinstance(raw, list) or not all(isinstance(a, str) and a.strip() for a in raw):
        raise DatasetError(f"{where}: answers must be non-empty strings")
    return tuple(raw)


def _question(record: object, where: str, number: int) -> Question:
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    unknown = set(record) - _KEYS
    if unknown:
        raise DatasetError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    text = record.get("question")
    if not isinstance(text, str) or not text.strip():
        raise DatasetError(f"{where}: 'question' must be a non-empty string")
    qid = record.get("id", f"q{number}")
    if not isinstance(qid, str | int) or isinstance(qid, bool) or not str(qid).strip():
        raise DatasetError(f"{where}: 'id' must be a non-empty string")
    relevant = record.get("relevant", [])
    if not isinstance(relevant, list):
        raise DatasetError(f"{where}: 'relevant' must be a list")
    unanswerable = record.get("unanswerable", False)
    if not isinstance(unanswerable, bool):
        raise DatasetError(f"{where}: 'unanswerable' must be true or false")
    if unanswerable and relevant:
        raise DatasetError(f"{where}: an unanswerable question cannot list relevant items")
    split = record.get("split")
    if split is not None and (not isinstance(split, str) or not split.strip()):
        raise DatasetError(f"{where}: 'split' must be a non-empty string")
    meta = record.get("meta", {})
    if not isinstance(meta, dict):
        raise DatasetError(f"{where}: 'meta' must be an object")
    return Question(
        id=str(qid),
        question=text,
        relevant=tuple(_relevant(item, where) for item in relevant),
        answers=_answers(record, where),
        unanswerable=unanswerable,
        split=split,
        meta=meta,
    )


def parse_questions(lines: Iterable[str], *, source: str = "<input>") -> list[Question]:
    """Parse JSONL ``lines``; blank lines are skipped.

    Raises:
        DatasetError: invalid JSON, a malformed record, a duplicate ``id`` or no question
            at all; the message reads ``"FILE:LINE: ..."``.
    """
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{line_number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DatasetError(f"{where}: invalid JSON ({error.msg})") from None
        question = _question(record, where, len(questions) + 1)
        if question.id in seen:
            raise DatasetError(
                f"{where}: duplicate id {question.id!r} (first on line {seen[question.id]})"
            )
        seen[question.id] = line_number
        questions.append(question)
    if not questions:
        raise DatasetError(f"{source}: no questions")
    return questions


def load_questions(path: str | Path) -> list[Question]:
    """Read a JSONL question file (UTF-8). Raises :class:`DatasetError` or ``OSError``."""
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        return parse_questions(handle, source=str(path))


def question_to_json(question: Question) -> dict[str, Any]:
    """The JSONL record for ``question`` (defaults omitted); inverse of parsing."""
    record: dict[str, Any] = {"id": question.id, "question": question.question}
    if question.relevant:
        record["relevant"] = [label.to_json() for label in question.relevant]
    if question.answers:
        record["answers"] = list(question.answers)
    if question.unanswerable:
        record["unanswerable"] = True
    if question.split is not None:
        record["split"] = question.split
    if question.meta:
        record["meta"] = dict(question.meta)
    return record


def dump_questions(questions: Sequence[Question], path: str | Path) -> None:
    """Write ``questions`` as JSONL (UTF-8, one object per line, keys in a fixed order)."""
    with Path(path).open("w", encoding="utf-8") as handle:
        for question in questions:
            handle.write(json.dumps(question_to_json(question), ensure_ascii=False) + "\n")
