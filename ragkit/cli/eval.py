"""``ragkit eval``: score retrieval and grounded answers on labelled questions.

ragkit eval --corpus corpora/pg --questions questions.jsonl
ragkit eval --corpus corpora/pg --questions questions.jsonl --split heldout --json
ragkit eval --corpus corpora/pg --questions questions.jsonl --no-answers --k 20

Questions are JSONL, one object per line: {"question": ..., "relevant": [document IDs or
{"document", "chunk", "contains"} objects], "answers": [...], "unanswerable": false,
"split": "heldout"} (see ragkit.eval.dataset). Reported: recall@1/5/k, MRR@k and nDCG@k
over answerable labelled questions; with answers, attribution precision (the first cited
chunk is relevant), token F1 against reference answers, and how well answerableProbability
separates answerable from unanswerable questions (AUROC, reliability table).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ragkit.cli._args import results_count
from ragkit.cli._connect import add_connection_arguments, connect
from ragkit.cli._output import add_json_argument, command

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "eval", help="measure retrieval and answer quality on labelled questions",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--corpus", required=True, metavar="CORPUS", help="corpora/ID to query")
    parser.add_argument(
        "--questions", required=True, type=Path, metavar="FILE", help="labelled questions (JSONL)"
    )
    parser.add_argument(
        "--k", type=results_count, default=10, help="chunks retrieved per question (default 10)"
    )
    parser.add_argument("--split", metavar="NAME", help="only questions of this split")
    parser.add_argument(
        "--no-answers", action="store_true", help="retrieval only: skip generateAnswer"
    )
    parser.add_argument(
        "--answer-style",
        choices=("ABSTRACTIVE", "EXTRACTIVE", "VERBOSE"),
        default="ABSTRACTIVE",
        help="answer style asked for (default ABSTRACTIVE)",
    )
    parser.add_argument(
        "--max-chunks",
        type=results_count,
        metavar="N",
        help="chunks an answer is grounded on (default: the server's)",
    )
    parser.add_argument(
        "--by",
        metavar="KEY",
        help="also break the figures down by the questions' meta KEY (e.g. kind)",
    )
    parser.add_argument(
        "--per-question", action="store_true", help="with --json, include every question's result"
    )
    add_json_argument(parser)
    add_connection_arguments(parser)
    parser.set_defaults(handler=_eval, command_parser=parser)


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\r{done}/{total} questions", end=end, file=sys.stderr, flush=True)


@command("eval")
def _eval(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ragkit.eval import EvalOptions, evaluate, load_questions
    from ragkit.eval.report import by_group, format_groups

    questions = load_questions(args.questions)
    options = EvalOptions(
        k=args.k,
        answers=not args.no_answers,
        answer_style=args.answer_style,
        max_chunks=args.max_chunks,
    )
    with connect(args) as client:
        report = evaluate(
            client, args.corpus, questions, options=options, split=args.split, progress=_progress
        )
    groups = by_group(report, questions, args.by) if args.by else {}
    if args.json:
        data = report.to_json(per_question=args.per_question)
        if args.by:
            data["groups"] = {value: r.to_json() for value, r in groups.items()}
        print(json.dumps(data, indent=2))
    else:
        print(report.format_table())
        if args.by:
            print()
            print(format_groups(groups, args.by))
    return 0
