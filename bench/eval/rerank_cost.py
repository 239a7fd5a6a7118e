"""What the e5 reranker adds to an answer: CPU and wall time of ``Answerer.rerank``.

    .venv/bin/python bench/eval/answer_loop.py dump --set debfaq --split tune   # once
    .venv/bin/python bench/eval/rerank_cost.py --set debfaq --split tune --limit 40

Over the first ``--limit`` questions of a stored retrieval (five passages each), the
reranker orders the passages twice: cold (a new reranker: every passage embedded) and warm
(the same again: passages remembered, the question embedded). Beside it, for scale, the
answerer's own time on the same passages (MiniLM sentence vectors remembered after the
first pass). Medians per answer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_eval

from ragkit.server.models.answerer import Answerer, Passage
from ragkit.server.models.embedding import load_embedder
from ragkit.server.models.reranker import E5Reranker


def _timed(call: Callable[..., object], *args: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    call(*args)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="debfaq")
    parser.add_argument("--split", default="tune")
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args()
    dump = run_eval.CACHE / "loops" / f"{args.set}-{args.split}.json"
    rows = json.loads(dump.read_text("utf-8"))[: args.limit]
    questions = [
        (row["question"], [Passage(p["name"], p["text"], p["score"]) for p in row["passages"]])
        for row in rows
    ]
    reranker = E5Reranker()
    answerer = Answerer(load_embedder("minilm"))
    reranker.similarities("warm the engine up", ["once"])
    answerer.answer("warm the model up", [Passage("p", "Once.", 0.5)])
    figures: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "answer": []}
    for label in ("cold", "warm"):
        for question, passages in questions:
            texts, scores = [p.text for p in passages], [p.score or 0.0 for p in passages]
            figures[label].append(_timed(reranker.rerank, question, texts, scores))
    for question, passages in questions:
        answerer.answer(question, passages)  # sentence vectors remembered from here on
        figures["answer"].append(_timed(answerer.answer, question, passages))
    for label, values in figures.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"{label:6s} per answer: median wall {wall:7.1f} ms, CPU {cpu:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
