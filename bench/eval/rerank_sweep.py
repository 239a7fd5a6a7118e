"""How often the relevant passage comes first when e5's opinion is fused with MiniLM's.

    .venv/bin/python bench/eval/build_faq.py && .venv/bin/python bench/eval/build_toolfaq.py
    .venv/bin/python bench/eval/rerank_sweep.py debfaq toolfaq

For each set (its chunks as loaded raw, ``<cache>/sets/NAME/chunks.jsonl``) every chunk is
embedded with MiniLM (the server's default embedder) and with e5 (``E5Reranker``, as a
passage), every question with both (as a query). For the answerable labelled questions of
each split it prints how often a relevant chunk ranks first:

- ``minilm`` / ``e5``: each model alone over the whole set;
- ``K=k w=...``: MiniLM's top ``k`` reordered by :func:`fused_order` with e5 weight ``w``
  (``w`` 0 is MiniLM's order, 0.5 the server's setting, 1 e5's order within the ``k``).

Vectors are cached in ``<cache>/loops/rerank-NAME.pkl``.
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_eval

from ragkit.eval import load_questions
from ragkit.server.models.embedding import load_embedder
from ragkit.server.models.reranker import E5Reranker, fused_order

WEIGHTS = (0.0, 0.3, 0.5, 0.7, 1.0)
DEPTHS = (5, 10, 20)


def _vectors(name: str, texts: list[str], questions: list[str]) -> dict[str, np.ndarray]:
    path = run_eval.CACHE / "loops" / f"rerank-{name}.pkl"
    if path.exists():
        cached: dict[str, np.ndarray] = pickle.loads(path.read_bytes())
        return cached
    minilm = load_embedder("minilm")
    e5 = E5Reranker()._engine()
    vectors = {
        "minilm_chunks": minilm.embed(texts),
        "minilm_questions": minilm.embed(questions, kind="query"),
        "e5_chunks": np.asarray(e5.passage(texts)),
        "e5_questions": np.asarray(e5.query(questions)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(vectors))
    return vectors


def report(name: str) -> None:
    chunks_path = run_eval.CACHE / "sets" / name / "chunks.jsonl"
    chunks = [json.loads(line) for line in chunks_path.read_text("utf-8").splitlines()]
    texts = [c["text"] for c in chunks]
    names = [f"corpora/{name}/documents/{c['document']}/chunks/{c['chunk']}" for c in chunks]
    questions = load_questions(run_eval.SETS / f"{name}.jsonl")
    v = _vectors(name, texts, [q.question for q in questions])
    for split in ("tune", "heldout"):
        rows: dict[str, list[bool]] = {}
        for i, q in enumerate(questions):
            if q.split != split or not q.relevant:
                continue
            labelled = zip(names, texts, strict=True)
            relevant = np.array([q.judge(n, t) is not None for n, t in labelled])
            if not relevant.any():
                continue
            a = v["minilm_chunks"] @ v["minilm_questions"][i]
            b = v["e5_chunks"] @ v["e5_questions"][i]
            rows.setdefault("minilm", []).append(bool(relevant[int(np.argmax(a))]))
            rows.setdefault("e5", []).append(bool(relevant[int(np.argmax(b))]))
            for k in DEPTHS:
                top = np.argsort(-a, kind="stable")[:k]
                for w in WEIGHTS:
                    first, _ = fused_order(a[top].tolist(), b[top].tolist(), w)[0]
                    rows.setdefault(f"K={k} w={w}", []).append(bool(relevant[top[first]]))
        n = len(rows["minilm"])
        print(f"{name} {split} ({n} questions): relevant chunk first")
        for label, hits in rows.items():
            print(f"  {label:14s} {np.mean(hits):.3f}")


if __name__ == "__main__":
    for set_name in sys.argv[1:] or ["debfaq", "toolfaq"]:
        report(set_name)
