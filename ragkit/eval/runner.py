"""Run labelled questions against a corpus through the client, and score them.

For every question :func:`evaluate` sends one ``corpora:query`` (top ``k``) and, unless
``answers=False``, one ``models/aqa:generateAnswer`` grounded on the corpus. It records the
judged ranking, the answer, its first citation and ``answerableProbability``, then
aggregates everything into an :class:`~ragkit.eval.report.EvalReport`.

>>> from ragkit import Client
>>> from ragkit.eval import evaluate, load_questions
>>> report = evaluate(Client(base_url="http://127.0.0.1:8080"), "corpora/pg",
...                   load_questions("questions.jsonl"), split="heldout")  # doctest: +SKIP
>>> print(report.format_table())                                           # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ragkit.eval.dataset import Question
from ragkit.eval.metrics import token_f1
from ragkit.eval.report import EvalReport, QuestionResult, summarize
from ragkit.names import corpus_name
from ragkit.types import GenerateAnswerResponse, QueryCorpusResponse

if TYPE_CHECKING:
    from ragkit._client import Client

__all__ = ["AQA_MODEL", "EvalOptions", "evaluate", "select"]

#: The grounded-answer model evaluated.
AQA_MODEL = "models/aqa"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EvalOptions:
    """How questions are run.

    Attributes:
        k: chunks retrieved per question (1..100); ranking metrics are cut at ``k``.
        answers: also ask ``generateAnswer`` (attribution, F1, AUROC); retrieval only if
            false.
        answer_style: ``ABSTRACTIVE``, ``EXTRACTIVE`` or ``VERBOSE``.
        max_chunks: chunks the answer is grounded on (``None``: the server's default).
        bins: bins of the reliability table.
    """

    k: int = 10
    answers: bool = True
    answer_style: str = "ABSTRACTIVE"
    max_chunks: int | None = None
    bins: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.k <= 100:
            raise ValueError(f"k must be between 1 and 100, got {self.k}")
        if self.max_chunks is not None and not 1 <= self.max_chunks <= 100:
            raise ValueError(f"max_chunks must be between 1 and 100, got {self.max_chunks}")


def select(questions: Sequence[Question], split: str | None) -> list[Question]:
    """The questions of ``split`` (all of them for ``None``).

    Raises:
        ValueError: no question belongs to ``split``.
    """
    if split is None:
        return list(questions)
    chosen = [q for q in questions if q.split == split]
    if not chosen:
        known = sorted({q.split for q in questions if q.split is not None})
        raise ValueError(f"no question is in split {split!r} (splits: {', '.join(known) or '-'})")
    return chosen


def _ranking(
    question: Question, response: QueryCorpusResponse
) -> tuple[list[str], list[int | None], dict[str, str]]:
    names: list[str] = []
    judged: list[int | None] = []
    texts: dict[str, str] = {}
    for hit in response.relevant_chunks or []:
        chunk = hit.chunk
        if chunk is None or not chunk.name:
            continue
        text = (chunk.data.string_value if chunk.data else None) or ""
        names.append(chunk.name)
        texts[chunk.name] = text
        judged.append(question.judge(chunk.name, text))
    return names, judged, texts


def _first_citation(response: GenerateAnswerResponse) -> str | None:
    candidate = response.answer
    for attribution in (candidate.grounding_attributions or []) if candidate else []:
        source = attribution.source_id
        if source is not None and source.semantic_retriever_chunk is not None:
            return source.semantic_retriever_chunk.chunk
    return None


def _answer_text(response: GenerateAnswerResponse) -> str:
    content = response.answer.content if response.answer else None
    return "".join(part.text or "" for part in (content.parts or []) if content) if content else ""


class _Runner:
    def __init__(self, client: Client, corpus: str, options: EvalOptions) -> None:
        self.client = client
        self.corpus = corpus
        self.options = options

    def chunk_text(self, name: str, known: dict[str, str]) -> str | None:
        if name in known:
            return known[name]
        chunk = self.client.corpora.documents.chunks.get(name)
        return (chunk.data.string_value if chunk.data else None) or ""

    def run(self, question: Question) -> QuestionResult:
        started = time.perf_counter()
        response = self.client.corpora.query(
            self.corpus, question.question, results_count=self.options.k
        )
        names, judged, texts = _ranking(question, response)
        retrieval_seconds = time.perf_counter() - started
        result = QuestionResult(
            id=question.id,
            unanswerable=question.unanswerable,
            n_relevant=len(question.relevant),
            retrieved=names,
            judged=judged,
            retrieval_seconds=retrieval_seconds,
        )
        if not self.options.answers:
            return result
        return self.answer(question, result, texts)

    def answer(
        self, question: Question, result: QuestionResult, texts: dict[str, str]
    ) -> QuestionResult:
        retriever: dict[str, object] = {
            "source": self.corpus,
            "query": {"parts": [{"text": question.question}]},
        }
        if self.options.max_chunks is not None:
            retriever["max_chunks_count"] = self.options.max_chunks
        started = time.perf_counter()
        response = self.client.models.generate_answer(
            AQA_MODEL,
            contents=question.question,
            answer_style=self.options.answer_style,
            semantic_retriever=retriever,
        )
        result.answer_seconds = time.perf_counter() - started
        result.answer = _answer_text(response)
        result.answerable_probability = response.answerable_probability
        cited = _first_citation(response)
        result.first_citation = cited
        if cited is not None and question.relevant:
            result.citation_relevant = (
                question.judge(cited, self.chunk_text(cited, texts)) is not None
            )
        result.token_f1 = token_f1(result.answer, question.answers)
        return result


def evaluate(
    client: Client,
    corpus: str,
    questions: Sequence[Question],
    *,
    options: EvalOptions | None = None,
    split: str | None = None,
    progress: Progress | None = None,
) -> EvalReport:
    """Run ``questions`` (those of ``split``, if given) against ``corpus`` and score them.

    Args:
        client: a :class:`ragkit.Client` (any server: embedded, ``ragkit serve``, Google).
        corpus: ``"corpora/ID"`` or ``"ID"``.
        questions: labelled questions (see :mod:`ragkit.eval.dataset`).
        options: ``k``, whether to ask for answers, answer style...
        split: only the questions whose ``split`` equals this.
        progress: called as ``progress(done, total)`` after each question.

    Raises:
        ValueError: no question in ``split``.
        ragkit.APIError: the server refused a request (an unknown corpus, bad credentials).
    """
    options = options or EvalOptions()
    chosen = select(questions, split)
    runner = _Runner(client, corpus_name(corpus), options)
    results = []
    for done, question in enumerate(chosen, start=1):
        results.append(runner.run(question))
        if progress is not None:
            progress(done, len(chosen))
    return summarize(
        results, corpus=corpus_name(corpus), split=split, k=options.k, answers=options.answers,
        bins=options.bins,
    )  # fmt: skip
