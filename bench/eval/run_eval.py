"""Ingest an evaluation set into an embedded server and evaluate ranking/answer variants.

    # once per chunk size (embeds every chunk with the server's embedder):
    .venv/bin/python bench/eval/run_eval.py ingest --chunk-tokens 400
    # then any number of evaluations over the stored corpus:
    .venv/bin/python bench/eval/run_eval.py eval --chunk-tokens 400 --ranking hybrid \\
        --split tune --no-answers

Corpora are named ``pg15-c{chunk tokens}`` (``-plain`` with ``--no-context``) and live in
``<cache>/data/<embedder>`` (the cache is ``~/.cache/ragkit-eval`` or
``$RAGKIT_EVAL_CACHE``); build the set first with
``bench/eval/build_sets.py``. Every ``eval`` prints the report table (or JSON with
``--json``) and appends a one-line JSON record to ``<cache>/results.jsonl``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import ragkit
from ragkit.eval import EvalOptions, evaluate, load_questions
from ragkit.eval.report import by_group, format_groups
from ragkit.ingest import ChunkingConfig, ingest
from ragkit.server import lexical_index
from ragkit.server.embedded import EmbeddedServer
from ragkit.server.service.quotas import Quotas

REPO = Path(__file__).resolve().parents[2]
SETS = REPO / "bench" / "eval" / "sets"
CACHE = Path(os.environ.get("RAGKIT_EVAL_CACHE", Path.home() / ".cache" / "ragkit-eval"))


#: Corpora one cache's data directory may hold: every set with and without its variants
#: (Google's 5 per project would refuse the sixth).
MAX_CORPORA = 32


def _server(args: argparse.Namespace) -> EmbeddedServer:
    data = args.cache / "data" / args.embedder
    quotas = Quotas(max_corpora=MAX_CORPORA)
    ranking = getattr(args, "ranking", None)
    if ranking is None:
        return EmbeddedServer(data, embedder=args.embedder, quotas=quotas)
    return EmbeddedServer(data, embedder=args.embedder, ranking=ranking, quotas=quotas)


def _raw_chunks(args: argparse.Namespace) -> Path:
    """A set built as raw chunks (``build_faq.py``): loaded through batchCreate as they are."""
    return args.cache / "sets" / args.set / "chunks.jsonl"


def _corpus(args: argparse.Namespace) -> str:
    if _raw_chunks(args).exists():
        return f"corpora/{args.set}{'-q' if args.with_questions else ''}"
    plain = "-plain" if args.no_context else ""
    return f"corpora/{args.set}-c{args.chunk_tokens}{plain}"


def _ingest_raw(args: argparse.Namespace) -> int:
    """Create the corpus from ``chunks.jsonl`` with chunks:batchCreate: no ingestion, no
    context lines; with ``--with-questions`` each section's first chunk opens with its
    question line, as an FAQ page reads."""
    rows = [json.loads(line) for line in _raw_chunks(args).read_text("utf-8").splitlines()]
    by_document: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_document.setdefault(row["document"], []).append(row)
    started = time.perf_counter()
    corpus = _corpus(args)
    with _server(args) as server, ragkit.Client(base_url=server.base_url) as client:
        client.corpora.create(name=corpus)
        for document, items in by_document.items():
            client.corpora.documents.create(corpus, name=document)
            chunks = [
                {
                    "name": row["chunk"],
                    "data": {
                        "string_value": f"{row['question']}\n\n{row['text']}"
                        if args.with_questions and row["question"]
                        else row["text"]
                    },
                }
                for row in items
            ]
            for i in range(0, len(chunks), 100):
                client.corpora.documents.chunks.batch_create(
                    f"{corpus}/documents/{document}", chunks[i : i + 100]
                )
    print(f"{corpus}: {len(rows)} chunks in {time.perf_counter() - started:.0f} s")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    if _raw_chunks(args).exists():
        return _ingest_raw(args)
    folder = args.cache / "sets" / args.set / "corpus"
    if not folder.is_dir():
        sys.exit(f"{folder} is missing: run bench/eval/build_sets.py first")
    chunking = ChunkingConfig(
        chunk_tokens=args.chunk_tokens,
        overlap_tokens=min(50, args.chunk_tokens // 4),
        context=not args.no_context,
    )
    started = time.perf_counter()
    with _server(args) as server, ragkit.Client(base_url=server.base_url) as client:
        report = ingest(folder, corpus=_corpus(args), client=client, chunking=chunking)
    print(report)
    print(f"{_corpus(args)}: ingested in {time.perf_counter() - started:.0f} s")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    if args.dense_weight is not None:
        # The server runs in this process and reads the weight at query time.
        lexical_index.HYBRID_DENSE_WEIGHT = args.dense_weight
    questions_path = SETS / f"{args.set}.jsonl"
    questions = load_questions(questions_path)
    options = EvalOptions(
        k=args.k,
        answers=not args.no_answers,
        answer_style=args.answer_style,
        max_chunks=args.max_chunks,
    )
    started = time.perf_counter()
    with _server(args) as server, ragkit.Client(base_url=server.base_url) as client:
        report = evaluate(client, _corpus(args), questions, options=options, split=args.split)
    elapsed = time.perf_counter() - started
    groups = by_group(report, questions, "kind")
    print(report.dumps() if args.json else report.format_table())
    print(f"\n{format_groups(groups, 'kind')}")
    record = {
        "corpus": _corpus(args),
        "commit": _commit(),
        "embedder": args.embedder,
        "ranking": args.ranking,
        "dense_weight": lexical_index.HYBRID_DENSE_WEIGHT if args.ranking == "hybrid" else None,
        "split": args.split,
        "questions_sha256": hashlib.sha256(questions_path.read_bytes()).hexdigest()[:12],
        "answer_style": args.answer_style if not args.no_answers else None,
        "max_chunks": args.max_chunks,
        "seconds": round(elapsed, 1),
        **{key: value for key, value in report.to_json().items() if key != "reliability"},
        "by_kind": {
            kind: {
                "ndcg": r.ndcg,
                "attribution_precision": r.attribution_precision,
                "auroc": r.auroc,
            }
            for kind, r in groups.items()
        },
    }
    with (args.cache / "results.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    return 0


def _commit() -> str | None:
    """The repository's commit (``+dirty`` when ragkit/ has uncommitted changes), if known."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "ragkit"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return None
    return f"{head}+dirty" if head and dirty else head or None


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "n/a" if value is None else str(value)


def _table(args: argparse.Namespace) -> int:
    """Markdown table of the recorded runs for the current question file (latest per variant)."""
    digest = hashlib.sha256((SETS / f"{args.set}.jsonl").read_bytes()).hexdigest()[:12]
    latest: dict[tuple[object, ...], dict[str, object]] = {}
    path = args.cache / "results.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("questions_sha256") != digest:
            continue
        key = tuple(
            record.get(k)
            for k in (
                "corpus",
                "commit",
                "ranking",
                "dense_weight",
                "split",
                "answers",
                "answer_style",
                "max_chunks",
            )
        )
        latest[key] = record
    columns = [
        "corpus",
        "commit",
        "ranking",
        "dense_weight",
        "max_chunks",
        "split",
        "questions",
        "recall",
        "mrr",
        "ndcg",
        "attribution_precision",
        "token_f1",
        "auroc",
        "ece",
        "mean_query_ms",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for record in latest.values():
        cells = []
        for column in columns:
            value = record.get(column)
            if column == "recall" and isinstance(value, dict):
                value = " / ".join(_fmt(v) for v in value.values())
            cells.append(_fmt(value))
        print("| " + " | ".join(cells) + " |")
    return 0


def main() -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cache", type=Path, default=CACHE)
    common.add_argument("--set", default="pg15")
    common.add_argument("--embedder", default="minilm")
    common.add_argument("--chunk-tokens", type=int, default=ChunkingConfig().chunk_tokens)
    common.add_argument(
        "--no-context", action="store_true", help="chunks without context lines (corpus *-plain)"
    )
    common.add_argument(
        "--with-questions",
        action="store_true",
        help="raw sets (debfaq): each section's first chunk opens with its question (corpus *-q)",
    )
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("ingest", help="ingest the set's corpus", parents=[common])
    run = commands.add_parser("eval", help="evaluate one variant", parents=[common])
    run.add_argument("--ranking", choices=("dense", "bm25", "hybrid"))
    run.add_argument("--split", choices=("tune", "heldout"))
    run.add_argument("--k", type=int, default=10)
    run.add_argument("--no-answers", action="store_true")
    run.add_argument("--answer-style", default="ABSTRACTIVE")
    run.add_argument("--max-chunks", type=int)
    run.add_argument("--json", action="store_true")
    run.add_argument("--dense-weight", type=float, help="hybrid: weight of the cosine score")
    commands.add_parser("table", help="markdown table of recorded runs", parents=[common])
    args = parser.parse_args()
    handlers = {"ingest": _ingest, "eval": _evaluate, "table": _table}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
