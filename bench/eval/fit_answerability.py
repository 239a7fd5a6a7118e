"""Fit answerableProbability's logistic weights on the tune splits of several sets.

    # once per set and split: answer_loop.py dump (stored retrieval), then
    .venv/bin/python bench/eval/fit_answerability.py --fit debfaq:tune pg15:tune octave7:tune \\
        --report debfaq:heldout toolfaq:tune toolfaq:heldout pg15:heldout octave7:heldout

Each answer's features (``Answer.features``, see
:func:`ragkit.server.models.evidence.answerability_features`) are collected with the
package's answerer on the stored retrieval of every ``SET:SPLIT`` named; an L2-regularised
logistic regression (Newton steps, numpy only) is fitted on the ``--fit`` rows, each set
weighted alike so the largest does not decide alone; the script prints the weights to
paste into ``PROBABILITY_WEIGHTS`` / ``PROBABILITY_BIAS`` and the AUROC and ECE the fitted
model and the shipped one give on every split named. ``--features`` chooses the features.
A ``SET:SPLIT:EMBEDDER:RANKING`` names a dump of another retrieval (e.g.
``pg15:tune:hash:bm25``); ``debfaq-q:tune`` the corpus whose chunks keep their question
lines (``--with-questions``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

import answer_loop
import run_eval

from ragkit.eval.metrics import auroc, expected_calibration_error, reliability_table
from ragkit.server.models.answerer import Answerer, Passage
from ragkit.server.models.embedding import load_embedder
from ragkit.server.models.evidence import PROBABILITY_BIAS, PROBABILITY_WEIGHTS

DEFAULT_FEATURES = (
    "dense",
    "coverage",
    "answer_type",
    "novelty",
    "answer_form",
    "retrieval",
    "retrieval_margin",
)


def _rows(spec: str, cache: Path) -> list[dict[str, object]]:
    name, split, *retrieval = spec.split(":")
    embedder, ranking = retrieval if retrieval else ("minilm", "dense")
    # "debfaq-q": the raw-chunk set whose chunks keep their question lines.
    questions = name.endswith("-q")
    args = SimpleNamespace(
        cache=cache,
        set=name.removesuffix("-q"),
        split=split,
        embedder=embedder,
        ranking=ranking,
        chunk_tokens=200,
        no_context=False,
        with_questions=questions,
        k=answer_loop.MAX_CHUNKS,
    )
    rows: list[dict[str, object]] = json.loads(answer_loop._dump_path(args).read_text("utf-8"))
    return rows


def collect(
    specs: list[str], cache: Path, answerer: Answerer
) -> dict[str, tuple[list[dict[str, float]], list[bool], list[float]]]:
    """Per spec: every question's features, whether it is answerable, shipped probability."""
    found = {}
    for spec in specs:
        features, truth, shipped = [], [], []
        for row in _rows(spec, cache):
            passages = [
                Passage(p["name"], p["text"], p["score"])
                for p in row["passages"]  # type: ignore[attr-defined]
            ]
            answer = answerer.answer(str(row["question"]), passages)
            features.append(answer.features)
            truth.append(not row["unanswerable"])
            shipped.append(answer.answerable_probability)
        found[spec] = (features, truth, shipped)
    return found


def fit(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    weight: npt.NDArray[np.float64],
    l2: float,
    offset: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Weighted L2-regularised logistic regression (the bias, column 0, unpenalised);
    ``offset`` is added to every row's logit (the fixed weights' part)."""
    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ beta + offset)))
        gradient = x.T @ (weight * (p - y)) + penalty * beta
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def _matrix(rows: list[dict[str, float]], names: list[str]) -> npt.NDArray[np.float64]:
    return np.array([[1.0] + [r[n] for n in names] for r in rows])


def _scores(probabilities: list[float], truth: list[bool]) -> str:
    table = reliability_table(probabilities, truth, 10)
    a = auroc(probabilities, truth)
    e = expected_calibration_error(table)
    return f"{a:.3f} / {e:.3f}" if a is not None and e is not None else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=run_eval.CACHE)
    parser.add_argument("--fit", nargs="+", required=True, metavar="SET:SPLIT")
    parser.add_argument("--report", nargs="*", default=[], metavar="SET:SPLIT")
    parser.add_argument("--features", nargs="+", default=list(DEFAULT_FEATURES))
    parser.add_argument("--l2", type=float, default=0.1)
    parser.add_argument(
        "--fixed",
        nargs="*",
        default=["answer_type=1.5"],
        metavar="NAME=WEIGHT",
        help="features kept at a set weight (rules the sets give too few cases of)",
    )
    args = parser.parse_args()
    embedder = answer_loop.CachedEmbedder(
        load_embedder("minilm"), args.cache / "loops" / "vectors-minilm.pkl"
    )
    data = collect(list(dict.fromkeys(args.fit + args.report)), args.cache, Answerer(embedder))
    embedder.save()
    names = list(args.features)
    fixed = {k: float(v) for k, v in (item.split("=") for item in args.fixed)}

    def offset(rows: list[dict[str, float]]) -> npt.NDArray[np.float64]:
        return np.array([sum(w * r[n] for n, w in fixed.items()) for r in rows])

    xs, ys, ws, offsets = [], [], [], []
    for spec in args.fit:
        rows, truth, _ = data[spec]
        offsets.append(offset(rows))
        xs.append(_matrix(rows, names))
        ys.append(np.array(truth, dtype=np.float64))
        ws.append(np.full(len(rows), 1.0 / len(rows)))
    weight = np.concatenate(ws)
    beta = fit(
        np.vstack(xs),
        np.concatenate(ys),
        weight * len(weight) / weight.sum(),
        args.l2,
        np.concatenate(offsets),
    )
    print("PROBABILITY_BIAS =", round(float(beta[0]), 2))
    weights = {n: round(float(b), 2) for n, b in zip(names, beta[1:], strict=True)}
    print("PROBABILITY_WEIGHTS =", json.dumps(weights | fixed))
    print(f"{'split':32} {'fitted AUROC / ECE':>20} {'shipped AUROC / ECE':>22}")
    for spec, (rows, truth, shipped) in data.items():
        z = _matrix(rows, names) @ beta + offset(rows)
        fitted = [1 / (1 + math.exp(-v)) for v in z]
        mark = " (fit)" if spec in args.fit else ""
        print(f"{spec + mark:32} {_scores(fitted, truth):>20} {_scores(shipped, truth):>22}")
    print("shipped:", PROBABILITY_BIAS, json.dumps(PROBABILITY_WEIGHTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
