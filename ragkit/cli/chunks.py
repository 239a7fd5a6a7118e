"""``ragkit chunks list``: the chunks of a document, with their provenance.

ragkit chunks list corpora/handbook/documents/manual [--limit 20] [--json]
"""

from __future__ import annotations

import argparse
import itertools

from ragkit.cli._args import positive
from ragkit.cli._connect import add_connection_arguments, connect
from ragkit.cli._output import add_json_argument, command, print_json, print_table, shorten
from ragkit.provenance import provenance_from_metadata

__all__ = ["register"]

_TEXT_WIDTH = 60


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chunks = commands.add_parser(
        "chunks", help="list the chunks of a document", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    actions = chunks.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the chunks of a document, oldest first")
    listing.add_argument("document", help="corpora/C/documents/D")
    listing.add_argument("--limit", type=positive, help="show at most this many chunks")
    add_json_argument(listing)
    add_connection_arguments(listing)
    listing.set_defaults(handler=_list, command_parser=listing)


@command("chunks list")
def _list(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with connect(args) as client:
        pager = client.corpora.documents.chunks.list(args.document)
        chunks = list(itertools.islice(pager, args.limit))
    if args.json:
        print_json(chunks)
        return 0
    rows = []
    for chunk in chunks:
        origin = provenance_from_metadata(chunk.custom_metadata)
        text = chunk.data.string_value if chunk.data else None
        state = chunk.state.name.removeprefix("STATE_") if chunk.state else ""
        rows.append((chunk.name, state, origin.cite(), shorten(text or "", _TEXT_WIDTH)))
    print_table(("NAME", "STATE", "SOURCE", "TEXT"), rows)
    return 0
