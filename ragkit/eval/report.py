"""Per-question results, their summary, and its table and JSON forms.

Which questions each figure covers:

- retrieval (recall@n, MRR, nDCG): answerable questions with at least one relevance label;
- attribution precision: those of them whose answer cites a chunk (the first citation must
  satisfy a label); ``cited_rate`` says how many answers cited anything;
- token F1: answerable questions with reference answers;
- AUROC and the reliability table: every question with an ``answerableProbability``,
  answerable ones as positives, unanswerable ones as negatives (AUROC is ``None``,
  printed "n/a (one class)", when either is missing).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ragkit.eval.dataset import Question
from ragkit.eval.metrics import (
    ReliabilityBin,
    auroc,
    expected_calibration_error,
    mean,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    reliability_table,
)

__all__ = [
    "EvalReport",
    "QuestionResult",
    "by_group",
    "format_groups",
    "recall_cutoffs",
    "summarize",
]


@dataclass
class QuestionResult:
    """What happened to one question."""

    id: str
    unanswerable: bool
    n_relevant: int
    retrieved: list[str]
    judged: list[int | None]
    retrieval_seconds: float = 0.0
    answer: str | None = None
    answerable_probability: float | None = None
    first_citation: str | None = None
    citation_relevant: bool | None = None
    token_f1: float | None = None
    answer_seconds: float | None = None


@dataclass(frozen=True)
class EvalReport:
    """Summary figures (``None``: undefined for this run) and the per-question results."""

    corpus: str
    split: str | None
    k: int
    questions: int
    answerable: int
    unanswerable: int
    labelled: int
    recall: dict[int, float | None]
    mrr: float | None
    ndcg: float | None
    answers: bool
    cited_rate: float | None = None
    attribution_precision: float | None = None
    attribution_count: int = 0
    token_f1: float | None = None
    token_f1_count: int = 0
    auroc: float | None = None
    ece: float | None = None
    reliability: list[ReliabilityBin] = field(default_factory=list)
    mean_query_ms: float | None = None
    mean_answer_ms: float | None = None
    results: list[QuestionResult] = field(default_factory=list)

    def to_json(self, *, per_question: bool = False) -> dict[str, Any]:
        """A JSON-ready dict; ``per_question`` adds every :class:`QuestionResult`."""
        data = asdict(self)
        data["recall"] = {f"@{n}": value for n, value in self.recall.items()}
        if not per_question:
            del data["results"]
        return data

    def dumps(self, *, per_question: bool = False) -> str:
        """:meth:`to_json` as a JSON string."""
        return json.dumps(self.to_json(per_question=per_question), indent=2)

    def format_table(self) -> str:
        """A two-column text table of the summary, then the reliability table."""
        rows = _summary_rows(self)
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {value}" for name, value in rows]
        if self.reliability:
            lines += ["", "answerableProbability  n     mean p  answerable"]
            for b in self.reliability:
                lines.append(
                    f"[{b.lower:.1f}, {b.upper:.1f}{']' if b.upper >= 1 else ')'}"
                    f"            {b.count:<5} {_num(b.mean_probability):<7} "
                    f"{_num(b.observed_rate)}"
                )
        return "\n".join(lines)


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _summary_rows(r: EvalReport) -> list[tuple[str, str]]:
    rows = [
        ("corpus", r.corpus),
        ("split", r.split or "all"),
        ("questions", f"{r.questions} ({r.answerable} answerable, {r.unanswerable} unanswerable)"),
        ("labelled for retrieval", str(r.labelled)),
    ]
    rows += [(f"recall@{n}", _num(value)) for n, value in r.recall.items()]
    rows += [(f"MRR@{r.k}", _num(r.mrr)), (f"nDCG@{r.k}", _num(r.ndcg))]
    if r.answers:
        rows += [
            ("answers citing a chunk", _num(r.cited_rate)),
            ("attribution precision", f"{_num(r.attribution_precision)} (n={r.attribution_count})"),
            ("token F1", f"{_num(r.token_f1)} (n={r.token_f1_count})"),
            ("answerable AUROC", _num(r.auroc) if r.auroc is not None else "n/a (one class)"),
            ("calibration error (ECE)", _num(r.ece)),
        ]
    rows.append(("mean query latency", f"{_num(r.mean_query_ms, 1)} ms"))
    if r.answers:
        rows.append(("mean answer latency", f"{_num(r.mean_answer_ms, 1)} ms"))
    return rows


def recall_cutoffs(k: int) -> list[int]:
    """Recall is reported at 1, 5 and ``k`` (those not above ``k``)."""
    return sorted({n for n in (1, 5, 10) if n <= k} | {k})


def _ms(values: Sequence[float | None]) -> float | None:
    value = mean(values)
    return None if value is None else value * 1000


def summarize(
    results: Sequence[QuestionResult],
    *,
    corpus: str,
    split: str | None,
    k: int,
    answers: bool,
    bins: int = 10,
) -> EvalReport:
    """Aggregate per-question results into an :class:`EvalReport`."""
    labelled = [r for r in results if not r.unanswerable and r.n_relevant > 0]
    recall = {
        n: mean(recall_at_k(r.judged, r.n_relevant, n) for r in labelled) for n in recall_cutoffs(k)
    }
    scored = [r for r in results if r.answerable_probability is not None]
    probabilities = [min(1.0, max(0.0, r.answerable_probability or 0.0)) for r in scored]
    truth = [not r.unanswerable for r in scored]
    table = reliability_table(probabilities, truth, bins) if answers and scored else []
    attributed = [r for r in labelled if r.citation_relevant is not None]
    answerable = [r for r in results if not r.unanswerable]
    f1 = [r.token_f1 for r in answerable if r.token_f1 is not None]
    return EvalReport(
        corpus=corpus,
        split=split,
        k=k,
        questions=len(results),
        answerable=len(answerable),
        unanswerable=len(results) - len(answerable),
        labelled=len(labelled),
        recall=recall,
        mrr=mean(reciprocal_rank(r.judged, r.n_relevant, k) for r in labelled),
        ndcg=mean(ndcg_at_k(r.judged, r.n_relevant, k) for r in labelled),
        answers=answers,
        cited_rate=(
            mean(float(r.first_citation is not None) for r in labelled) if answers else None
        ),
        attribution_precision=mean(float(bool(r.citation_relevant)) for r in attributed),
        attribution_count=len(attributed),
        token_f1=mean(f1),
        token_f1_count=len(f1),
        auroc=auroc(probabilities, truth) if answers else None,
        ece=expected_calibration_error(table),
        reliability=table,
        mean_query_ms=_ms([r.retrieval_seconds for r in results]),
        mean_answer_ms=_ms([r.answer_seconds for r in results]),
        results=list(results),
    )


def by_group(report: EvalReport, questions: Sequence[Question], key: str) -> dict[str, EvalReport]:
    """``report`` re-summarised per value of ``question.meta[key]`` (``"-"`` when unset).

    Groups come in sorted order; each holds the results of its questions only.
    """
    groups: dict[str, list[QuestionResult]] = {}
    value_of = {q.id: str(q.meta.get(key, "-")) for q in questions}
    for result in report.results:
        groups.setdefault(value_of.get(result.id, "-"), []).append(result)
    return {
        value: summarize(
            groups[value],
            corpus=report.corpus,
            split=report.split,
            k=report.k,
            answers=report.answers,
            bins=len(report.reliability) or 10,
        )
        for value in sorted(groups)
    }


def format_groups(groups: dict[str, EvalReport], key: str) -> str:
    """One line per group: questions, nDCG, MRR, recall@k, attribution precision, AUROC."""
    header = (key, "questions", "nDCG", "MRR", "recall@k", "attribution", "AUROC")
    rows = [header] + [
        (
            value,
            str(r.questions),
            _num(r.ndcg),
            _num(r.mrr),
            _num(r.recall.get(r.k)),
            _num(r.attribution_precision),
            _num(r.auroc),
        )
        for value, r in groups.items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
