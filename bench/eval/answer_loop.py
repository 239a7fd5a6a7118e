"""The answerer alone, on retrieval computed once: the cheap loop for answerer changes.

    # once per corpus and split: run the server's retrieval (the 5 chunks generateAnswer
    # grounds on, with their scores and relevance labels) and store it; --embedder and
    # --ranking choose the stored corpus and the ranking (e.g. --embedder hash --ranking bm25)
    .venv/bin/python bench/eval/answer_loop.py dump --set debfaq --split tune
    # then any number of answerer runs over it (no server, no retrieval; sentence
    # embeddings are cached on disk, so a rerun embeds only sentences it has not seen)
    .venv/bin/python bench/eval/answer_loop.py run --set debfaq --split tune
    .venv/bin/python bench/eval/answer_loop.py run --set debfaq --split tune --show 20

``run`` reports what ``run_eval.py eval`` reports for answers (attribution precision of
the first citation, token F1 against the reference answers, answerable AUROC and ECE, and
how many answers were confident, p >= 0.8, and how many of those were wrong: an
unanswerable question, or a first citation outside the relevant passages),
from the same passages generateAnswer would see: ``corpora:query`` on a server with the
ranking generateAnswer uses (since section 5 of bench/RESULTS.md it ranks ``hybrid`` where
the server ranks ``dense`` on SQLite: dump with ``--ranking hybrid`` for today's answers).
``--show N`` prints N answers (with ``--sample`` a fixed sha256 sample) for reading and
labelling.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_eval

import ragkit
from ragkit.eval import load_questions
from ragkit.eval.metrics import auroc, expected_calibration_error, reliability_table, token_f1
from ragkit.server.models.answerer import Answerer, Passage
from ragkit.server.models.embedding import Embedder, load_embedder
from ragkit.server.models.reranker import E5Reranker

MAX_CHUNKS = 5
#: An answer at or above this answerableProbability is a confident one.
CONFIDENT = 0.8


class CachedEmbedder:
    """An embedder that remembers every vector it computed (on disk between runs)."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimensions = inner.dimensions
        self.batch_size = inner.batch_size
        self.path = path
        self.memo: dict[tuple[str, str], npt.NDArray[np.float32]] = {}
        if path.exists():
            self.memo = pickle.loads(path.read_bytes())

    def embed(self, texts: list[str], *, kind: str = "document") -> npt.NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if (kind, t) not in self.memo]
        if missing:
            vectors = self.inner.embed(missing, kind=kind)  # type: ignore[arg-type]
            for text, vector in zip(missing, vectors, strict=True):
                self.memo[kind, text] = vector
        return np.stack([self.memo[kind, t] for t in texts]).astype(np.float32)

    def save(self) -> None:
        self.path.write_bytes(pickle.dumps(self.memo))


def _dump_path(args: argparse.Namespace) -> Path:
    name = run_eval._corpus(args).split("/")[-1]
    retrieval = (
        ""
        if (args.embedder, args.ranking) == ("minilm", "dense")
        else (f"-{args.embedder}-{args.ranking}")
    )
    depth = "" if args.k == MAX_CHUNKS else f"-k{args.k}"
    return args.cache / "loops" / f"{name}{retrieval}{depth}-{args.split}.json"


def _dump(args: argparse.Namespace) -> int:
    questions = [
        q for q in load_questions(run_eval.SETS / f"{args.set}.jsonl") if q.split == args.split
    ]
    rows = []
    with run_eval._server(args) as server, ragkit.Client(base_url=server.base_url) as client:
        for q in questions:
            response = client.corpora.query(
                run_eval._corpus(args), q.question, results_count=args.k
            )
            passages = []
            for hit in response.relevant_chunks or []:
                chunk = hit.chunk
                if chunk is None or not chunk.name:
                    continue
                text = (chunk.data.string_value if chunk.data else None) or ""
                passages.append(
                    {
                        "name": chunk.name,
                        "text": text,
                        "score": hit.chunk_relevance_score or 0.0,
                        "relevant": q.judge(chunk.name, text) is not None,
                    }
                )
            rows.append(
                {
                    "id": q.id,
                    "question": q.question,
                    "answers": list(q.answers),
                    "unanswerable": q.unanswerable,
                    "labelled": bool(q.relevant),
                    "passages": passages,
                }
            )
    path = _dump_path(args)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows), encoding="utf-8")
    print(f"{len(rows)} questions -> {path}")
    return 0


def _sampled(qid: str) -> float:
    return int.from_bytes(hashlib.sha256(f"sample\0{qid}".encode()).digest()[:8], "big") / 2**64


def _run(args: argparse.Namespace) -> int:
    rows = json.loads(_dump_path(args).read_text(encoding="utf-8"))
    embedder = CachedEmbedder(
        load_embedder(args.answer_embedder),
        args.cache / "loops" / f"vectors-{args.answer_embedder}.pkl",
    )
    answerer = Answerer(embedder, reranker=E5Reranker() if args.reranker == "e5" else None)
    attributed: list[bool] = []
    f1: list[float] = []
    probabilities: list[float] = []
    truth: list[bool] = []
    shown = []
    #: Confident and wrong (p >= CONFIDENT): an unanswerable question, or a labelled one
    #: whose first citation is not a relevant passage.
    confident_wrong = 0
    confident = 0
    for row in rows:
        row["passages"] = row["passages"][: args.max_chunks]
        passages = [Passage(p["name"], p["text"], p["score"]) for p in row["passages"]]
        # As generateAnswer does with retrieved passages (Answerer.rerank).
        ranked = answerer.rerank(row["question"], passages).order
        row["passages"] = [row["passages"][index] for index, _ in ranked]
        passages = [passage for _, passage in ranked]
        answer = answerer.answer(row["question"], passages, style=args.style)
        probabilities.append(answer.answerable_probability)
        truth.append(not row["unanswerable"])
        cited = row["passages"][answer.spans[0].passage_index] if answer.spans else None
        if row["labelled"] and cited is not None:
            attributed.append(bool(cited["relevant"]))
        if answer.answerable_probability >= CONFIDENT:
            confident += 1
            wrong = row["unanswerable"] or (row["labelled"] and not (cited and cited["relevant"]))
            confident_wrong += bool(wrong)
        if not row["unanswerable"]:
            score = token_f1(answer.text, row["answers"])
            if score is not None:
                f1.append(score)
        shown.append((row, answer, cited))
    embedder.save()
    table = reliability_table(probabilities, truth, 10)
    summary = {
        "set": args.set,
        "split": args.split,
        "questions": len(rows),
        "attribution": round(float(np.mean(attributed)), 3) if attributed else None,
        "attribution_n": len(attributed),
        "token_f1": round(float(np.mean(f1)), 3) if f1 else None,
        "auroc": _round(auroc(probabilities, truth)),
        "ece": _round(expected_calibration_error(table)),
        "confident": confident,
        "confident_wrong": confident_wrong,
    }
    if args.show:
        order = sorted(shown, key=lambda s: _sampled(s[0]["id"])) if args.sample else shown
        for row, answer, cited in order[: args.show]:
            mark = "U" if row["unanswerable"] else ("+" if cited and cited["relevant"] else "-")
            print(f"[{mark}] {row['id']} p={answer.answerable_probability:.2f} {row['question']}")
            print("    A: " + answer.text.replace("\n", " ")[:400])
            print("    R: " + (row["answers"][0][:200] if row["answers"] else ""))
    print(json.dumps(summary))
    return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main() -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cache", type=Path, default=run_eval.CACHE)
    common.add_argument("--set", default="pg15")
    common.add_argument("--embedder", default="minilm")
    common.add_argument("--chunk-tokens", type=int, default=200)
    common.add_argument("--no-context", action="store_true")
    common.add_argument("--with-questions", action="store_true")
    common.add_argument("--split", choices=("tune", "heldout"), required=True)
    common.add_argument("--ranking", choices=("dense", "bm25", "hybrid"), default="dense")
    common.add_argument(
        "--k",
        type=int,
        default=MAX_CHUNKS,
        help="chunks retrieved per question (the dump keeps them all; run answers from all)",
    )
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dump", help="store the retrieval of a split", parents=[common])
    run = commands.add_parser(
        "run", help="run the answerer over a stored retrieval", parents=[common]
    )
    run.add_argument("--style", default="ABSTRACTIVE")
    run.add_argument(
        "--max-chunks",
        type=int,
        default=MAX_CHUNKS,
        help="answer from the first N passages of the dump (generateAnswer's default 5)",
    )
    run.add_argument(
        "--answer-embedder",
        default="minilm",
        help="the answerer's embedder (the server's default, whatever retrieved)",
    )
    run.add_argument(
        "--reranker",
        choices=("e5", "none"),
        default="none",
        help="order the passages as a server with this --reranker would",
    )
    run.add_argument("--show", type=int, default=0)
    run.add_argument("--sample", action="store_true")
    args = parser.parse_args()
    return {"dump": _dump, "run": _run}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
