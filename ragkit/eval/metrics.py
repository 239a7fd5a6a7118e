"""Retrieval, attribution, answer and calibration metrics.

Ranking metrics take a *judged ranking*: for each retrieved item, best first, the index of
the relevance label it satisfies, or ``None`` if it is not relevant. A label counts once,
at its first (best) position: a second chunk from an already-found relevant document adds
nothing, so a ranking cannot score above 1 by repeating one document. ``n_relevant`` is the
number of labels. With no labels a metric is undefined and returns ``None``; averages
skip undefined values (:func:`mean`).

Ranks follow the order given (the server breaks score ties by chunk, deterministically);
AUROC counts tied scores as half a correct ordering.

>>> ndcg_at_k([None, 0], 1, 10)        # the only relevant item at rank 2
0.6309297535714575
>>> auroc([0.9, 0.2, 0.7], [True, False, False])
1.0
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ReliabilityBin",
    "auroc",
    "expected_calibration_error",
    "first_hits",
    "mean",
    "ndcg_at_k",
    "recall_at_k",
    "reciprocal_rank",
    "reliability_table",
    "token_f1",
]

Judged = Sequence[int | None]


def first_hits(ranking: Judged) -> list[bool]:
    """``True`` where an item is the first (best-ranked) match of its label."""
    seen: set[int] = set()
    hits = []
    for label in ranking:
        hits.append(label is not None and label not in seen)
        if label is not None:
            seen.add(label)
    return hits


def _check(n_relevant: int, k: int) -> None:
    if n_relevant < 0:
        raise ValueError(f"n_relevant must be >= 0, got {n_relevant}")
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")


def recall_at_k(ranking: Judged, n_relevant: int, k: int) -> float | None:
    """Fraction of the labels found in the top ``k``; ``None`` without labels."""
    _check(n_relevant, k)
    if n_relevant == 0:
        return None
    return sum(first_hits(ranking[:k])) / n_relevant


def reciprocal_rank(ranking: Judged, n_relevant: int, k: int = 10) -> float | None:
    """``1 / rank`` of the first relevant item in the top ``k`` (0 if none; ``None``
    without labels)."""
    _check(n_relevant, k)
    if n_relevant == 0:
        return None
    for rank, label in enumerate(ranking[:k], start=1):
        if label is not None:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Judged, n_relevant: int, k: int = 10) -> float | None:
    """Binary-gain nDCG over the top ``k``; ``None`` without labels.

    DCG sums ``1 / log2(rank + 1)`` over first matches; the ideal puts
    ``min(n_relevant, k)`` matches at the top.
    """
    _check(n_relevant, k)
    if n_relevant == 0:
        return None
    dcg = sum(
        1.0 / math.log2(rank + 1)
        for rank, hit in enumerate(first_hits(ranking[:k]), start=1)
        if hit
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(n_relevant, k) + 1))
    return dcg / ideal


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the defined values; ``None`` if there are none."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def _answer_tokens(text: str) -> list[str]:
    """SQuAD normalisation: lower case, no punctuation, no articles, split on spaces."""
    return _ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split()


def token_f1(prediction: str, references: Sequence[str]) -> float | None:
    """Best token-overlap F1 of ``prediction`` against any reference (SQuAD style).

    ``None`` without references. Two empty token lists agree (1.0); one empty one gets 0.
    """
    if not references:
        return None
    predicted = _answer_tokens(prediction)
    best = 0.0
    for reference in references:
        expected = _answer_tokens(reference)
        if not predicted or not expected:
            best = max(best, float(predicted == expected))
            continue
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def _midranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, tied values sharing the average of their ranks."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve: the chance a random positive outscores a random negative.

    Ties count one half (Mann-Whitney U with midranks). ``None`` when either class is
    missing, since the area is then undefined.

    Raises:
        ValueError: ``scores`` and ``labels`` differ in length.
    """
    if len(scores) != len(labels):
        raise ValueError("scores and labels must have the same length")
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = _midranks(scores)
    rank_sum = sum(rank for rank, label in zip(ranks, labels, strict=True) if label)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@dataclass(frozen=True)
class ReliabilityBin:
    """Questions whose predicted probability fell in ``[lower, upper)`` (the last bin
    includes 1.0): how many, their mean prediction, and how many were answerable."""

    lower: float
    upper: float
    count: int
    mean_probability: float | None
    observed_rate: float | None


def reliability_table(
    probabilities: Sequence[float], labels: Sequence[bool], bins: int = 10
) -> list[ReliabilityBin]:
    """Calibration table over ``bins`` equal-width probability bins (empty bins included).

    Raises:
        ValueError: mismatched lengths, ``bins < 1`` or a probability outside [0, 1].
    """
    if len(probabilities) != len(labels):
        raise ValueError("probabilities and labels must have the same length")
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for probability, label in zip(probabilities, labels, strict=True):
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability {probability} is outside [0, 1]")
        members[min(int(probability * bins), bins - 1)].append((probability, label))
    table = []
    for index, group in enumerate(members):
        count = len(group)
        table.append(
            ReliabilityBin(
                lower=index / bins,
                upper=(index + 1) / bins,
                count=count,
                mean_probability=sum(p for p, _ in group) / count if count else None,
                observed_rate=sum(1 for _, y in group if y) / count if count else None,
            )
        )
    return table


def expected_calibration_error(table: Sequence[ReliabilityBin]) -> float | None:
    """Count-weighted mean ``|mean probability - observed rate|``; ``None`` if empty."""
    total = sum(b.count for b in table)
    if total == 0:
        return None
    return (
        sum(
            b.count * abs(b.mean_probability - b.observed_rate)
            for b in table
            if b.mean_probability is not None and b.observed_rate is not None
        )
        / total
    )
