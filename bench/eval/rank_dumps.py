"""Retrieval figures of stored deep retrievals (``answer_loop.py dump --k 20``), per ranking.

    # once: the dumps, e.g. for debfaq's tune split
    for r in dense bm25 hybrid; do
      .venv/bin/python bench/eval/answer_loop.py dump --set debfaq --split tune --k 20 --ranking $r
    done
    .venv/bin/python bench/eval/rank_dumps.py debfaq:tune toolfaq:tune

For every answerable labelled question: whether the first chunk is relevant (top 1), whether
one of the first five is (top 5: what generateAnswer's default five passages can hold), and
nDCG@10 with binary gains (the ideal counts every relevant chunk of the corpus). ``fuse W``
rows re-fuse the stored dense and BM25 scores with dense weight W, as ``hybrid`` does over
the candidates both dumps hold (the server fuses over its top 100 of each).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_eval

from ragkit.eval import load_questions

Row = dict[str, object]


def _load(name: str) -> dict[str, Row]:
    rows = json.loads((run_eval.CACHE / "loops" / name).read_text("utf-8"))
    return {str(r["id"]): r for r in rows}


def _relevant(row: Row) -> list[bool]:
    return [bool(p["relevant"]) for p in row["passages"]]  # type: ignore[attr-defined]


def report(set_name: str, split: str) -> None:
    questions = {
        q.id: q for q in load_questions(run_eval.SETS / f"{set_name}.jsonl") if q.split == split
    }
    chunks_path = run_eval.CACHE / "sets" / set_name / "chunks.jsonl"
    chunks = [json.loads(line) for line in chunks_path.read_text("utf-8").splitlines()]
    dense = _load(f"{set_name}-k20-{split}.json")
    bm25 = _load(f"{set_name}-minilm-bm25-k20-{split}.json")
    hybrid = _load(f"{set_name}-minilm-hybrid-k20-{split}.json")
    ids = [i for i, r in dense.items() if r["labelled"] and not r["unanswerable"]]
    ideal = {
        i: sum(
            1
            for c in chunks
            if questions[i].judge(
                f"corpora/{set_name}/documents/{c['document']}/chunks/{c['chunk']}", c["text"]
            )
            is not None
        )
        for i in ids
    }

    def figures(order: Callable[[str], list[bool]]) -> str:
        top1 = top5 = ndcg = 0.0
        for i in ids:
            relevant = order(i)
            top1 += bool(relevant and relevant[0])
            top5 += any(relevant[:5])
            dcg = sum(1 / math.log2(k + 2) for k, r in enumerate(relevant[:10]) if r)
            idcg = sum(1 / math.log2(k + 2) for k in range(max(1, min(10, ideal[i]))))
            ndcg += dcg / idcg
        n = len(ids)
        return f"top1 {top1 / n:.3f}  top5 {top5 / n:.3f}  nDCG@10 {ndcg / n:.3f}"

    print(f"{set_name} {split} ({len(ids)} answerable)")
    for name, rows in (("dense", dense), ("bm25", bm25), ("hybrid", hybrid)):
        print(f"  {name:9}", figures(lambda i, rows=rows: _relevant(rows[i])))
    for weight in (0.5, 0.6, 0.7, 0.8, 0.9):

        def fused(i: str, weight: float = weight) -> list[bool]:
            scores: dict[str, list[float]] = {}
            relevant: dict[str, bool] = {}
            for rows, slot in ((dense, 0), (bm25, 1)):
                for p in rows[i]["passages"]:  # type: ignore[attr-defined]
                    scores.setdefault(p["name"], [0.0, 0.0])[slot] = p["score"]
                    relevant[p["name"]] = p["relevant"]
            ranked = sorted(
                scores, key=lambda n: -(weight * scores[n][0] + (1 - weight) * scores[n][1])
            )
            return [relevant[n] for n in ranked]

        print(f"  fuse {weight:<4}", figures(fused))


def main() -> int:
    for spec in sys.argv[1:]:
        report(*spec.split(":"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
