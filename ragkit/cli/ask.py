"""``ragkit ask``: answer a question from your documents, with numbered citations.

ragkit ask "How do I enable WAL mode?" --docs examples/docs      # ingest the folder, then ask
ragkit ask "How do I enable WAL mode?" --corpus corpora/docs     # an existing corpus
ragkit ask "..." --corpus corpora/docs --base-url http://127.0.0.1:8080 --mode passages
ragkit ask "..." --docs examples/docs --answerer openai:http://127.0.0.1:11434/v1 \
    --answerer-model llama3                                      # an LLM composes the answer

Below --threshold (answerable probability, default 0.5) the answer is "Not in the
documents" rather than a guess; with --cascade the other answer styles are tried before
giving up.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragkit.cli._args import results_count
from ragkit.cli._connect import add_connection_arguments, connect
from ragkit.cli._output import CommandError, add_json_argument, command, print_json, shorten
from ragkit.cli.serve import add_answerer_arguments
from ragkit.rag.answer import ANSWER_STYLES, Answer, ask, reflow

if TYPE_CHECKING:
    from ragkit._client import Client

__all__ = [
    "add_answer_arguments",
    "answer_json",
    "answer_options",
    "format_answer",
    "register",
    "resolve_corpus",
]

_QUOTE_WIDTH = 160


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def add_answer_arguments(parser: argparse.ArgumentParser) -> None:
    """Where to answer from and how: shared by ``ask`` and ``chat``."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--corpus", "-c", metavar="CORPUS", help="corpora/C (or one document)")
    source.add_argument(
        "--docs",
        type=Path,
        metavar="FOLDER",
        help="ingest FOLDER first (into a corpus named after it) and answer from it",
    )
    parser.add_argument("--where", metavar="FILTER", help="metadata filter, e.g. 'year >= 2020'")
    parser.add_argument(
        "--mode",
        choices=("retriever", "passages"),
        default="retriever",
        help="server-side retrieval (default) or client-side retrieval sent as passages",
    )
    parser.add_argument(
        "--style", choices=ANSWER_STYLES, default="ABSTRACTIVE", help="answer style"
    )
    parser.add_argument(
        "--threshold",
        type=_probability,
        default=0.5,
        help="abstain below this answerable probability (default 0.5)",
    )
    parser.add_argument(
        "--cascade", action="store_true", help="try the other styles when one gives nothing"
    )
    parser.add_argument(
        "--max-passages", type=results_count, default=5, help="passages to ground on (default 5)"
    )
    add_json_argument(parser)
    add_connection_arguments(parser)
    add_answerer_arguments(parser)


def answer_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for :func:`ragkit.rag.answer.ask` from the flags."""
    return {
        "where": args.where,
        "mode": args.mode,
        "style": args.style,
        "threshold": args.threshold,
        "cascade": args.cascade or None,
        "max_passages": args.max_passages,
    }


def _folder_corpus_id(folder: Path) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", folder.resolve().name.lower()).strip("-")[:40].strip("-")
    return slug or "docs"


def resolve_corpus(client: Client, args: argparse.Namespace) -> str:
    """The corpus to answer from; with ``--docs``, ingest the folder into it first."""
    if args.docs is None:
        if not args.corpus:
            raise CommandError("give --corpus CORPUS, or --docs FOLDER to ingest a folder first")
        return str(args.corpus)
    folder: Path = args.docs
    if not folder.is_dir():
        raise CommandError(f"--docs {folder} is not a folder")
    try:
        from ragkit.ingest import ingest  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        raise CommandError(
            "--docs needs ragkit.ingest.ingest, which this installation lacks; ingest the "
            "folder with 'ragkit ingest' and pass --corpus"
        ) from None
    corpus = f"corpora/{_folder_corpus_id(folder)}"
    print(f"indexing {folder} into {corpus}...", file=sys.stderr, flush=True)
    report = ingest([folder], corpus=corpus, client=client)  # creates the corpus if needed
    print(report.summary(), file=sys.stderr, flush=True)
    return corpus


def format_answer(answer: Answer) -> str:
    """The answer, then ``[n] source, p. N, section`` lines with the quoted passages."""
    lines = [reflow(answer.text)]
    if answer.abstained and answer.reason:
        lines.append(f"({answer.reason})")
    if answer.citations:
        lines.append("")
    for citation in answer.citations:
        lines.append(citation.format())
        if citation.quote:
            lines.append(f'    "{shorten(citation.quote, _QUOTE_WIDTH)}"')
    return "\n".join(lines)


def answer_json(answer: Answer) -> dict[str, Any]:
    """The answer as plain JSON data (snake_case, like the Python object)."""
    return asdict(answer)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "ask", help="answer a question from your documents, with citations",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("question", help="the question (English)")
    add_answer_arguments(parser)
    parser.set_defaults(handler=_ask, command_parser=parser)


@command("ask")
def _ask(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args, writes=args.docs is not None) as client:
        corpus = resolve_corpus(client, args)
        answer = ask(client, corpus, args.question, **answer_options(args))
    if args.json:
        print_json(answer_json(answer))
    else:
        print(format_answer(answer))
    return 0
