"""``ragkit query``: semantic search over a corpus or one document, with a metadata filter.

ragkit query corpora/handbook "how do I enable WAL?"
ragkit query corpora/handbook "checkpoints" --where 'tags includes "sqlite" and page_start >= 2'
ragkit query corpora/handbook/documents/manual "install" --results 3 --json

The filter language: comparisons (==, !=, <, <=, >, >=, includes, excludes, in (...))
joined by 'and', with 'or' between conditions on the same key; doc./chunk. prefixes
choose the level (provenance keys such as source or page_start default to chunk, other
keys to document). See ragkit.rag.filters for the full grammar.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from ragkit.cli._args import results_count
from ragkit.cli._connect import add_connection_arguments, connect
from ragkit.cli._output import add_json_argument, command, print_json, print_table, shorten
from ragkit.rag.query import search

__all__ = ["register"]

_TEXT_WIDTH = 70


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    query = commands.add_parser(
        "query", help="semantic search with metadata filters", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    query.add_argument(
        "target", metavar="CORPUS|DOCUMENT", help="corpora/C or corpora/C/documents/D"
    )
    query.add_argument("text", metavar="QUERY", help="what to search for")
    query.add_argument("--where", metavar="FILTER", help="metadata filter, e.g. 'year >= 2020'")
    query.add_argument(
        "--results", type=results_count, default=10, help="chunks to return, 1..100 (default 10)"
    )
    add_json_argument(query)
    add_connection_arguments(query)
    query.set_defaults(handler=_query, command_parser=query)


@command("query")
def _query(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        results = search(client, args.target, args.text, where=args.where, results=args.results)
    if args.json:
        print_json([asdict(result) for result in results])
        return 0
    print_table(
        ("#", "SCORE", "SOURCE", "TEXT"),
        (
            (i, f"{r.score:.3f}", r.cite(), shorten(r.body, _TEXT_WIDTH))
            for i, r in enumerate(results, start=1)
        ),
    )
    return 0
