"""Measure retrieval and grounded-answer quality on labelled questions.

>>> from ragkit import Client
>>> from ragkit.eval import EvalOptions, evaluate, load_questions
>>> questions = load_questions("questions.jsonl")                        # doctest: +SKIP
>>> report = evaluate(Client(), "corpora/docs", questions, split="heldout",
...                   options=EvalOptions(k=10))                           # doctest: +SKIP
>>> print(report.format_table())                                         # doctest: +SKIP

- :mod:`ragkit.eval.dataset`: the JSONL question format (:func:`load_questions`);
- :mod:`ragkit.eval.metrics`: recall@k, MRR, nDCG, token F1, AUROC, reliability table;
- :mod:`ragkit.eval.runner`: :func:`evaluate` against any server through the client;
- :mod:`ragkit.eval.report`: :class:`EvalReport`, as a table or JSON.
"""

from __future__ import annotations

from ragkit.eval.dataset import (
    DatasetError,
    Question,
    Relevant,
    dump_questions,
    load_questions,
    parse_questions,
)
from ragkit.eval.report import EvalReport, QuestionResult
from ragkit.eval.runner import EvalOptions, evaluate, select

__all__ = [
    "DatasetError",
    "EvalOptions",
    "EvalReport",
    "Question",
    "QuestionResult",
    "Relevant",
    "dump_questions",
    "evaluate",
    "load_questions",
    "parse_questions",
    "select",
]
